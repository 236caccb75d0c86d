from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A rule of the domain said no; `code` is what the API envelope carries."""

    code: ClassVar[str] = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class TicketClosedError(DomainError):
    code = "ticket_closed"


class TicketErasedError(DomainError):
    code = "ticket_erased"


class FollowUpNotFoundError(DomainError):
    code = "follow_up_not_found"


class FollowUpNotClosedError(DomainError):
    code = "follow_up_not_closed"
