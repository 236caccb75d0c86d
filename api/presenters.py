from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from api.schemas import (
    ErasedTicketOut,
    MessageOut,
    SlaOut,
    StaffQueueItem,
    StaffTicketOut,
    TicketEvent,
    TicketListItem,
    TicketOut,
)
from domain.ids import Prefix, format_id
from domain.sla import is_breached
from infra.export import ErasedTicket, ExportItem
from infra.history import HistoryEntry
from infra.ticket_records import TicketRecord

# Event data fields holding ids, printed the way the API prints ids everywhere else.
_ID_FIELDS = {"message_id": Prefix.MESSAGE, "project_id": Prefix.PROJECT, "follow_up_of": Prefix.TICKET}


def ticket_out(ticket: TicketRecord, now: datetime) -> TicketOut:
    return TicketOut(**_common(ticket, now), messages=_messages(ticket))


def staff_ticket_out(ticket: TicketRecord, now: datetime) -> StaffTicketOut:
    return StaffTicketOut(**_common(ticket, now), messages=_messages(ticket), project_id=_project(ticket))


def list_item(ticket: TicketRecord, now: datetime) -> TicketListItem:
    return TicketListItem(**_common(ticket, now), message_count=ticket.message_count)


def queue_item(ticket: TicketRecord, now: datetime) -> StaffQueueItem:
    return StaffQueueItem(
        **_common(ticket, now), message_count=ticket.message_count, project_id=_project(ticket)
    )


def event_out(entry: HistoryEntry) -> TicketEvent:
    data = {
        name: format_id(_ID_FIELDS[name], UUID(value)) if name in _ID_FIELDS and value else value
        for name, value in entry.data.items()
    }
    return TicketEvent(
        type=entry.type, version=entry.version, recorded_at=entry.recorded_at, actor=entry.actor, data=data
    )


_lines = msgspec.json.Encoder()


def export_line(item: ExportItem, now: datetime) -> bytes:
    """One NDJSON line of a data export: the ticket as GET shows it, or a placeholder
    that keeps an erased ticket's place without any of its data."""
    if isinstance(item, ErasedTicket):
        line: msgspec.Struct = ErasedTicketOut(id=format_id(Prefix.TICKET, item.id), erased_at=item.erased_at)
    else:
        line = ticket_out(item, now)
    return _lines.encode(line) + b"\n"


def _project(ticket: TicketRecord) -> str:
    return format_id(Prefix.PROJECT, ticket.project_id)


def _messages(ticket: TicketRecord) -> list[MessageOut]:
    return [
        MessageOut(id=format_id(Prefix.MESSAGE, m.id), author=m.author, body=m.body, created_at=m.created_at)
        for m in ticket.messages or ()
    ]


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
