from __future__ import annotations

import asyncio
import secrets

import asyncpg

from infra import migrate
from tests.conftest import with_database


async def test_two_processes_migrating_at_once_apply_each_migration_once(server_dsn: str) -> None:
    name = f"zumik_migrate_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        first = await asyncpg.connect(with_database(server_dsn, name))
        second = await asyncpg.connect(with_database(server_dsn, name))
        applied = await asyncio.gather(migrate.migrate(first), migrate.migrate(second))
        assert sorted(applied[0] + applied[1]) == [n for n, _ in migrate.available()]
        assert await migrate.pending(first) == []
        assert await migrate.migrate(first) == []
        await first.close()
        await second.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
