from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from domain.enums import Actor, Author, Priority, Status
from domain.plans import Plan, SlaTier

Subject = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, description="1-200 characters after trimming")
]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=50_000)]
Email = Annotated[str, msgspec.Meta(max_length=254, description="a valid email address")]


class OpenTicketBody(msgspec.Struct, forbid_unknown_fields=True):
    subject: Subject
    body: Body
    priority: Priority = Priority.NORMAL
    contact_email: Email | None = None
    follow_up_of: str | None = None


class ReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    body: Body


class StaffReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    body: Body
    status: Status | None = None


class SetStatusBody(msgspec.Struct, forbid_unknown_fields=True):
    status: Status


class SlaOut(msgspec.Struct):
    tier: SlaTier
    first_response_target: str
    priority_queue: bool
    first_response_due_at: datetime | None


class MessageOut(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["support_message"] = "support_message"
    author: Author
    body: str | None
    created_at: datetime


class TicketOut(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["support_ticket"] = "support_ticket"
    subject: str | None
    priority: Priority
    status: Status
    plan_tier: Plan
    sla: SlaOut
    contact_email: str | None
    messages: list[MessageOut]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    sla_breached: bool
    version: int
    follow_up_of: str | None


class TicketListItem(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["support_ticket"] = "support_ticket"
    subject: str | None
    priority: Priority
    status: Status
    plan_tier: Plan
    sla: SlaOut
    contact_email: str | None
    message_count: int
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    sla_breached: bool
    version: int
    follow_up_of: str | None


class TicketList(msgspec.Struct, kw_only=True):
    object: Literal["list"] = "list"
    url: str
    data: list[TicketListItem]
    has_more: bool


class ErrorDetail(msgspec.Struct):
    type: str
    code: str
    message: str
    param: str | None
    request_id: str | None


class ErrorEnvelope(msgspec.Struct):
    error: ErrorDetail


class StaffTicketOut(TicketOut, kw_only=True):
    project_id: str


class StaffQueueItem(TicketListItem, kw_only=True):
    project_id: str


class StaffQueue(msgspec.Struct, kw_only=True):
    object: Literal["list"] = "list"
    url: str
    data: list[StaffQueueItem]
    has_more: bool


class TicketEvent(msgspec.Struct, kw_only=True):
    object: Literal["support_ticket_event"] = "support_ticket_event"
    type: str
    version: int
    recorded_at: datetime
    actor: Actor
    data: dict[str, Any]


class TicketEvents(msgspec.Struct, kw_only=True):
    object: Literal["list"] = "list"
    url: str
    data: list[TicketEvent]
    has_more: bool = False


class ErasedTicketOut(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["support_ticket"] = "support_ticket"
    erased: Literal[True] = True
    erased_at: datetime | None


class ErasureBody(msgspec.Struct, forbid_unknown_fields=True):
    contact_email: Email | None = None


class ErasureOut(msgspec.Struct, kw_only=True):
    object: Literal["erasure"] = "erasure"
    project_id: str
    contact_email_matched: bool
    tickets_erased: list[str]
