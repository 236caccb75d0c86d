from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from infra.codec import Codec, DomainEvent
from infra.crypto import KeyRing, KeyUnavailableError
from infra.event_store import COLUMNS, NewEvent, RecordedEvent, read_stream
from infra.sealing import Opener, pack, seal_fields, unpack
from projections.change import Change

_GET_KEY = "SELECT wrapped FROM data_keys WHERE key_id = $1"
# The stream and its key in one round trip: every write starts with this read.
_STREAM_WITH_KEY = f"""
SELECT {", ".join(f"e.{c}" for c in COLUMNS)}, k.wrapped
FROM events e LEFT JOIN data_keys k ON k.key_id = e.stream_id
WHERE e.stream_id = $1 AND e.version <= $2 ORDER BY e.version
"""


@dataclass(frozen=True)
class Loaded:
    aggregate: Any
    recorded: list[RecordedEvent]
    key: bytes | None

    @property
    def version(self) -> int:
        return len(self.recorded)


class Aggregates:
    """Turns aggregates into sealed log rows and back. Personal fields are sealed
    with the stream's own data key before anything leaves the process."""

    def __init__(self, codec: Codec, keyring: KeyRing) -> None:
        self.codec = codec
        self.keyring = keyring

    async def data_key(self, conn: asyncpg.Connection, stream_id: UUID) -> bytes | None:
        """The stream's data key, or None once it was erased."""
        wrapped = await conn.fetchval(_GET_KEY, stream_id)
        return None if wrapped is None else self.keyring.unwrap(stream_id, wrapped)

    def encode(
        self,
        events: Sequence[DomainEvent],
        *,
        tenant_id: UUID,
        key: bytes | None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[list[NewEvent], list[Change]]:
        rows, changes = [], []
        for event in events:
            encoded = self.codec.encode(event)
            sealed: dict[str, bytes | None] = {}
            if encoded.personal:
                if key is None:
                    raise KeyUnavailableError("personal data needs the stream's data key")
                sealed = seal_fields(key, event.originator_id, encoded.personal)
            meta = {"schema": encoded.schema, **(metadata or {})}
            rows.append(
                NewEvent(
                    type=encoded.type,
                    payload=encoded.payload,
                    pii=pack(sealed) if sealed else None,
                    key_id=event.originator_id if sealed else None,
                    metadata=meta,
                )
            )
            changes.append(
                Change(
                    tenant_id,
                    event.originator_id,
                    event.originator_version,
                    encoded.type,
                    encoded.payload,
                    sealed,
                )
            )
        return rows, changes

    def decode(self, recorded: RecordedEvent, opener: Opener | None) -> DomainEvent:
        """The domain event of a log row; personal fields open only with the stream's Opener."""
        return self.codec.decode(
            recorded.type,
            stream_id=recorded.stream_id,
            version=recorded.version,
            recorded_at=recorded.recorded_at,
            payload=recorded.payload,
            personal=personal(recorded, opener),
            schema=schema(recorded),
        )

    async def load(
        self,
        conn: asyncpg.Connection,
        stream_id: UUID,
        *,
        with_personal: bool = False,
        to_version: int = 2**31 - 1,
    ) -> Loaded | None:
        """Replays a stream into its aggregate. Personal fields stay None unless asked
        for (or once erased): deciding a command never needs them."""
        if with_personal:
            rows = await conn.fetch(_STREAM_WITH_KEY, stream_id, to_version)
            wrapped = rows[0]["wrapped"] if rows else None
            recorded = [RecordedEvent(*row[:-1]) for row in rows]
            key = None if wrapped is None else self.keyring.unwrap(stream_id, wrapped)
        else:
            recorded, key = await read_stream(conn, stream_id, to_version=to_version), None
        if not recorded:
            return None
        opener = Opener(key, stream_id) if key is not None else None
        aggregate: Any = None
        for row in recorded:
            aggregate = self.decode(row, opener).mutate(aggregate)
        return Loaded(aggregate, recorded, key)


def personal(recorded: RecordedEvent, opener: Opener | None) -> dict[str, str | None] | None:
    if opener is None or recorded.pii is None:
        return None
    return {name: opener.open(name, blob) for name, blob in unpack(recorded.pii).items()}


def schema(recorded: RecordedEvent) -> int:
    return int(recorded.metadata.get("schema", 1))


def change_of(recorded: RecordedEvent) -> Change:
    return Change(
        recorded.tenant_id,
        recorded.stream_id,
        recorded.version,
        recorded.type,
        recorded.payload,
        unpack(recorded.pii) if recorded.pii is not None else {},
    )
