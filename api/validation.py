from __future__ import annotations

import re
from uuid import UUID

from api.errors import ApiError
from domain.ids import Prefix, parse_id
from infra.ticket_reads import TicketNotFound

# Deliberately plain: one @, no spaces, a dot in the domain. Deliverability is the
# mail system's business; this only catches what cannot be an address.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def subject(text: str) -> str:
    trimmed = text.strip()
    if not 1 <= len(trimmed) <= 200:
        raise ApiError(
            "parameter_invalid", "subject must be 1 to 200 characters after trimming.", param="subject"
        )
    return trimmed


def body(text: str) -> str:
    if not text.strip():
        raise ApiError("parameter_invalid", "body must not be blank.", param="body")
    return text


def email(text: str | None) -> str | None:
    if text is None:
        return None
    if not _EMAIL.match(text):
        raise ApiError(
            "parameter_invalid", "contact_email is not a valid email address.", param="contact_email"
        )
    return text


def ticket_id(text: str) -> UUID:
    """An id that is not ours is answered like one that does not exist."""
    value = parse_id(Prefix.TICKET, text)
    if value is None:
        raise TicketNotFound(text)
    return value


def cursors(starting_after: str | None, ending_before: str | None) -> tuple[UUID | None, UUID | None]:
    """A list's keyset cursors: ticket ids, one direction at a time."""
    if starting_after is not None and ending_before is not None:
        raise ApiError(
            "parameter_invalid", "Give starting_after or ending_before, not both.", param="ending_before"
        )
    return cursor(starting_after, "starting_after"), cursor(ending_before, "ending_before")


def cursor(text: str | None, param: str) -> UUID | None:
    if text is None:
        return None
    value = parse_id(Prefix.TICKET, text)
    if value is None:
        raise ApiError("parameter_invalid", f"{param} must be a ticket id (spt_...).", param=param)
    return value
