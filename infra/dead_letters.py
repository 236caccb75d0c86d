from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

_FAILED = """
SELECT position, channel, stream_id, version, kind, attempts, last_error, finished_at
FROM notification_deliveries WHERE state = 'failed'
ORDER BY finished_at, position
LIMIT $1
"""
# Another full round of attempts, starting now.
_RETRY = """
UPDATE notification_deliveries
SET state = 'pending', attempts = 0, next_attempt_at = $1, finished_at = NULL
WHERE state = 'failed' AND ($2::text IS NULL OR channel = $2)
"""


@dataclass(frozen=True)
class FailedDelivery:
    position: int
    channel: str
    ticket_id: UUID
    version: int
    kind: str
    attempts: int
    last_error: str | None
    failed_at: datetime


async def failed(conn: asyncpg.Connection, limit: int = 1000) -> list[FailedDelivery]:
    """The dead-letter list: deliveries that ran out of attempts or were refused."""
    return [FailedDelivery(*row) for row in await conn.fetch(_FAILED, limit)]


async def retry(conn: asyncpg.Connection, now: datetime, channel: str | None = None) -> int:
    """Puts failed deliveries back in the queue, e.g. once a sink is fixed."""
    status = await conn.execute(_RETRY, now, channel)
    return int(status.split()[-1])
