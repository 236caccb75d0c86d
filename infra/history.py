from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from domain.enums import Actor
from infra.aggregates import Aggregates
from infra.codec import DomainEvent
from infra.event_store import read_stream
from infra.sealing import Opener
from infra.ticket_reads import TicketNotFound

# Envelope fields the log keeps in its own columns; auditors get them as columns too.
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}


@dataclass(frozen=True)
class HistoryEntry:
    type: str
    version: int
    recorded_at: datetime
    actor: Actor
    data: dict[str, Any]


class History:
    """A ticket's events for auditors: in order, with who did it, personal fields
    readable while the ticket's key exists and None after erasure."""

    def __init__(self, aggregates: Aggregates) -> None:
        self._aggregates = aggregates

    async def of(self, conn: asyncpg.Connection, ticket_id: UUID, scope: UUID | None) -> list[HistoryEntry]:
        recorded = await read_stream(conn, ticket_id)
        # The log, not a view, decides ownership: an erased ticket has no view row
        # but its history stays readable to its project.
        if (
            not recorded
            or recorded[0].type != "Opened"
            or (scope is not None and recorded[0].tenant_id != scope)
        ):
            raise TicketNotFound(str(ticket_id))
        key = await self._aggregates.data_key(conn, ticket_id)
        opener = Opener(key, ticket_id) if key is not None else None
        entries = []
        for row in recorded:
            event = self._aggregates.decode(row, opener)
            entries.append(HistoryEntry(row.type, row.version, row.recorded_at, _actor(event), _data(event)))
        return entries


def _actor(event: DomainEvent) -> Actor:
    # Every ticket event names who caused it, as a field or a property.
    return Actor(getattr(event, "actor"))  # noqa: B009


def _data(event: DomainEvent) -> dict[str, Any]:
    values = {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
    data: dict[str, Any] = msgspec.to_builtins(values)
    return data
