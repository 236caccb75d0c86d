from __future__ import annotations

import asyncpg

from infra import db, migrate
from infra.settings import Settings


class DatabaseUnavailable(Exception):
    pass


class Database:
    """The one asyncpg pool of a process, on `DATABASE_URL` or the embedded server."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise DatabaseUnavailable("the database pool is not started")
        return self._pool

    async def start(self) -> None:
        if self._pool is None:
            dsn = await db.resolve_dsn(self._settings)
            self._pool = await db.create_pool(dsn, size=self._settings.db_pool_size)

    async def migrate(self) -> list[str]:
        async with self.pool.acquire() as conn:
            return await migrate.migrate(conn)

    async def ready(self) -> bool:
        """Reachable and fully migrated."""
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return not await migrate.pending(conn)
        except (OSError, asyncpg.PostgresError, TimeoutError, DatabaseUnavailable):
            return False

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
