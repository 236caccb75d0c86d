from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncpg
import structlog

from infra.aggregates import change_of
from infra.event_store import read_after
from projections.registry import VIEWS, View

log = structlog.get_logger()

SHADOW, RETIRED = "rebuild", "retired"
_REBUILD_LOCK = 0x5A554D4A
_BATCH = 2000

Progress = Callable[[int, int], None]


class UnknownView(LookupError):
    pass


def views_named(names: Sequence[str]) -> list[View]:
    unknown = [n for n in names if n not in VIEWS]
    if unknown:
        raise UnknownView(f"no such view: {', '.join(unknown)}; views are {', '.join(VIEWS)}")
    return [VIEWS[n] for n in names] if names else list(VIEWS.values())


async def rebuild(conn: asyncpg.Connection, views: Sequence[View], progress: Progress | None = None) -> int:
    """Builds `views` from the whole log beside the live tables, then swaps them in.

    Readers keep the old tables until the swap, which happens in one short transaction
    holding the live tables' locks, so nobody ever reads a half-built view. Returns
    how many events were applied."""
    await conn.execute("SELECT pg_advisory_lock($1)", _REBUILD_LOCK)
    try:
        await _create_shadow(conn, views)
        await conn.execute(f"SET search_path = {SHADOW}, public")
        end = await conn.fetchval("SELECT coalesce(max(position), 0) FROM public.events")
        position, applied = 0, 0
        while position < end:
            async with conn.transaction():
                position, count = await _apply_batch(conn, views, position)
            applied += count
            if progress:
                progress(position, end)
        async with conn.transaction():
            applied += await _catch_up_and_swap(conn, views, position)
        log.info("projections.rebuilt", views=[v.name for v in views], events=applied)
        return applied
    finally:
        await conn.execute("RESET search_path")
        await conn.execute(f"DROP SCHEMA IF EXISTS {SHADOW} CASCADE")
        await conn.execute("SELECT pg_advisory_unlock($1)", _REBUILD_LOCK)


async def _create_shadow(conn: asyncpg.Connection, views: Sequence[View]) -> None:
    await conn.execute(f"DROP SCHEMA IF EXISTS {SHADOW} CASCADE")
    await conn.execute(f"CREATE SCHEMA {SHADOW}")
    for table in _tables(views):
        await conn.execute(f"CREATE TABLE {SHADOW}.{table} (LIKE public.{table} INCLUDING ALL)")


async def _apply_batch(conn: asyncpg.Connection, views: Sequence[View], position: int) -> tuple[int, int]:
    batch = await read_after(conn, position, _BATCH)
    count = 0
    for recorded in batch:
        for view in views:
            if recorded.type in view.event_types:
                await view.apply(conn, change_of(recorded))
                count += 1
    return (batch[-1].position if batch else position), count


async def _catch_up_and_swap(conn: asyncpg.Connection, views: Sequence[View], position: int) -> int:
    tables = _tables(views)
    # Every command writes its views before it appends, so once these locks are held
    # no command touching these views is in flight: what is in the log now is all.
    await conn.execute(f"LOCK TABLE {', '.join(f'public.{t}' for t in tables)} IN ACCESS EXCLUSIVE MODE")
    applied = 0
    while True:
        before = position
        position, count = await _apply_batch(conn, views, position)
        applied += count
        if position == before:
            break
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RETIRED}")
    for table in tables:
        await conn.execute(f"ALTER TABLE public.{table} SET SCHEMA {RETIRED}")
        await conn.execute(f"ALTER TABLE {SHADOW}.{table} SET SCHEMA public")
        await conn.execute(f"DROP TABLE {RETIRED}.{table}")
    return applied


def _tables(views: Sequence[View]) -> list[str]:
    return [table for view in views for table in view.tables]
