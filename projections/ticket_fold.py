from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.enums import Priority
from domain.queue import queue_rank
from projections.change import Change

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
MESSAGE_TYPES = ("uuid", "int", "uuid", "text", "bytea", "timestamptz")

_STATUS, _BREACHED, _COUNT, _FIRST_RESPONSE, _UPDATED, _VERSION = 5, 11, 13, 14, 16, 17


class TicketFold:
    """The ticket views built in memory from changes in log order, for a full rebuild:
    the rows projections.ticket_views.apply writes one event at a time, without a
    round trip per event. Messages leave as they come; ticket rows at the end."""

    def __init__(self) -> None:
        self._tickets: dict[UUID, list[Any]] = {}
        self._messages: list[tuple[Any, ...]] = []
        self.erased: list[UUID] = []

    def apply(self, change: Change) -> None:
        p, ticket_id = change.payload, change.stream_id
        if change.type == "Opened":
            self._opened(change)
            return
        row = self._tickets.get(ticket_id)
        if row is None:
            return
        row[_VERSION] = change.version
        match change.type:
            case "MessageAppended":
                at = _time(p["at"])
                row[_COUNT] += 1
                row[_UPDATED] = at
                if p["author"] == "support" and row[_FIRST_RESPONSE] is None:
                    row[_FIRST_RESPONSE] = at
                self._messages.append(
                    (
                        ticket_id,
                        row[_COUNT],
                        UUID(p["message_id"]),
                        p["author"],
                        change.sealed.get("body"),
                        at,
                    )
                )
            case "StatusChanged":
                row[_STATUS] = p["status"]
                row[_UPDATED] = _time(p["at"])
            case "Reopened":
                row[_STATUS] = "open"
                row[_UPDATED] = _time(p["at"])
            case "FirstResponseBreached":
                row[_BREACHED] = _time(p["at"])
            case "Erased":
                del self._tickets[ticket_id]
                self.erased.append(ticket_id)

    def _opened(self, change: Change) -> None:
        p, sealed, at = change.payload, change.sealed, _time(change.payload["at"])
        sla = p["sla"]
        due = sla["first_response_due_at"]
        self._tickets[change.stream_id] = [
            change.stream_id, UUID(p["project_id"]), sealed.get("subject"), sealed.get("contact_email"),
            p["priority"], "open", p["plan"], sla, sla["tier"],
            queue_rank(sla["priority_queue"], Priority(p["priority"])), _time(due) if due else None, None,
            UUID(p["follow_up_of"]) if p["follow_up_of"] else None, 1, None, at, at, change.version,
        ]  # fmt: skip
        self._messages.append(
            (change.stream_id, 1, UUID(p["message_id"]), "customer", sealed.get("body"), at)
        )

    def take_messages(self) -> list[tuple[Any, ...]]:
        taken, self._messages = self._messages, []
        return taken

    def ticket_rows(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._tickets.values()]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
