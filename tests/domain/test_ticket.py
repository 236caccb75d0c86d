from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.business_hours import BusinessCalendar
from domain.enums import Actor, Author, Priority, Status
from domain.errors import (
    FollowUpNotClosedError,
    FollowUpNotFoundError,
    TicketClosedError,
    TicketErasedError,
)
from domain.plans import Plan, sla_for
from domain.ticket import Ticket, TicketState

OPENED = datetime(2026, 12, 1, 10, tzinfo=UTC)
LATER = OPENED + timedelta(hours=1)


def open_ticket(plan: Plan = Plan.PILOT, project_id: UUID | None = None, **extra: object) -> Ticket:
    return Ticket.open(
        ticket_id=uuid4(),
        project_id=project_id or uuid4(),
        subject="Streaming cuts off mid-response",
        body="When I set stream:true the connection drops after ~30s.",
        message_id=uuid4(),
        priority=Priority.HIGH,
        contact_email="dev@example.com",
        plan=plan,
        sla=sla_for(plan, Priority.HIGH, OPENED, BusinessCalendar()),
        at=OPENED,
        **extra,  # type: ignore[arg-type]
    )


def event_names(ticket: Ticket) -> list[str]:
    return [type(e).__name__ for e in ticket.collect_events()]


def test_an_opened_ticket_is_open_with_its_first_message() -> None:
    ticket = open_ticket()
    assert ticket.status is Status.OPEN
    assert [m.author for m in ticket.messages] == [Author.CUSTOMER]
    assert event_names(ticket) == ["Opened"]


def test_a_customer_reply_on_a_resolved_ticket_reopens_it() -> None:
    ticket = open_ticket()
    ticket.change_status(Status.RESOLVED, actor=Actor.SUPPORT, at=LATER)
    ticket.reply(message_id=uuid4(), author=Author.CUSTOMER, body="still broken", at=LATER)
    assert ticket.status is Status.OPEN
    assert event_names(ticket)[-2:] == ["MessageAppended", "Reopened"]


def test_a_customer_reply_on_a_pending_ticket_returns_it_to_open() -> None:
    ticket = open_ticket()
    ticket.change_status(Status.PENDING, actor=Actor.SUPPORT, at=LATER)
    ticket.reply(message_id=uuid4(), author=Author.CUSTOMER, body="here are the logs", at=LATER)
    assert ticket.status is Status.OPEN
    assert event_names(ticket)[-2:] == ["MessageAppended", "StatusChanged"]


def test_a_support_reply_leaves_the_status_alone_and_records_the_first_response() -> None:
    ticket = open_ticket()
    ticket.change_status(Status.PENDING, actor=Actor.SUPPORT, at=LATER)
    ticket.reply(message_id=uuid4(), author=Author.SUPPORT, body="looking", at=LATER)
    ticket.reply(message_id=uuid4(), author=Author.SUPPORT, body="again", at=LATER + timedelta(hours=1))
    assert ticket.status is Status.PENDING
    assert ticket.first_response_at == LATER


def test_a_closed_ticket_refuses_replies() -> None:
    ticket = open_ticket()
    ticket.change_status(Status.CLOSED, actor=Actor.CUSTOMER, at=LATER)
    with pytest.raises(TicketClosedError):
        ticket.reply(message_id=uuid4(), author=Author.CUSTOMER, body="hello?", at=LATER)


@pytest.mark.parametrize("status", [Status.OPEN, Status.PENDING, Status.RESOLVED])
def test_a_closed_ticket_refuses_any_other_status(status: Status) -> None:
    ticket = open_ticket()
    ticket.change_status(Status.CLOSED, actor=Actor.CUSTOMER, at=LATER)
    with pytest.raises(TicketClosedError):
        ticket.change_status(status, actor=Actor.CUSTOMER, at=LATER)


def test_closing_a_closed_ticket_records_nothing() -> None:
    ticket = open_ticket()
    ticket.change_status(Status.CLOSED, actor=Actor.CUSTOMER, at=LATER)
    ticket.collect_events()
    ticket.change_status(Status.CLOSED, actor=Actor.CUSTOMER, at=LATER)
    assert event_names(ticket) == []


def test_the_same_status_records_nothing() -> None:
    ticket = open_ticket()
    ticket.collect_events()
    ticket.change_status(Status.OPEN, actor=Actor.CUSTOMER, at=LATER)
    assert event_names(ticket) == []


def test_erasure_drops_personal_fields_and_refuses_further_writes() -> None:
    ticket = open_ticket()
    ticket.erase(actor=Actor.SUPPORT, at=LATER)
    assert (ticket.subject, ticket.contact_email, ticket.messages[0].body) == (None, None, None)
    with pytest.raises(TicketErasedError):
        ticket.reply(message_id=uuid4(), author=Author.CUSTOMER, body="hi", at=LATER)


def test_the_sla_snapshot_is_what_the_ticket_keeps() -> None:
    ticket = open_ticket(Plan.ENTERPRISE)
    assert ticket.sla.first_response_target == "4 hours, 24/7 for urgent issues"
    assert ticket.plan is Plan.ENTERPRISE


def test_a_follow_up_must_continue_a_closed_ticket_of_the_same_project() -> None:
    project = uuid4()
    first = open_ticket(project_id=project)
    with pytest.raises(FollowUpNotClosedError):
        open_ticket(project_id=project, follow_up_of=first)
    first.change_status(Status.CLOSED, actor=Actor.CUSTOMER, at=LATER)
    with pytest.raises(FollowUpNotFoundError):
        open_ticket(project_id=uuid4(), follow_up_of=first)
    assert open_ticket(project_id=project, follow_up_of=first).follow_up_of == first.id


def test_replaying_the_events_rebuilds_the_same_ticket() -> None:
    ticket = open_ticket()
    ticket.reply(message_id=uuid4(), author=Author.SUPPORT, body="on it", at=LATER)
    ticket.change_status(Status.RESOLVED, actor=Actor.SUPPORT, at=LATER)
    replayed = None
    for event in ticket.collect_events():
        replayed = event.mutate(replayed)
    assert replayed == ticket


def test_a_restored_ticket_decides_like_the_replayed_one() -> None:
    ticket = open_ticket()
    ticket.reply(message_id=uuid4(), author=Author.SUPPORT, body="on it", at=LATER)
    ticket.change_status(Status.RESOLVED, actor=Actor.SUPPORT, at=LATER)
    ticket.collect_events()
    restored = Ticket.restore(
        TicketState(
            id=ticket.id, version=ticket.version, project_id=ticket.project_id, subject=ticket.subject,
            priority=ticket.priority, contact_email=ticket.contact_email, plan=ticket.plan, sla=ticket.sla,
            follow_up_of=None, status=ticket.status, messages=list(ticket.messages),
            opened_at=ticket.opened_at, updated_at=ticket.updated_at,
            first_response_at=ticket.first_response_at, breached_at=None,
        )
    )  # fmt: skip

    decided = []
    for t in (ticket, restored):
        t.reply(message_id=UUID(int=7), author=Author.CUSTOMER, body="back again", at=LATER)
        decided.append([(type(e).__name__, e.originator_version) for e in t.collect_events()])

    assert decided[0] == decided[1] == [("MessageAppended", 4), ("Reopened", 5)]
    clock_free = {"_created_on", "_modified_on"}  # the library's own wall-clock stamps
    assert {k: v for k, v in vars(restored).items() if k not in clock_free} == {
        k: v for k, v in vars(ticket).items() if k not in clock_free
    }
