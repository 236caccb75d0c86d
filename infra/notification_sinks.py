from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import httpx
import msgspec

from domain.enums import Priority, Status
from domain.ids import Prefix, format_id
from domain.notices import NoticeKind
from domain.plans import SlaSnapshot
from infra.channel_settings import EmailChannel, WebhookChannel
from infra.notices import Notice


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # the sink may take it later: a timeout, a 5xx, a 429
    REFUSED = "refused"  # the sink said no for good: retrying the same request cannot help
    UNSENDABLE = "unsendable"  # the content is gone (erased): nothing left to send


@dataclass(frozen=True)
class Sent:
    outcome: DeliveryOutcome
    # An HTTP status or an error class: never a response body, which may echo the message.
    error: str | None = None


class Sink(Protocol):
    channel: str

    async def send(self, client: httpx.AsyncClient, notice: Notice, unix_now: int) -> Sent: ...


class _WebhookData(msgspec.Struct):
    ticket_id: str
    project_id: str
    priority: Priority
    status: Status
    sla: SlaSnapshot


class _WebhookBody(msgspec.Struct):
    id: str
    type: NoticeKind
    created_at: datetime
    data: _WebhookData


_json = msgspec.json.Encoder()


class WebhookSink:
    """The shared ops webhook: ids, priority, status and SLA; no personal data."""

    channel = "webhook"

    def __init__(self, settings: WebhookChannel) -> None:
        self._settings = settings

    def body(self, notice: Notice) -> bytes:
        data = _WebhookData(
            ticket_id=format_id(Prefix.TICKET, notice.ticket_id),
            project_id=format_id(Prefix.PROJECT, notice.project_id),
            priority=notice.priority,
            status=notice.status,
            sla=notice.sla,
        )
        event = format_id(Prefix.EVENT, notice.event_id)
        return _json.encode(_WebhookBody(id=event, type=notice.kind, created_at=notice.created_at, data=data))

    async def send(self, client: httpx.AsyncClient, notice: Notice, unix_now: int) -> Sent:
        body = self.body(notice)
        headers = {
            "Content-Type": "application/json",
            "Zumik-Signature": signature(self._settings.secret, unix_now, body),
        }
        return await _post(client, self._settings.url, body, headers)


def signature(secret: bytes, unix_time: int, body: bytes) -> str:
    digest = hmac.new(secret, f"{unix_time}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={unix_time},v1={digest}"


_SUBJECT_LINES = {
    NoticeKind.OPENED: "New {priority} ticket: {subject}",
    NoticeKind.MESSAGE_CREATED: "Customer reply: {subject}",
}


class _Email(msgspec.Struct):
    to: list[str]
    subject: str
    text: str
    from_: str = msgspec.field(name="from")


class EmailSink:
    """An email to the team through Resend, with the ticket's subject and the new message."""

    channel = "email"

    def __init__(self, settings: EmailChannel) -> None:
        self._settings = settings

    def email(self, notice: Notice) -> _Email | None:
        line = _SUBJECT_LINES.get(notice.kind)
        if line is None or notice.subject is None or notice.message is None:
            return None
        ticket = format_id(Prefix.TICKET, notice.ticket_id)
        due = notice.sla.first_response_due_at
        footer = [
            f"Ticket {ticket} of project {format_id(Prefix.PROJECT, notice.project_id)}",
            f"Priority {notice.priority}, status {notice.status}, SLA {notice.sla.tier}"
            + (f", first response due {due.isoformat()}" if due else ""),
        ]
        return _Email(
            from_=self._settings.sender,
            to=[self._settings.team_address],
            subject=line.format(priority=notice.priority, subject=notice.subject),
            text="\n".join([notice.message, "", "--", *footer]),
        )

    async def send(self, client: httpx.AsyncClient, notice: Notice, unix_now: int) -> Sent:
        email = self.email(notice)
        if email is None:
            return Sent(DeliveryOutcome.UNSENDABLE, "erased")
        headers = {
            "Authorization": f"Bearer {self._settings.api_key}",
            "Content-Type": "application/json",
            # Resend keeps the first email sent under a key: a retry after a lost
            # response does not mail the team twice.
            "Idempotency-Key": format_id(Prefix.EVENT, notice.event_id),
        }
        return await _post(client, f"{self._settings.base_url}/emails", _json.encode(email), headers)


_RETRYABLE = {408, 425, 429}


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> Sent:
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return Sent(DeliveryOutcome.RETRY, type(error).__name__)
    status = response.status_code
    if 200 <= status < 300:
        return Sent(DeliveryOutcome.DELIVERED)
    if status >= 500 or status in _RETRYABLE:
        return Sent(DeliveryOutcome.RETRY, f"HTTP {status}")
    return Sent(DeliveryOutcome.REFUSED, f"HTTP {status}")
