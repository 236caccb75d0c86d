from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from domain.enums import Author


class NoticeKind(StrEnum):
    """Ticket activity the team is told about, named as the ops webhook names it."""

    OPENED = "ticket.opened"
    MESSAGE_CREATED = "ticket.message_created"
    REOPENED = "ticket.reopened"


# The events that may notify; a reader of the log asks only for these.
NOTIFYING_EVENTS = ("Opened", "MessageAppended", "Reopened")


def notice_for(event_name: str, fields: Mapping[str, Any]) -> NoticeKind | None:
    """What the team hears of an event: new tickets and whatever the customer says or
    reopens. The team's own replies, status changes and the system's notes are its own."""
    if event_name == "Opened":
        return NoticeKind.OPENED
    if event_name == "Reopened":
        return NoticeKind.REOPENED
    if event_name == "MessageAppended" and fields.get("author") == Author.CUSTOMER:
        return NoticeKind.MESSAGE_CREATED
    return None
