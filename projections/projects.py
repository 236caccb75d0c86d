from __future__ import annotations

import asyncpg

from projections.change import Change

_CREATED = """
INSERT INTO projects (id, name, plan, created_at, updated_at, version)
VALUES ($1, $2, $3, $4::text::timestamptz, $4::text::timestamptz, $5)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, plan = EXCLUDED.plan,
    created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version
"""
_PLAN_CHANGED = """
UPDATE projects SET plan = $2, updated_at = $3::text::timestamptz, version = $4 WHERE id = $1
"""


async def apply(conn: asyncpg.Connection, change: Change) -> None:
    p = change.payload
    if change.type == "ProjectCreated":
        await conn.execute(_CREATED, change.stream_id, p["name"], p["plan"], p["at"], change.version)
    elif change.type == "PlanChanged":
        await conn.execute(_PLAN_CHANGED, change.stream_id, p["plan"], p["at"], change.version)
