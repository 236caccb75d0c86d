from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from infra.clock import Clock
from infra.tickets import Tickets

log = structlog.get_logger()

_OVERDUE = """
SELECT id FROM ticket_list
WHERE first_response_at IS NULL AND breached_at IS NULL
  AND first_response_due_at IS NOT NULL AND first_response_due_at < $1
ORDER BY first_response_due_at
LIMIT $2
"""


class BreachWatch:
    """Records `FirstResponseBreached` on tickets whose due time passed with no team reply.

    Any number of workers may run it: each breach goes through the ticket's own
    command path (row lock, expected version), and the aggregate records it once."""

    def __init__(self, pool: asyncpg.Pool, tickets: Tickets, clock: Clock, batch: int = 200) -> None:
        self._pool = pool
        self._tickets = tickets
        self._clock = clock
        self._batch = batch

    async def run_once(self) -> int:
        now = self._clock.now()
        async with self._pool.acquire() as conn:
            overdue = [row["id"] for row in await conn.fetch(_OVERDUE, now, self._batch)]
        recorded = 0
        for ticket_id in overdue:
            if await self._tickets.record_breach(ticket_id, now):
                recorded += 1
                log.info("sla.breached", ticket_id=str(ticket_id))
        return recorded

    async def run(self, stop: asyncio.Event, interval: float = 15.0) -> None:
        while not stop.is_set():
            try:
                while await self.run_once() == self._batch:
                    pass  # a backlog: keep going before waiting
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("sla.watch_failed", error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
