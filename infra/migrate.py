from __future__ import annotations

from importlib import resources

import asyncpg
import structlog

log = structlog.get_logger()

# Any constant works; it only has to be the same for every process of this service.
_MIGRATION_LOCK = 0x5A554D49

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def available() -> list[tuple[str, str]]:
    folder = resources.files("infra") / "migrations"
    files = sorted((f.name, f) for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name, f.read_text()) for name, f in files]


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Applies pending migrations in name order, each in its own transaction.

    A session advisory lock makes a second process wait, then find nothing to do."""
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(_CREATE_LEDGER)
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        applied = []
        for name, sql in available():
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            log.info("migration.applied", migration=name)
            applied.append(name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


async def pending(conn: asyncpg.Connection) -> list[str]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    done = set()
    if exists:
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
    return [name for name, _ in available() if name not in done]
