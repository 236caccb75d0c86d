from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.enums import Priority, Status
from domain.plans import Plan, SlaSnapshot
from domain.ticket import Message, Ticket, TicketState


@dataclass(frozen=True)
class TicketRecord:
    """A ticket as readers see it, from a view or from a replay; plain values only."""

    id: UUID
    project_id: UUID
    subject: str | None
    priority: Priority
    status: Status
    plan: Plan
    sla: SlaSnapshot
    contact_email: str | None
    follow_up_of: UUID | None
    message_count: int
    messages: list[Message] | None  # None in list items
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    version: int
    breached_at: datetime | None = None

    @classmethod
    def from_aggregate(cls, ticket: Ticket) -> TicketRecord:
        return cls(
            id=ticket.id,
            project_id=ticket.project_id,
            subject=ticket.subject,
            priority=ticket.priority,
            status=ticket.status,
            plan=ticket.plan,
            sla=ticket.sla,
            contact_email=ticket.contact_email,
            follow_up_of=ticket.follow_up_of,
            message_count=len(ticket.messages),
            messages=list(ticket.messages),
            created_at=ticket.opened_at,
            updated_at=ticket.updated_at,
            first_response_at=ticket.first_response_at,
            version=ticket.version,
            breached_at=ticket.breached_at,
        )

    def state(self) -> TicketState:
        """The record as a snapshot the domain can restore a ticket from."""
        return TicketState(
            id=self.id,
            version=self.version,
            project_id=self.project_id,
            subject=self.subject,
            priority=self.priority,
            contact_email=self.contact_email,
            plan=self.plan,
            sla=self.sla,
            follow_up_of=self.follow_up_of,
            status=self.status,
            messages=list(self.messages or ()),
            opened_at=self.created_at,
            updated_at=self.updated_at,
            first_response_at=self.first_response_at,
            breached_at=self.breached_at,
        )
