from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from infra.history import History, HistoryEntry
from infra.metrics import Metrics
from infra.ticket_reads import ListFilter, Page, QueueFilter, TicketReads
from infra.ticket_records import TicketRecord


class Queries:
    """The read side as callers use it: each question takes a connection of its own.
    (TicketReads and History take one from their caller, to share a transaction.)"""

    def __init__(self, pool: asyncpg.Pool, reads: TicketReads, history: History) -> None:
        self._pool = pool
        self._reads = reads
        self._history = history

    async def ticket(
        self,
        ticket_id: UUID,
        scope: UUID | None,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> TicketRecord:
        """The ticket now from its view, or as it stood then, replayed from its events."""
        async with self._pool.acquire() as conn:
            if version is not None:
                return await self._reads.at_version(conn, ticket_id, version, scope)
            if as_of is not None:
                return await self._reads.as_of(conn, ticket_id, as_of, scope)
            return await self._reads.get(conn, ticket_id, scope)

    async def tickets(
        self, where: ListFilter, *, limit: int, starting_after: UUID | None, ending_before: UUID | None
    ) -> Page:
        async with self._pool.acquire() as conn:
            return await self._reads.page(
                conn, where, limit=limit, starting_after=starting_after, ending_before=ending_before
            )

    async def queue(
        self, where: QueueFilter, *, limit: int, starting_after: UUID | None, ending_before: UUID | None
    ) -> Page:
        async with self._pool.acquire() as conn:
            return await self._reads.queue(
                conn, where, limit=limit, starting_after=starting_after, ending_before=ending_before
            )

    async def history(self, ticket_id: UUID, scope: UUID | None) -> list[HistoryEntry]:
        async with self._pool.acquire() as conn:
            return await self._history.of(conn, ticket_id, scope)

    async def metrics(self, metrics: Metrics) -> str:
        async with self._pool.acquire() as conn:
            return await metrics.render(conn)
