from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.plans import Plan
from domain.project import Project
from infra import api_keys, event_store
from infra.aggregates import Aggregates
from infra.clock import Clock, new_id
from projections import projects as project_view


class ProjectNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ProjectRow:
    id: UUID
    name: str
    plan: Plan
    created_at: datetime


_GET = "SELECT id, name, plan, created_at FROM projects WHERE id = $1"
_LIST = "SELECT id, name, plan, created_at FROM projects ORDER BY id"


class Projects:
    def __init__(self, pool: asyncpg.Pool, aggregates: Aggregates, clock: Clock) -> None:
        self._pool = pool
        self._aggregates = aggregates
        self._clock = clock

    async def create(self, name: str, plan: Plan) -> tuple[ProjectRow, str]:
        """A new project and its first API key (shown once, stored only as a hash)."""
        project = Project.create(project_id=new_id(self._clock), name=name, plan=plan, at=self._clock.now())
        async with self._pool.acquire() as conn, conn.transaction():
            await self._save(conn, project, expected_version=0)
            key = await api_keys.issue(conn, kind="project", project_id=project.id)
            row = await self._get(conn, project.id)
        return row, key

    async def set_plan(self, project_id: UUID, plan: Plan) -> ProjectRow:
        async with self._pool.acquire() as conn, conn.transaction():
            loaded = await self._aggregates.load(conn, project_id)
            if loaded is None:
                raise ProjectNotFound(str(project_id))
            project: Project = loaded.aggregate
            project.change_plan(plan, at=self._clock.now())
            await self._save(conn, project, expected_version=loaded.version)
            return await self._get(conn, project_id)

    async def get(self, project_id: UUID) -> ProjectRow:
        async with self._pool.acquire() as conn:
            return await self._get(conn, project_id)

    async def exists(self, project_id: UUID) -> bool:
        try:
            await self.get(project_id)
        except ProjectNotFound:
            return False
        return True

    async def list(self) -> list[ProjectRow]:
        async with self._pool.acquire() as conn:
            return [_row(r) for r in await conn.fetch(_LIST)]

    async def create_key(self, project_id: UUID) -> str:
        async with self._pool.acquire() as conn, conn.transaction():
            await self._get(conn, project_id)
            return await api_keys.issue(conn, kind="project", project_id=project_id)

    async def revoke_key(self, prefix: str) -> bool:
        async with self._pool.acquire() as conn:
            return await api_keys.revoke(conn, prefix)

    async def create_staff_key(self, name: str) -> str:
        async with self._pool.acquire() as conn:
            return await api_keys.issue(conn, kind="staff", project_id=None, name=name)

    async def authenticate(self, secret: str) -> api_keys.Principal | None:
        async with self._pool.acquire() as conn:
            return await api_keys.authenticate(conn, secret)

    async def _save(self, conn: asyncpg.Connection, project: Project, *, expected_version: int) -> None:
        pending = project.collect_events()
        if not pending:
            return
        rows, changes = self._aggregates.encode(pending, tenant_id=project.id, key=None)
        for change in changes:
            await project_view.apply(conn, change)
        await event_store.append(
            conn, tenant_id=project.id, stream_id=project.id, expected_version=expected_version, events=rows
        )

    async def _get(self, conn: asyncpg.Connection, project_id: UUID) -> ProjectRow:
        row = await conn.fetchrow(_GET, project_id)
        if row is None:
            raise ProjectNotFound(str(project_id))
        return _row(row)


def _row(record: asyncpg.Record) -> ProjectRow:
    return ProjectRow(record["id"], record["name"], Plan(record["plan"]), record["created_at"])
