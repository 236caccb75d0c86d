from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from domain.plans import Plan
from infra.clock import new_id

_PREFIX_CHARS = 12

_INSERT = """
INSERT INTO api_keys (id, prefix, secret_hash, kind, project_id, name) VALUES ($1, $2, $3, $4, $5, $6)
"""
_REVOKE = "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL"
# The plan comes along: opening a ticket needs it, and this read happens anyway.
_LOOKUP = """
SELECT k.kind, k.project_id, p.plan FROM api_keys k LEFT JOIN projects p ON p.id = k.project_id
WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
"""


@dataclass(frozen=True)
class Principal:
    """Who a request speaks for: one project, or the Zumik team."""

    kind: str  # "project" | "staff"
    project_id: UUID | None
    plan: Plan | None = None


def digest(secret: str) -> bytes:
    # Keys carry 256 random bits, so a plain SHA-256 cannot be brute-forced; a slow
    # password hash would only slow every request down.
    return hashlib.sha256(secret.encode()).digest()


async def issue(
    conn: asyncpg.Connection, *, kind: str, project_id: UUID | None, name: str | None = None
) -> str:
    secret = f"zk_{'live' if kind == 'project' else 'staff'}_{secrets.token_urlsafe(32)}"
    await conn.execute(_INSERT, new_id(), secret[: _PREFIX_CHARS + 8], digest(secret), kind, project_id, name)
    return secret


async def revoke(conn: asyncpg.Connection, prefix: str) -> bool:
    return str(await conn.execute(_REVOKE, prefix)) != "UPDATE 0"


async def authenticate(conn: asyncpg.Connection, secret: str) -> Principal | None:
    row = await conn.fetchrow(_LOOKUP, digest(secret))
    if row is None:
        return None
    return Principal(row["kind"], row["project_id"], Plan(row["plan"]) if row["plan"] else None)
