from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from domain.enums import Priority
from domain.queue import queue_rank

# Column order of the rows below; the bulk writer inserts them in this order.
TICKET_COLUMNS = (
    "id", "project_id", "subject", "contact_email", "priority", "status", "plan", "sla", "sla_tier",
    "queue_rank", "first_response_due_at", "breached_at", "follow_up_of", "message_count",
    "first_response_at", "created_at", "updated_at", "version",
)  # fmt: skip
TICKET_TYPES = (
    "uuid", "uuid", "bytea", "bytea", "text", "text", "text", "jsonb", "text", "smallint",
    "timestamptz", "timestamptz", "uuid", "int", "timestamptz", "timestamptz", "timestamptz", "int",
)  # fmt: skip
MESSAGE_COLUMNS = ("ticket_id", "seq", "id", "author", "body", "created_at")

_STATUS, _BREACHED, _COUNT, _FIRST_RESPONSE, _UPDATED, _VERSION = 5, 11, 13, 14, 16, 17


# The log read for a fold: PostgreSQL pulls the fields out of the payload, typed, so
# the rebuilding process parses no JSON, times or UUIDs itself.
READ = """
SELECT position, type, stream_id, version, tenant_id, (payload->>'at')::timestamptz,
    payload->>'author', (payload->>'message_id')::uuid, payload->>'status', payload->>'priority',
    payload->>'plan', payload->'sla', (payload->'sla'->>'first_response_due_at')::timestamptz,
    (payload->>'follow_up_of')::uuid, pii
FROM events
WHERE position > $1 AND position <= $2 AND type = ANY($3)
ORDER BY position
LIMIT $4
"""
_TYPE, _STREAM, _EVENT_VERSION, _TENANT, _AT, _AUTHOR, _MESSAGE_ID = 1, 2, 3, 4, 5, 6, 7
_NEW_STATUS, _PRIORITY, _PLAN, _SLA, _DUE, _FOLLOW_UP, _PII = 8, 9, 10, 11, 12, 13, 14

Unpack = Callable[[bytes], dict[str, bytes | None]]


class TicketFold:
    """The ticket views built in memory from the log (rows of READ, in order), for a
    full rebuild: the rows projections.ticket_views.apply writes one event at a time,
    without a round trip per event. Messages leave as they come; ticket rows at the
    end, so memory grows with the number of tickets, not of events."""

    def __init__(self, unpack: Unpack) -> None:
        self._unpack = unpack
        self._tickets: dict[UUID, list[Any]] = {}
        self._messages: list[tuple[Any, ...]] = []
        self.erased: list[UUID] = []

    def apply(self, event: Sequence[Any]) -> None:
        kind, ticket_id = event[_TYPE], event[_STREAM]
        if kind == "Opened":
            self._opened(event)
            return
        row = self._tickets.get(ticket_id)
        if row is None:
            return
        row[_VERSION] = event[_EVENT_VERSION]
        at = event[_AT]
        match kind:
            case "MessageAppended":
                author = event[_AUTHOR]
                row[_COUNT] += 1
                row[_UPDATED] = at
                if author == "support" and row[_FIRST_RESPONSE] is None:
                    row[_FIRST_RESPONSE] = at
                body = self._sealed(event).get("body")
                self._messages.append((ticket_id, row[_COUNT], event[_MESSAGE_ID], author, body, at))
            case "StatusChanged":
                row[_STATUS] = event[_NEW_STATUS]
                row[_UPDATED] = at
            case "Reopened":
                row[_STATUS] = "open"
                row[_UPDATED] = at
            case "FirstResponseBreached":
                row[_BREACHED] = at
            case "Erased":
                del self._tickets[ticket_id]
                self.erased.append(ticket_id)

    def _opened(self, event: Sequence[Any]) -> None:
        sealed, sla, at, ticket_id = self._sealed(event), event[_SLA], event[_AT], event[_STREAM]
        priority = event[_PRIORITY]
        self._tickets[ticket_id] = [
            ticket_id, event[_TENANT], sealed.get("subject"), sealed.get("contact_email"),
            priority, "open", event[_PLAN], sla, sla["tier"],
            queue_rank(sla["priority_queue"], Priority(priority)), event[_DUE], None,
            event[_FOLLOW_UP], 1, None, at, at, event[_EVENT_VERSION],
        ]  # fmt: skip
        self._messages.append((ticket_id, 1, event[_MESSAGE_ID], "customer", sealed.get("body"), at))

    def _sealed(self, event: Sequence[Any]) -> dict[str, bytes | None]:
        pii = event[_PII]
        return self._unpack(pii) if pii is not None else {}

    def take_messages(self) -> list[tuple[Any, ...]]:
        taken, self._messages = self._messages, []
        return taken

    def ticket_rows(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._tickets.values()]
