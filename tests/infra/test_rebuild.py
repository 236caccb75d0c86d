from __future__ import annotations

import asyncio
import gc
from typing import Any

import asyncpg
import pytest

from domain.enums import Actor, Author, Status
from domain.plans import Plan
from infra.rebuild import rebuild, views_named
from infra.services import Services
from infra.tickets import OpenTicket

ORDER = {"projects": "id", "ticket_list": "id", "ticket_messages": "ticket_id, seq"}


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[Any]]:
    return {
        table: [tuple(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY {key}")]
        for table, key in ORDER.items()
    }


async def test_a_rebuilt_view_equals_the_inline_one_row_for_row(
    services: Services, pool: asyncpg.Pool
) -> None:
    project, _ = await services.projects.create("Rebuilt", Plan.PILOT)
    await services.projects.set_plan(project.id, Plan.ENTERPRISE)
    for n in range(5):
        opened = await services.tickets.open(project.id, OpenTicket(subject=f"s{n}", body=f"b{n}"))
        ticket_id = opened.ticket.id
        await services.tickets.reply(
            None, ticket_id, body="on it", author=Author.SUPPORT, status=Status.PENDING
        )
        await services.tickets.reply(project.id, ticket_id, body="thanks", author=Author.CUSTOMER)
        if n % 2:
            await services.tickets.set_status(project.id, ticket_id, Status.RESOLVED, Actor.CUSTOMER)

    async with pool.acquire() as conn:
        inline = await snapshot(conn)
        steps: list[tuple[int, int]] = []
        applied = await rebuild(pool, views_named([]), lambda done, end: steps.append((done, end)))
        rebuilt = await snapshot(conn)

    assert applied > 0 and steps and steps[-1][0] == steps[-1][1]
    assert rebuilt == inline
    assert len(inline["ticket_messages"]) >= 15


async def test_a_rebuild_during_traffic_ends_equal_to_the_inline_views(
    services: Services, pool: asyncpg.Pool
) -> None:
    project, _ = await services.projects.create("Busy", Plan.BASE)
    tickets = [
        (await services.tickets.open(project.id, OpenTicket(subject="s", body="b"))).ticket.id
        for _ in range(20)
    ]

    async def traffic() -> int:
        written = 0
        for round_ in range(10):
            for ticket_id in tickets:
                await services.tickets.reply(project.id, ticket_id, body=f"r{round_}", author=Author.CUSTOMER)
                written += 1
            await services.tickets.open(project.id, OpenTicket(subject=f"new {round_}", body="b"))
        return written

    async def rebuild_once() -> int:
        return await rebuild(pool, views_named([]))

    written, _ = await asyncio.gather(traffic(), rebuild_once())

    async with pool.acquire() as conn:
        live = await snapshot(conn)
        await rebuild(pool, views_named([]))
        again = await snapshot(conn)
        counts = await conn.fetch("SELECT message_count FROM ticket_list WHERE id = ANY($1)", tickets)
    assert written == 200
    assert [r["message_count"] for r in counts] == [11] * 20, "no write was lost to the swap"
    assert live == again


async def test_a_rebuild_gives_the_process_its_cycle_collector_back_even_when_it_fails(
    services: Services, pool: asyncpg.Pool
) -> None:
    """A rebuild pauses the cycle collector for its own speed; a server process that
    ran one must not be left collecting no cycles, which would leak memory."""
    project, _ = await services.projects.create("Collected", Plan.BASE)
    await services.tickets.open(project.id, OpenTicket(subject="s", body="b"))

    def interrupted(done: int, end: int) -> None:
        raise KeyboardInterrupt

    await rebuild(pool, views_named([]))
    assert gc.isenabled()
    with pytest.raises(KeyboardInterrupt):
        await rebuild(pool, views_named([]), interrupted)
    assert gc.isenabled()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'rebuild'") == 0
