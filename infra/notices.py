from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from domain.enums import Priority, Status
from domain.notices import NoticeKind
from domain.plans import SlaSnapshot
from domain.ticket import Ticket


@dataclass(frozen=True)
class Notice:
    """One piece of ticket activity as the team hears of it, rebuilt from the log at
    the event's version. `subject` and `message` are personal: None unless they were
    opened for an email, and None for good once the ticket is erased."""

    event_id: UUID
    kind: NoticeKind
    created_at: datetime
    ticket_id: UUID
    project_id: UUID
    priority: Priority
    status: Status
    sla: SlaSnapshot
    subject: str | None
    message: str | None


def event_id(stream_id: UUID, version: int) -> UUID:
    """A stable id for an event, the same on every retry and in every worker, so
    receivers can recognise a delivery they already have."""
    return uuid5(stream_id, str(version))


def notice_of(ticket: Ticket, kind: NoticeKind, version: int, created_at: datetime) -> Notice:
    """`ticket` as it stood right after the event at `version`."""
    message = ticket.messages[-1].body if kind is not NoticeKind.REOPENED else None
    return Notice(
        event_id=event_id(ticket.id, version),
        kind=kind,
        created_at=created_at,
        ticket_id=ticket.id,
        project_id=ticket.project_id,
        priority=ticket.priority,
        status=ticket.status,
        sla=ticket.sla,
        subject=ticket.subject,
        message=message,
    )
