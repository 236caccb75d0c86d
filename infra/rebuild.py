from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import asyncpg
import structlog

from infra.aggregates import change_of
from infra.event_store import read_after
from infra.sealing import unpack
from projections.registry import VIEWS, View
from projections.ticket_fold import MESSAGE_COLUMNS, TICKET_COLUMNS, TICKET_TYPES
from projections.ticket_fold import READ as FOLD_READ

log = structlog.get_logger()

SHADOW, RETIRED = "rebuild", "retired"
_REBUILD_LOCK = 0x5A554D4A
_BATCH = 5000

Progress = Callable[[int, int], None]


class UnknownView(LookupError):
    pass


def views_named(names: Sequence[str]) -> list[View]:
    unknown = [n for n in names if n not in VIEWS]
    if unknown:
        raise UnknownView(f"no such view: {', '.join(unknown)}; views are {', '.join(VIEWS)}")
    return [VIEWS[n] for n in names] if names else list(VIEWS.values())


async def rebuild(pool: asyncpg.Pool, views: Sequence[View], progress: Progress | None = None) -> int:
    """Builds `views` from the whole log beside the live tables, then swaps them in.

    Readers keep the old tables until the swap, which happens in one short transaction
    holding the live tables' locks, so nobody ever reads a half-built view. Returns
    how many events were applied."""
    async with pool.acquire() as conn, pool.acquire() as reader:
        with _no_cycle_collection():
            return await _rebuild(conn, reader, views, progress)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A rebuild allocates millions of rows and keeps every ticket row until the end,
    none of them in a reference cycle: the cycle collector would rescan that growing
    heap again and again (measured: two thirds of a rebuild's CPU) to free nothing.
    Reference counting still frees every batch as soon as it is written."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def _rebuild(
    conn: asyncpg.Connection, reader: asyncpg.Connection, views: Sequence[View], progress: Progress | None
) -> int:
    await conn.execute("SELECT pg_advisory_lock($1)", _REBUILD_LOCK)
    try:
        await _create_shadow(conn, views)
        await conn.execute(f"SET search_path = {SHADOW}, public")
        end = await conn.fetchval("SELECT coalesce(max(position), 0) FROM public.events")
        applied = 0
        # Views are independent: each gets its own pass over the log up to `end`.
        for view in views:
            if view.fold is not None:
                applied += await _fold(conn, reader, view, end, progress)
            else:
                applied += await _replay(conn, view, end, progress)
        async with conn.transaction():
            applied += await _catch_up_and_swap(conn, views, end)
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


async def _replay(conn: asyncpg.Connection, view: View, end: int, progress: Progress | None) -> int:
    position, applied = 0, 0
    while True:
        async with conn.transaction():
            reached, count = await _apply_batch(conn, [view], position, end)
        if reached == position:
            return applied
        position, applied = reached, applied + count
        if progress:
            progress(position, end)


async def _fold(
    conn: asyncpg.Connection, reader: asyncpg.Connection, view: View, end: int, progress: Progress | None
) -> int:
    """Folds the view in memory. Three things overlap: the server reads the next batch
    (on `reader`) and writes the last batch's messages (on `conn`) while this process
    folds the current one."""
    assert view.fold is not None
    fold = view.fold(unpack)
    types = sorted(view.event_types)
    applied = 0
    reading = asyncio.ensure_future(reader.fetch(FOLD_READ, 0, end, types, _BATCH))
    writing: asyncio.Future[None] | None = None
    while batch := await reading:
        position = batch[-1][0]
        reading = asyncio.ensure_future(reader.fetch(FOLD_READ, position, end, types, _BATCH))
        for event in batch:
            fold.apply(event)
        applied += len(batch)
        if writing is not None:
            await writing
        messages = fold.take_messages()
        writing = asyncio.ensure_future(_copy(conn, "ticket_messages", MESSAGE_COLUMNS, messages))
        if progress:
            progress(position, end)
    if writing is not None:
        await writing
    rows = fold.ticket_rows()
    for start in range(0, len(rows), _BATCH):
        await _insert(conn, "ticket_list", TICKET_COLUMNS, TICKET_TYPES, rows[start : start + _BATCH])
    if fold.erased:
        await conn.execute("DELETE FROM ticket_messages WHERE ticket_id = ANY($1)", fold.erased)
    return applied


async def _apply_batch(
    conn: asyncpg.Connection, views: Sequence[View], position: int, end: int | None = None
) -> tuple[int, int]:
    """Applies the next batch of the log after `position` (up to `end`) to `views`, event
    by event. Returns the position reached and how many events were applied."""
    types = sorted(set().union(*(view.event_types for view in views)))
    batch = [e for e in await read_after(conn, position, _BATCH, types) if end is None or e.position <= end]
    count = 0
    for recorded in batch:
        for view in views:
            if recorded.type in view.event_types:
                await view.apply(conn, change_of(recorded))
                count += 1
    return (batch[-1].position if batch else position), count


async def _copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Many rows by binary COPY into the shadow table; for tables without jsonb, whose
    codec here is text only."""
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=list(columns), schema_name=SHADOW)


async def _insert(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Many rows in one statement: one array per column, unnested on the server."""
    if not rows:
        return
    arrays = [f"${n}::{kind}[]" for n, kind in enumerate(types, start=1)]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({', '.join(arrays)})"
    await conn.execute(sql, *(list(column) for column in zip(*rows, strict=True)))


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
