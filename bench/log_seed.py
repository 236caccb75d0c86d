"""Seeding for log_bench.py.

Tickets go in through the service's own write path (`build_services(...).tickets`), in
process, many tickets at a time, so the log is the real thing: sealed personal fields,
per-ticket data keys, inline views. Only the rebuild log may be topped up by copying
(`copy_tickets`), because rebuild never decrypts; see LOG_BENCH.md.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg

SUBJECT = "Ticket {i}: model download is slow from eu-west"
BODY = "Downloads of our fine-tuned weights crawl at 2 MB/s from eu-west since Monday. " * 2
SUPPORT_REPLY = "Thanks, we are looking at the CDN edge in Frankfurt; could you send a trace id? " * 2
CUSTOMER_REPLY = "Adding the trace ids from this morning, in case they help. " * 3


def say(text: str) -> None:
    print(f"[log_bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def run_bounded(
    count: int, concurrency: int, work: Callable[[int], Awaitable[Any]], label: str, every: float = 15.0
) -> float:
    """Runs work(0) … work(count-1) on `concurrency` tasks; returns the seconds taken."""
    indices = iter(range(count))  # shared: next() never awaits, so each index goes to one task
    done = 0
    started = time.perf_counter()
    finished = asyncio.Event()

    async def worker() -> None:
        nonlocal done
        for i in indices:
            await work(i)
            done += 1

    async def report() -> None:
        while not finished.is_set():
            try:
                await asyncio.wait_for(finished.wait(), every)
            except TimeoutError:
                elapsed = time.perf_counter() - started
                say(f"{label}: {done}/{count} in {elapsed:.0f} s ({done / elapsed:.0f}/s)")

    reporter = asyncio.create_task(report())
    try:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, max(count, 1)))))
    finally:
        finished.set()
        await reporter
    return time.perf_counter() - started


class Seeder:
    """The write-path seeding, on an in-process `Services`."""

    def __init__(self, services: Any) -> None:
        from domain.enums import Actor, Author, Status
        from infra.tickets import OpenTicket

        self.s = services
        self.Actor, self.Author, self.Status, self.OpenTicket = Actor, Author, Status, OpenTicket
        self.commands = 0

    async def create_project(self, name: str) -> tuple[UUID, str]:
        from domain.plans import Plan

        row, api_key = await self.s.projects.create(name, Plan.ENTERPRISE)
        return row.id, api_key

    async def _open(self, project_id: UUID, i: int) -> UUID:
        out = await self.s.tickets.open(project_id, self.OpenTicket(subject=SUBJECT.format(i=i), body=BODY))
        self.commands += 1
        ticket_id: UUID = out.ticket.id
        return ticket_id

    async def _reply(self, project_id: UUID, ticket_id: UUID, author: Any, status: Any = None) -> int:
        body = SUPPORT_REPLY if author is self.Author.SUPPORT else CUSTOMER_REPLY
        out = await self.s.tickets.reply(project_id, ticket_id, body=body, author=author, status=status)
        self.commands += 1
        version: int = out.ticket.version
        return version

    async def thread_ticket(self, project_id: UUID, i: int) -> None:
        """5 messages, 5 events: Opened, then support / customer / support / customer replies
        (the ticket stays open, so no status events)."""
        ticket_id = await self._open(project_id, i)
        for author in (self.Author.SUPPORT, self.Author.CUSTOMER, self.Author.SUPPORT, self.Author.CUSTOMER):
            await self._reply(project_id, ticket_id, author)

    async def mixed_ticket(self, project_id: UUID, i: int) -> None:
        """5 events each, three life cycles in turn:
        A: Opened, MessageAppended+StatusChanged(pending), MessageAppended+StatusChanged(open)
        B: Opened, MessageAppended+StatusChanged(resolved), MessageAppended+Reopened
        C: Opened, MessageAppended, MessageAppended, MessageAppended, StatusChanged(closed)"""
        A, S = self.Author, self.Status
        ticket_id = await self._open(project_id, i)
        match i % 3:
            case 0:
                await self._reply(project_id, ticket_id, A.SUPPORT, S.PENDING)
                await self._reply(project_id, ticket_id, A.CUSTOMER)  # pending -> open
            case 1:
                await self._reply(project_id, ticket_id, A.SUPPORT, S.RESOLVED)
                await self._reply(project_id, ticket_id, A.CUSTOMER)  # resolved -> Reopened
            case _:
                await self._reply(project_id, ticket_id, A.SUPPORT)
                await self._reply(project_id, ticket_id, A.CUSTOMER)
                await self._reply(project_id, ticket_id, A.SUPPORT)
                await self.s.tickets.set_status(project_id, ticket_id, S.CLOSED, self.Actor.CUSTOMER)
                self.commands += 1

    async def long_ticket(self, project_id: UUID, events: int) -> UUID:
        """One ticket with exactly `events` events: a back-and-forth thread where every
        fifth support reply also sets it pending, and the customer's answer reopens it."""
        A, S = self.Author, self.Status
        ticket_id = await self._open(project_id, 0)
        version, pending = 1, False
        for turn in range(2 * events):  # bounded: every turn adds at least one event
            left = events - version
            if left <= 0:
                break
            if turn % 2 == 0:
                pending = turn % 10 == 0 and left >= 4  # +2 now, +2 for the reopening answer
                version = await self._reply(project_id, ticket_id, A.SUPPORT, S.PENDING if pending else None)
            else:
                version = await self._reply(project_id, ticket_id, A.CUSTOMER)  # +2 when pending
                pending = False
        if version != events:
            raise RuntimeError(f"long ticket has {version} events, wanted {events}")
        return ticket_id


async def copy_tickets(
    conn: asyncpg.Connection, project_id: UUID, tickets: int, chunk: int = 20_000
) -> dict[str, Any]:
    """Appends `tickets` copies of the project's write-path tickets under new stream ids
    (UUIDv7, minted now), with their events in their original order and a copy of each
    one's wrapped data-key row under the new key id. The sealed fields stay bound to
    the original ticket id, so a copy's personal data does not decrypt; building views
    never decrypts. Only ever INSERTs: the log refuses UPDATE and DELETE."""
    from domain.ids import uuid7

    originals = [
        r["stream_id"]
        for r in await conn.fetch(
            "SELECT stream_id FROM events WHERE tenant_id = $1 AND type = 'Opened' ORDER BY stream_id",
            project_id,
        )
    ]
    if not originals:
        raise RuntimeError("no tickets to copy")
    started = time.perf_counter()
    copied = events = 0
    while copied < tickets:
        size = min(chunk, tickets - copied)
        now_ms = time.time_ns() // 1_000_000
        mapping = [
            (originals[(copied + k) % len(originals)], uuid7(now_ms, os.urandom(10))) for k in range(size)
        ]
        async with conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE lb_map (old uuid NOT NULL, new uuid PRIMARY KEY) ON COMMIT DROP"
            )
            await conn.copy_records_to_table("lb_map", records=mapping)
            await conn.execute(
                """INSERT INTO data_keys (key_id, tenant_id, wrapped, kek_id, created_at)
                   SELECT m.new, d.tenant_id, d.wrapped, d.kek_id, d.created_at
                   FROM lb_map m JOIN data_keys d ON d.key_id = m.old"""
            )
            status = await conn.execute(
                """INSERT INTO events (tenant_id, stream_id, version, type, recorded_at, payload, pii, key_id, metadata)
                   SELECT e.tenant_id, m.new, e.version, e.type, e.recorded_at, e.payload, e.pii,
                          CASE WHEN e.key_id IS NULL THEN NULL ELSE m.new END, e.metadata
                   FROM lb_map m JOIN events e ON e.stream_id = m.old
                   ORDER BY e.position"""
            )
        events += int(status.split()[-1])
        copied += size
        say(f"copied {copied}/{tickets} tickets ({events} events)")
    return {"tickets": copied, "events": events, "seconds": time.perf_counter() - started}
