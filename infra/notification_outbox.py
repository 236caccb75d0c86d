from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from domain.notices import NOTIFYING_EVENTS, NoticeKind, notice_for
from infra.event_store import read_after

CHECKPOINT = "notifications"

_CLAIM = "SELECT position FROM projector_checkpoints WHERE name = $1 FOR UPDATE SKIP LOCKED"
_ADVANCE = "UPDATE projector_checkpoints SET position = $2 WHERE name = $1"
_ENQUEUE = """
INSERT INTO notification_deliveries (position, channel, stream_id, version, kind, next_attempt_at, created_at)
SELECT p, c, s, v, k, $6, $6
FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::int[], $5::text[]) AS u(p, c, s, v, k)
ON CONFLICT DO NOTHING
"""


class NotificationOutbox:
    """The projector from the log to the outbox: one delivery row per notifying event
    and channel. Each batch writes its rows and its checkpoint in one transaction, so
    an event is queued exactly once however many workers run or crash."""

    def __init__(self, channels: Sequence[str], batch: int = 500) -> None:
        self._channels = tuple(channels)
        self._batch = batch

    async def project(self, conn: asyncpg.Connection, now: datetime) -> int:
        """Queues the next batch of the log; returns how many events it read (0: none
        left, or another worker holds the checkpoint right now)."""
        async with conn.transaction():
            position = await conn.fetchval(_CLAIM, CHECKPOINT)
            if position is None:
                return 0
            events = await read_after(conn, position, self._batch, NOTIFYING_EVENTS)
            if not events:
                return 0
            rows = [
                (e.position, channel, e.stream_id, e.version, kind.value)
                for e in events
                if (kind := notice_for(e.type, e.payload)) is not None
                for channel in self._channels
                if _carries(channel, kind)
            ]
            if rows:
                await conn.execute(_ENQUEUE, *(list(column) for column in zip(*rows, strict=True)), now)
            await conn.execute(_ADVANCE, CHECKPOINT, events[-1].position)
            return len(events)


def _carries(channel: str, kind: NoticeKind) -> bool:
    # A reopening always comes with the customer's message that caused it, which is
    # mailed already; the webhook gets both, as separate event types.
    return not (channel == "email" and kind is NoticeKind.REOPENED)
