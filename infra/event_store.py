from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

_CONFLICT = "ZS409"


class VersionConflict(Exception):
    """The stream moved on since the command read it."""


@dataclass(frozen=True)
class NewEvent:
    type: str
    payload: dict[str, Any]
    pii: bytes | None = None
    key_id: UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedEvent:
    position: int
    tenant_id: UUID
    stream_id: UUID
    version: int
    type: str
    recorded_at: datetime
    payload: dict[str, Any]
    pii: bytes | None
    key_id: UUID | None
    metadata: dict[str, Any]


_APPEND = "SELECT append_events($1, $2, $3, $4, $5, $6, $7, $8)"
# In RecordedEvent's field order.
COLUMNS = (
    "position",
    "tenant_id",
    "stream_id",
    "version",
    "type",
    "recorded_at",
    "payload",
    "pii",
    "key_id",
    "metadata",
)
_COLUMNS = ", ".join(COLUMNS)
_READ_STREAM = f"""
SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND version <= $2 ORDER BY version
"""
_READ_AFTER = f"""
SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2
"""
_READ_TYPES_AFTER = f"""
SELECT {_COLUMNS} FROM events WHERE position > $1 AND type = ANY($3) ORDER BY position LIMIT $2
"""


async def append(
    conn: asyncpg.Connection,
    *,
    tenant_id: UUID,
    stream_id: UUID,
    expected_version: int,
    events: Sequence[NewEvent],
) -> int:
    """Appends after `expected_version`; returns the last event's position.

    Call it last in the command's transaction: it holds the log's ordering lock
    until commit, so everything before it runs without the lock."""
    try:
        position: int = await conn.fetchval(
            _APPEND, tenant_id, stream_id, expected_version, *append_arguments(events)
        )
    except asyncpg.PostgresError as error:
        raise conflict_from(error, stream_id) from error
    return position


def append_arguments(events: Sequence[NewEvent]) -> tuple[list[Any], ...]:
    """The column arrays `append_events()` takes, for callers that call it inside a
    larger statement."""
    return (
        [e.type for e in events],
        [e.payload for e in events],
        [e.pii for e in events],
        [e.key_id for e in events],
        [e.metadata for e in events],
    )


def conflict_from(error: asyncpg.PostgresError, stream_id: UUID) -> Exception:
    """A version conflict for what append_events() reports as one; the error itself otherwise."""
    if isinstance(error, asyncpg.UniqueViolationError) or error.sqlstate == _CONFLICT:
        return VersionConflict(str(stream_id))
    unrelated: Exception = error
    return unrelated


async def read_stream(
    conn: asyncpg.Connection, stream_id: UUID, *, to_version: int = 2**31 - 1
) -> list[RecordedEvent]:
    return [RecordedEvent(**r) for r in await conn.fetch(_READ_STREAM, stream_id, to_version)]


async def read_after(
    conn: asyncpg.Connection, position: int, limit: int = 1000, types: Sequence[str] | None = None
) -> list[RecordedEvent]:
    """The log after `position`, in order; only events of `types` when given."""
    if types is None:
        rows = await conn.fetch(_READ_AFTER, position, limit)
    else:
        rows = await conn.fetch(_READ_TYPES_AFTER, position, limit, list(types))
    return [RecordedEvent(*r) for r in rows]
