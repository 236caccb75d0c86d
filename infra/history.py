from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.enums import Actor
from domain.ticket import actor_of
from infra.aggregates import Aggregates, personal, schema
from infra.event_store import read_stream
from infra.sealing import Opener
from infra.ticket_reads import TicketNotFound


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
        codec = self._aggregates.codec
        entries = []
        # Auditors read fields, not objects: the stored JSON, upcast, is what they get.
        for row in recorded:
            data = codec.data(row.type, row.payload, personal(row, opener), schema(row))
            entries.append(
                HistoryEntry(row.type, row.version, row.recorded_at, actor_of(row.type, data), data)
            )
        return entries
