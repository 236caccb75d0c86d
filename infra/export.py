from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from infra.ticket_reads import TicketReads
from infra.ticket_records import TicketRecord

# Every ticket the project ever opened, erased ones included, in id (creation) order.
_TICKET_IDS = """
SELECT stream_id FROM events
WHERE tenant_id = $1 AND type = 'Opened' AND ($2::uuid IS NULL OR stream_id > $2)
ORDER BY stream_id
LIMIT $3
"""
_ERASED_AT = "SELECT stream_id, recorded_at FROM events WHERE stream_id = ANY($1) AND type = 'Erased'"
_COUNT = """
SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'Opened' AND ($2::uuid IS NULL OR stream_id > $2)
"""


@dataclass(frozen=True)
class ErasedTicket:
    id: UUID
    erased_at: datetime | None


ExportItem = TicketRecord | ErasedTicket


class Export:
    """A project's data, ticket by ticket, from one consistent snapshot: a ticket
    written while an export runs is wholly in it or wholly out. Resumable after any
    ticket id; memory stays flat, one batch at a time."""

    def __init__(self, pool: asyncpg.Pool, reads: TicketReads, batch: int = 200) -> None:
        self._pool = pool
        self._reads = reads
        self._batch = batch

    async def count(self, project_id: UUID, after: UUID | None = None) -> int:
        async with self._pool.acquire() as conn:
            total: int = await conn.fetchval(_COUNT, project_id, after)
            return total

    async def tickets(self, project_id: UUID, after: UUID | None = None) -> AsyncIterator[ExportItem]:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            cursor = after
            while True:
                ids = [
                    row["stream_id"] for row in await conn.fetch(_TICKET_IDS, project_id, cursor, self._batch)
                ]
                if not ids:
                    return
                found = await self._reads.many(conn, ids)
                missing = [i for i in ids if i not in found]
                erased = dict(await conn.fetch(_ERASED_AT, missing)) if missing else {}
                for ticket_id in ids:
                    yield found.get(ticket_id) or ErasedTicket(ticket_id, erased.get(ticket_id))
                cursor = ids[-1]
