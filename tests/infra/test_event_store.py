from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import asyncpg
import pytest

from infra import event_store
from infra.event_store import NewEvent, VersionConflict


def note(n: int) -> NewEvent:
    return NewEvent(type="Noted", payload={"n": n})


async def append_one(pool: asyncpg.Pool, stream: UUID, expected: int, n: int) -> int:
    async with pool.acquire() as conn, conn.transaction():
        return await event_store.append(
            conn, tenant_id=stream, stream_id=stream, expected_version=expected, events=[note(n)]
        )


async def test_appends_get_consecutive_versions_and_positions(pool: asyncpg.Pool) -> None:
    stream = uuid4()
    async with pool.acquire() as conn:
        await event_store.append(
            conn, tenant_id=stream, stream_id=stream, expected_version=0, events=[note(1), note(2)]
        )
        await event_store.append(
            conn, tenant_id=stream, stream_id=stream, expected_version=2, events=[note(3)]
        )
        rows = await event_store.read_stream(conn, stream)
    assert [r.version for r in rows] == [1, 2, 3]
    assert [r.payload["n"] for r in rows] == [1, 2, 3]
    assert [r.position for r in rows] == sorted(r.position for r in rows)


async def test_concurrent_appenders_to_one_stream_leave_no_gap_and_losers_conflict(
    pool: asyncpg.Pool,
) -> None:
    stream = uuid4()
    await append_one(pool, stream, 0, 0)

    async def appender(n: int) -> bool:
        async with pool.acquire() as conn:
            current = len(await event_store.read_stream(conn, stream))
        try:
            await append_one(pool, stream, current, n)
        except VersionConflict:
            return False
        return True

    outcomes = await asyncio.gather(*(appender(n) for n in range(1, 51)))

    async with pool.acquire() as conn:
        versions = [r.version for r in await event_store.read_stream(conn, stream)]
    winners = sum(outcomes)
    assert versions == list(range(1, winners + 2))
    assert 1 <= winners < 50, "with 50 racing writers at least one must lose"


async def test_a_tailing_reader_sees_every_event_once_in_position_order(pool: asyncpg.Pool) -> None:
    streams = [uuid4() for _ in range(8)]
    per_stream = 40
    async with pool.acquire() as conn:
        start = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
    done = asyncio.Event()

    async def writer(stream: UUID) -> None:
        for version in range(per_stream):
            await append_one(pool, stream, version, version)

    async def reader() -> list[tuple[int, UUID, int]]:
        seen: list[tuple[int, UUID, int]] = []
        checkpoint = start
        async with pool.acquire() as conn:
            while True:
                finished = done.is_set()
                batch = await event_store.read_after(conn, checkpoint, 50)
                seen += [(r.position, r.stream_id, r.version) for r in batch if r.stream_id in streams]
                if batch:
                    checkpoint = batch[-1].position
                elif finished:
                    return seen
                else:
                    await asyncio.sleep(0)  # yield to the writers; no timing is asserted

    tail = asyncio.create_task(reader())
    await asyncio.gather(*(writer(s) for s in streams))
    done.set()
    seen = await tail

    positions = [p for p, _, _ in seen]
    assert positions == sorted(set(positions))
    assert sorted((s, v) for _, s, v in seen) == sorted(
        (s, v) for s in streams for v in range(1, per_stream + 1)
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET type = 'Tampered' WHERE stream_id = $1",
        "DELETE FROM events WHERE stream_id = $1",
    ],
)
async def test_the_log_refuses_updates_and_deletes(pool: asyncpg.Pool, statement: str) -> None:
    stream = uuid4()
    await append_one(pool, stream, 0, 1)
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute(statement, stream)
        assert len(await event_store.read_stream(conn, stream)) == 1


async def test_the_log_refuses_truncate_even_in_replica_mode(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM events")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("TRUNCATE events")
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute("DELETE FROM events")
        assert await conn.fetchval("SELECT count(*) FROM events") == count
