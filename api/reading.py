from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api.errors import ApiError
from api.presenters import event_out
from api.schemas import TicketEvents
from domain.ids import Prefix, format_id
from infra.services import Services
from infra.ticket_records import TicketRecord


async def read_ticket(
    services: Services, ticket_id: UUID, scope: UUID | None, version: int | None, as_of: datetime | None
) -> TicketRecord:
    """The ticket now from its view, or as it stood then, replayed from its events."""
    if version is not None and as_of is not None:
        raise ApiError("parameter_invalid", "Give version or as_of, not both.", param="as_of")
    if as_of is not None and as_of.tzinfo is None:
        raise ApiError(
            "parameter_invalid", "as_of needs a time zone, e.g. 2026-12-01T10:00:00Z.", param="as_of"
        )
    return await services.queries.ticket(ticket_id, scope, version=version, as_of=as_of)


async def read_history(services: Services, ticket_id: UUID, scope: UUID | None, base: str) -> TicketEvents:
    entries = await services.queries.history(ticket_id, scope)
    url = f"{base}/{format_id(Prefix.TICKET, ticket_id)}/events"
    return TicketEvents(url=url, data=[event_out(e) for e in entries])
