from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import asyncpg

from infra.crypto import KeyRing

RETENTION = timedelta(hours=24)


class IdempotencyKeyReused(Exception):
    """The key was used before with a different request."""


@dataclass(frozen=True)
class IdempotentRequest:
    key_hash: bytes
    fingerprint: bytes


@dataclass(frozen=True)
class FirstResponse:
    status_code: int
    ticket_id: UUID
    ticket_version: int


def request_for(keyring: KeyRing, key: str, method: str, path: str, body: bytes) -> IdempotentRequest:
    return IdempotentRequest(
        key_hash=keyring.fingerprint(b"idempotency-key", key.encode()),
        fingerprint=keyring.fingerprint(method.encode(), path.encode(), body),
    )


_FIND = """
SELECT request_hash, status_code, ticket_id, ticket_version FROM idempotency_keys
WHERE project_id = $1 AND key_hash = $2 AND created_at > now() - $3::interval
"""
# An expired record is replaced: after 24 h the key is free again.
_RECORD = """
INSERT INTO idempotency_keys (project_id, key_hash, request_hash, status_code, ticket_id, ticket_version)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (project_id, key_hash) DO UPDATE SET request_hash = EXCLUDED.request_hash,
    status_code = EXCLUDED.status_code, ticket_id = EXCLUDED.ticket_id,
    ticket_version = EXCLUDED.ticket_version, created_at = now()
WHERE idempotency_keys.created_at <= now() - $7::interval
"""


async def find(
    conn: asyncpg.Connection, project_id: UUID, request: IdempotentRequest
) -> FirstResponse | None:
    row = await conn.fetchrow(_FIND, project_id, request.key_hash, RETENTION)
    if row is None:
        return None
    if row["request_hash"] != request.fingerprint:
        raise IdempotencyKeyReused()
    return FirstResponse(row["status_code"], row["ticket_id"], row["ticket_version"])


async def record(
    conn: asyncpg.Connection, project_id: UUID, request: IdempotentRequest, response: FirstResponse
) -> bool:
    """False when a concurrent request with the same key recorded first."""
    status = await conn.execute(
        _RECORD,
        project_id,
        request.key_hash,
        request.fingerprint,
        response.status_code,
        response.ticket_id,
        response.ticket_version,
        RETENTION,
    )
    return str(status) != "INSERT 0 0"
