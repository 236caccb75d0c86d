from __future__ import annotations

from datetime import datetime
from typing import Any

from api.schemas import MessageOut, SlaOut, TicketListItem, TicketOut
from domain.ids import Prefix, format_id
from domain.sla import is_breached
from infra.ticket_records import TicketRecord


def ticket_out(ticket: TicketRecord, now: datetime) -> TicketOut:
    messages = [
        MessageOut(id=format_id(Prefix.MESSAGE, m.id), author=m.author, body=m.body, created_at=m.created_at)
        for m in ticket.messages or ()
    ]
    return TicketOut(**_common(ticket, now), messages=messages)


def list_item(ticket: TicketRecord, now: datetime) -> TicketListItem:
    return TicketListItem(**_common(ticket, now), message_count=ticket.message_count)


def _common(ticket: TicketRecord, now: datetime) -> dict[str, Any]:
    sla = ticket.sla
    return {
        "id": format_id(Prefix.TICKET, ticket.id),
        "subject": ticket.subject,
        "priority": ticket.priority,
        "status": ticket.status,
        "plan_tier": ticket.plan,
        "sla": SlaOut(
            tier=sla.tier,
            first_response_target=sla.first_response_target,
            priority_queue=sla.priority_queue,
            first_response_due_at=sla.first_response_due_at,
        ),
        "contact_email": ticket.contact_email,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "sla_breached": is_breached(sla.first_response_due_at, ticket.first_response_at, now),
        "version": ticket.version,
        "follow_up_of": format_id(Prefix.TICKET, ticket.follow_up_of) if ticket.follow_up_of else None,
    }
