from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.enums import Actor, Author, Priority, Status
from domain.errors import (
    FollowUpNotClosedError,
    FollowUpNotFoundError,
    TicketClosedError,
    TicketErasedError,
)
from domain.plans import Plan, SlaSnapshot


@dataclass(frozen=True)
class Message:
    id: UUID
    author: Author
    body: str | None  # None once the ticket is erased
    created_at: datetime


@dataclass(frozen=True)
class TicketState:
    """A ticket's state at a version, as kept beside the log (a snapshot): enough to
    decide the next command without replaying every event."""

    id: UUID
    version: int
    project_id: UUID
    subject: str | None
    priority: Priority
    contact_email: str | None
    plan: Plan
    sla: SlaSnapshot
    follow_up_of: UUID | None
    status: Status
    messages: list[Message]
    opened_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    breached_at: datetime | None


def actor_of(event_name: str, fields: Mapping[str, Any]) -> Actor:
    """Who caused a ticket event: named in the event, implied by its author, or, for
    an opening, the customer; what the system noticed by itself has no one else."""
    if "actor" in fields:
        return Actor(fields["actor"])
    if "author" in fields:
        return Actor(fields["author"])
    return Actor.CUSTOMER if event_name == "Opened" else Actor.SYSTEM


class Ticket(Aggregate):
    """A support ticket. Personal fields (subject, contact_email, bodies) are None
    when they were not unsealed for this read, or after erasure."""

    class Opened(Aggregate.Created):
        project_id: UUID
        subject: str | None
        body: str | None
        message_id: UUID
        priority: Priority
        contact_email: str | None
        plan: Plan
        sla: SlaSnapshot
        follow_up_of: UUID | None
        at: datetime

    class MessageAppended(Aggregate.Event):
        message_id: UUID
        author: Author
        body: str | None
        at: datetime

    class StatusChanged(Aggregate.Event):
        status: Status
        actor: Actor
        at: datetime

    class Reopened(Aggregate.Event):
        actor: Actor
        at: datetime

    class FirstResponseBreached(Aggregate.Event):
        due_at: datetime
        at: datetime

    class Erased(Aggregate.Event):
        actor: Actor
        at: datetime

    @classmethod
    def open(
        cls,
        *,
        ticket_id: UUID,
        project_id: UUID,
        subject: str,
        body: str,
        message_id: UUID,
        priority: Priority,
        contact_email: str | None,
        plan: Plan,
        sla: SlaSnapshot,
        at: datetime,
        follow_up_of: Ticket | None = None,
    ) -> Ticket:
        if follow_up_of is not None:
            if follow_up_of.project_id != project_id or follow_up_of.erased:
                raise FollowUpNotFoundError("No such ticket to follow up.", param="follow_up_of")
            if follow_up_of.status is not Status.CLOSED:
                raise FollowUpNotClosedError(
                    "A follow-up continues a closed ticket; this one is still active.",
                    param="follow_up_of",
                )
        return cls._create(
            cls.Opened,
            id=ticket_id,
            project_id=project_id,
            subject=subject,
            body=body,
            message_id=message_id,
            priority=priority,
            contact_email=contact_email,
            plan=plan,
            sla=sla,
            follow_up_of=follow_up_of.id if follow_up_of else None,
            at=at,
        )

    @classmethod
    def restore(cls, state: TicketState) -> Ticket:
        """The ticket as it stood at `state.version`; new events follow from there."""
        ticket = cls.__new__(cls)
        ticket.__base_init__(state.id, state.version, state.opened_at)
        ticket.modified_on = state.updated_at
        ticket.project_id = state.project_id
        ticket.subject = state.subject
        ticket.priority = state.priority
        ticket.contact_email = state.contact_email
        ticket.plan = state.plan
        ticket.sla = state.sla
        ticket.follow_up_of = state.follow_up_of
        ticket.status = state.status
        ticket.messages = list(state.messages)
        ticket.opened_at = state.opened_at
        ticket.updated_at = state.updated_at
        ticket.first_response_at = state.first_response_at
        ticket.breached_at = state.breached_at
        ticket.erased = False  # erased tickets keep no state to restore from
        return ticket

    @event(Opened)
    def __init__(
        self,
        *,
        project_id: UUID,
        subject: str | None,
        body: str | None,
        message_id: UUID,
        priority: Priority,
        contact_email: str | None,
        plan: Plan,
        sla: SlaSnapshot,
        follow_up_of: UUID | None,
        at: datetime,
    ) -> None:
        self.project_id = project_id
        self.subject = subject
        self.priority = priority
        self.contact_email = contact_email
        self.plan = plan
        self.sla = sla
        self.follow_up_of = follow_up_of
        self.status = Status.OPEN
        self.messages = [Message(message_id, Author.CUSTOMER, body, at)]
        self.opened_at = at
        self.updated_at = at
        self.first_response_at: datetime | None = None
        self.breached_at: datetime | None = None
        self.erased = False

    def reply(self, *, message_id: UUID, author: Author, body: str, at: datetime) -> None:
        self._ensure_writable()
        self._message_appended(message_id=message_id, author=author, body=body, at=at)
        if author is Author.CUSTOMER:
            actor = Actor.CUSTOMER
            if self.status is Status.RESOLVED:
                self._reopened(actor=actor, at=at)
            elif self.status is Status.PENDING:
                self._status_changed(status=Status.OPEN, actor=actor, at=at)

    def change_status(self, status: Status, *, actor: Actor, at: datetime) -> None:
        if self.erased:
            raise TicketErasedError("This ticket was erased.")
        if self.status is Status.CLOSED and status is not Status.CLOSED:
            raise TicketClosedError(
                "This ticket is closed and final; open a new ticket instead.", param="status"
            )
        if status is not self.status:  # the same status records nothing; the caller still answers
            self._status_changed(status=status, actor=actor, at=at)

    def record_breach(self, *, now: datetime) -> bool:
        """Records, once, that the first-response due time passed with no team reply."""
        due = self.sla.first_response_due_at
        if due is None or now <= due or self.first_response_at is not None:
            return False
        if self.breached_at is not None or self.erased:
            return False
        self._first_response_breached(due_at=due, at=now)
        return True

    def erase(self, *, actor: Actor, at: datetime) -> None:
        if not self.erased:
            self._erased(actor=actor, at=at)

    def _ensure_writable(self) -> None:
        if self.erased:
            raise TicketErasedError("This ticket was erased.")
        if self.status is Status.CLOSED:
            raise TicketClosedError("This ticket is closed and final; open a new ticket instead.")

    @event(MessageAppended)
    def _message_appended(self, message_id: UUID, author: Author, body: str | None, at: datetime) -> None:
        self.messages.append(Message(message_id, author, body, at))
        if author is Author.SUPPORT and self.first_response_at is None:
            self.first_response_at = at
        self.updated_at = at

    @event(StatusChanged)
    def _status_changed(self, status: Status, actor: Actor, at: datetime) -> None:
        self.status = status
        self.updated_at = at

    @event(Reopened)
    def _reopened(self, actor: Actor, at: datetime) -> None:
        self.status = Status.OPEN
        self.updated_at = at

    @event(FirstResponseBreached)
    def _first_response_breached(self, due_at: datetime, at: datetime) -> None:
        self.breached_at = at

    @event(Erased)
    def _erased(self, actor: Actor, at: datetime) -> None:
        self.erased = True
        self.subject = None
        self.contact_email = None
        self.messages = [Message(m.id, m.author, None, m.created_at) for m in self.messages]
        self.updated_at = at
