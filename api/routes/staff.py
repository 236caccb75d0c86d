from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, Router, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api import auth, validation
from api.errors import ApiError
from api.openapi import errors
from api.presenters import queue_item, staff_ticket_out
from api.reading import read_history, read_ticket
from api.routes.tickets import IdempotencyKey, idempotent
from api.schemas import (
    ErasureBody,
    ErasureOut,
    SetStatusBody,
    StaffQueue,
    StaffReplyBody,
    StaffTicketOut,
    TicketEvents,
)
from domain.enums import Actor, Author, Priority
from domain.ids import Prefix, format_id, parse_id
from domain.plans import SlaTier
from infra.erasure import erase
from infra.services import Services
from infra.ticket_reads import QueueFilter

TicketPath = FromPath[str]
_BASE = "/v2/staff/support/tickets"


@get(
    "/support/queue",
    responses=errors(400, 401, 429, 503),
    summary="Open tickets of every project, in queue order",
)
async def queue(
    state: State,
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    starting_after: FromQuery[str | None] = None,
    ending_before: FromQuery[str | None] = None,
    tier: FromQuery[SlaTier | None] = None,
    priority: FromQuery[Priority | None] = None,
    breached: FromQuery[bool | None] = None,
) -> StaffQueue:
    after, before = validation.cursors(starting_after, ending_before)
    services: Services = state.services
    now = services.clock.now()
    page = await services.queries.queue(
        QueueFilter(now, tier, priority, breached), limit=limit, starting_after=after, ending_before=before
    )
    return StaffQueue(
        url="/v2/staff/support/queue", data=[queue_item(t, now) for t in page.items], has_more=page.has_more
    )


@get("/support/tickets/{ticket_id:str}", responses=errors(400, 401, 404, 429, 503), summary="Retrieve")
async def get_ticket(
    ticket_id: TicketPath,
    state: State,
    version: Annotated[int | None, QueryParameter(ge=1)] = None,
    as_of: FromQuery[datetime | None] = None,
) -> StaffTicketOut:
    services: Services = state.services
    ticket = await read_ticket(services, validation.ticket_id(ticket_id), None, version, as_of)
    return staff_ticket_out(ticket, services.clock.now())


@get("/support/tickets/{ticket_id:str}/events", responses=errors(401, 404, 429, 503), summary="History")
async def ticket_events(ticket_id: TicketPath, state: State) -> TicketEvents:
    return await read_history(state.services, validation.ticket_id(ticket_id), None, _BASE)


@post(
    "/support/tickets/{ticket_id:str}/messages",
    status_code=201,
    responses=errors(400, 401, 404, 409, 413, 429, 503),
    summary="Reply as the Zumik team, optionally moving the status",
)
async def reply(
    ticket_id: TicketPath,
    data: JSONBody[StaffReplyBody],
    state: State,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> Response[StaffTicketOut]:
    services: Services = state.services
    outcome = await services.tickets.reply(
        None,
        validation.ticket_id(ticket_id),
        body=validation.body(data.body),
        author=Author.SUPPORT,
        status=data.status,
        request=idempotent(services, idempotency_key, request, data),
    )
    return Response(staff_ticket_out(outcome.ticket, services.clock.now()), status_code=outcome.status_code)


@patch(
    "/support/tickets/{ticket_id:str}",
    responses=errors(400, 401, 404, 409, 413, 429, 503),
    summary="Set the status",
)
async def set_status(ticket_id: TicketPath, data: JSONBody[SetStatusBody], state: State) -> StaffTicketOut:
    services: Services = state.services
    outcome = await services.tickets.set_status(
        None, validation.ticket_id(ticket_id), data.status, Actor.SUPPORT
    )
    return staff_ticket_out(outcome.ticket, services.clock.now())


@post(
    "/projects/{project_id:str}/erasure",
    status_code=200,
    responses=errors(400, 401, 404, 429, 503),
    summary="A deletion request: erase a project's tickets, or those of one contact email",
)
async def erasure(project_id: FromPath[str], data: JSONBody[ErasureBody], state: State) -> ErasureOut:
    services: Services = state.services
    project = parse_id(Prefix.PROJECT, project_id)
    if project is None or not await services.projects.exists(project):
        raise ApiError("resource_missing", "No such project.", param="project_id")
    erased = await erase(services, project, validation.email(data.contact_email))
    return ErasureOut(
        project_id=project_id,
        contact_email_matched=data.contact_email is not None,
        tickets_erased=[format_id(Prefix.TICKET, t) for t in erased],
    )


staff_router = Router(
    path="/v2/staff",
    route_handlers=[queue, get_ticket, ticket_events, reply, set_status, erasure],
    guards=[auth.staff_only],
    tags=["team"],
)
