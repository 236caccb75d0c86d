from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, Router, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream

from api import auth, validation
from api.errors import ApiError
from api.openapi import errors
from api.presenters import export_line, list_item, ticket_out
from api.reading import read_history, read_ticket
from api.schemas import OpenTicketBody, ReplyBody, SetStatusBody, TicketEvents, TicketList, TicketOut
from domain.enums import Actor, Author, Priority, Status
from domain.ids import Prefix, parse_id
from infra.api_keys import Principal
from infra.idempotency import IdempotentRequest, request_for
from infra.services import Services
from infra.ticket_reads import ListFilter
from infra.tickets import OpenTicket

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key", max_length=255, description="Same key and body within 24 h: same answer"
    ),
]
ProjectId = NamedDependency[UUID]
TicketPath = FromPath[str]
_WRITE_ERRORS = errors(400, 401, 404, 409, 413, 429, 503)


def idempotent(
    services: Services, key: str | None, request: Request[Any, Any, Any], data: Any
) -> IdempotentRequest | None:
    if key is None:
        return None
    return request_for(services.keyring, key, request.method, request.url.path, msgspec.json.encode(data))


@post("/tickets", status_code=201, responses=_WRITE_ERRORS, summary="Open a ticket")
async def open_ticket(
    data: JSONBody[OpenTicketBody],
    principal: NamedDependency[Principal],
    state: State,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> Response[TicketOut]:
    services: Services = state.services
    follow_up_of = None
    if data.follow_up_of is not None:
        follow_up_of = parse_id(Prefix.TICKET, data.follow_up_of)
        if follow_up_of is None:
            raise ApiError("follow_up_not_found", "No such ticket to follow up.", param="follow_up_of")
    command = OpenTicket(
        subject=validation.subject(data.subject),
        body=validation.body(data.body),
        priority=data.priority,
        contact_email=validation.email(data.contact_email),
        follow_up_of=follow_up_of,
    )
    assert principal.project_id is not None
    outcome = await services.tickets.open(
        principal.project_id, command, idempotent(services, idempotency_key, request, data), principal.plan
    )
    return Response(ticket_out(outcome.ticket, services.clock.now()), status_code=outcome.status_code)


@get("/tickets", responses=errors(400, 401, 429, 503), summary="List tickets, newest first")
async def list_tickets(
    project_id: ProjectId,
    state: State,
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    starting_after: Annotated[
        str | None, QueryParameter(description="A ticket id: the page after it")
    ] = None,
    ending_before: Annotated[
        str | None, QueryParameter(description="A ticket id: the page before it")
    ] = None,
    status: FromQuery[Status | None] = None,
    priority: FromQuery[Priority | None] = None,
) -> TicketList:
    after, before = validation.cursors(starting_after, ending_before)
    services: Services = state.services
    page = await services.queries.tickets(
        ListFilter(project_id, status, priority), limit=limit, starting_after=after, ending_before=before
    )
    now = services.clock.now()
    return TicketList(
        url="/v2/support/tickets", data=[list_item(t, now) for t in page.items], has_more=page.has_more
    )


@get("/tickets/{ticket_id:str}", responses=errors(400, 401, 404, 429, 503), summary="Retrieve a ticket")
async def get_ticket(
    ticket_id: TicketPath,
    project_id: ProjectId,
    state: State,
    version: Annotated[
        int | None, QueryParameter(ge=1, description="The ticket as it stood at this version")
    ] = None,
    as_of: Annotated[
        datetime | None, QueryParameter(description="The ticket as it stood at this time")
    ] = None,
) -> TicketOut:
    services: Services = state.services
    ticket = await read_ticket(services, validation.ticket_id(ticket_id), project_id, version, as_of)
    return ticket_out(ticket, services.clock.now())


@get("/tickets/{ticket_id:str}/events", responses=errors(401, 404, 429, 503), summary="A ticket's history")
async def ticket_events(ticket_id: TicketPath, project_id: ProjectId, state: State) -> TicketEvents:
    services: Services = state.services
    return await read_history(services, validation.ticket_id(ticket_id), project_id, "/v2/support/tickets")


@post("/tickets/{ticket_id:str}/messages", status_code=201, responses=_WRITE_ERRORS, summary="Reply")
async def reply(
    ticket_id: TicketPath,
    data: JSONBody[ReplyBody],
    project_id: ProjectId,
    state: State,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> Response[TicketOut]:
    services: Services = state.services
    outcome = await services.tickets.reply(
        project_id,
        validation.ticket_id(ticket_id),
        body=validation.body(data.body),
        author=Author.CUSTOMER,
        request=idempotent(services, idempotency_key, request, data),
    )
    return Response(ticket_out(outcome.ticket, services.clock.now()), status_code=outcome.status_code)


@patch("/tickets/{ticket_id:str}", responses=_WRITE_ERRORS, summary="Set the status")
async def set_status(
    ticket_id: TicketPath, data: JSONBody[SetStatusBody], project_id: ProjectId, state: State
) -> TicketOut:
    services: Services = state.services
    outcome = await services.tickets.set_status(
        project_id, validation.ticket_id(ticket_id), data.status, Actor.CUSTOMER
    )
    return ticket_out(outcome.ticket, services.clock.now())


@get(
    "/export",
    media_type="application/x-ndjson",
    responses=errors(400, 401, 429, 503),
    summary="Every ticket of the project, one JSON line each, resumable with ?after=<ticket id>",
)
async def export(
    project_id: ProjectId,
    state: State,
    after: Annotated[
        str | None, QueryParameter(description="Resume after this ticket id (the last line's)")
    ] = None,
) -> Stream:
    services: Services = state.services
    start = validation.cursor(after, "after")
    now = services.clock.now()

    async def lines() -> AsyncIterator[bytes]:
        async for item in services.export.tickets(project_id, start):
            yield export_line(item, now)

    return Stream(lines(), media_type="application/x-ndjson")


customer_router = Router(
    path="/v2/support",
    route_handlers=[open_ticket, list_tickets, get_ticket, ticket_events, reply, set_status, export],
    dependencies={"principal": Provide(auth.project_principal), "project_id": Provide(auth.project_id)},
    tags=["tickets"],
)
