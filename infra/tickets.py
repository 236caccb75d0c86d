from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import structlog

from domain.business_hours import BusinessCalendar
from domain.enums import Actor, Author, Priority, Status
from domain.errors import FollowUpNotFoundError
from domain.plans import Plan, sla_for
from domain.ticket import Ticket
from infra import event_store, idempotency
from infra.aggregates import Aggregates
from infra.clock import Clock, new_id
from infra.event_store import VersionConflict
from infra.idempotency import FirstResponse, IdempotentRequest
from infra.ticket_reads import TicketNotFound, TicketReads
from infra.ticket_records import TicketRecord
from projections import ticket_views

log = structlog.get_logger()

_ATTEMPTS = 3


class ConcurrentWrite(Exception):
    """A write kept meeting newer writes to the same ticket and gave up."""


class _Retry(Exception):
    pass


@dataclass(frozen=True)
class OpenTicket:
    subject: str
    body: str
    priority: Priority = Priority.NORMAL
    contact_email: str | None = None
    follow_up_of: UUID | None = None


@dataclass(frozen=True)
class Outcome:
    status_code: int
    ticket: TicketRecord


_PLAN = "SELECT plan FROM projects WHERE id = $1"
# The row lock queues writers to one ticket, so they rarely meet a version conflict.
_LOCK_TICKET = "SELECT project_id FROM ticket_list WHERE id = $1 FOR UPDATE"


class Tickets:
    """Ticket commands: one transaction each, holding the append, the inline views
    and the idempotency record, so all of them commit or none does."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        aggregates: Aggregates,
        reads: TicketReads,
        clock: Clock,
        calendar: BusinessCalendar,
    ) -> None:
        self._pool = pool
        self._aggregates = aggregates
        self._reads = reads
        self._clock = clock
        self._calendar = calendar

    async def open(
        self, project_id: UUID, command: OpenTicket, request: IdempotentRequest | None = None
    ) -> Outcome:
        async def run(conn: asyncpg.Connection) -> Ticket:
            plan = Plan(await conn.fetchval(_PLAN, project_id))
            previous = None
            if command.follow_up_of is not None:
                previous = await self._load_other(conn, command.follow_up_of, project_id)
                if previous is None:
                    raise FollowUpNotFoundError("No such ticket to follow up.", param="follow_up_of")
            at = self._clock.now()
            ticket = Ticket.open(
                ticket_id=new_id(self._clock),
                project_id=project_id,
                subject=command.subject,
                body=command.body,
                message_id=new_id(self._clock),
                priority=command.priority,
                contact_email=command.contact_email,
                plan=plan,
                sla=sla_for(plan, command.priority, at, self._calendar),
                at=at,
                follow_up_of=previous,
            )
            key = await self._aggregates.new_data_key(conn, ticket.id, project_id)
            await self._save(conn, ticket, expected_version=0, key=key, request=request, status_code=201)
            log.info(
                "ticket.opened",
                ticket_id=str(ticket.id),
                project_id=str(project_id),
                priority=command.priority,
                plan=plan,
            )
            return ticket

        return await self._command(project_id, request, 201, run)

    async def reply(
        self,
        scope: UUID | None,
        ticket_id: UUID,
        *,
        body: str,
        author: Author,
        status: Status | None = None,
        request: IdempotentRequest | None = None,
    ) -> Outcome:
        actor = Actor(author.value)

        def decide(ticket: Ticket) -> None:
            at = self._clock.now()
            ticket.reply(message_id=new_id(self._clock), author=author, body=body, at=at)
            if status is not None:
                ticket.change_status(status, actor=actor, at=at)

        return await self._change(scope, ticket_id, decide, request, 201)

    async def set_status(self, scope: UUID | None, ticket_id: UUID, status: Status, actor: Actor) -> Outcome:
        def decide(ticket: Ticket) -> None:
            ticket.change_status(status, actor=actor, at=self._clock.now())

        return await self._change(scope, ticket_id, decide, None, 200)

    async def _change(
        self,
        scope: UUID | None,
        ticket_id: UUID,
        decide: Callable[[Ticket], None],
        request: IdempotentRequest | None,
        status_code: int,
    ) -> Outcome:
        async def run(conn: asyncpg.Connection) -> Ticket:
            project_id = await conn.fetchval(_LOCK_TICKET, ticket_id)
            if project_id is None or (scope is not None and project_id != scope):
                raise TicketNotFound(str(ticket_id))
            loaded = await self._aggregates.load(conn, ticket_id, with_personal=True)
            assert loaded is not None, "a listed ticket always has events"
            ticket: Ticket = loaded[0]
            recorded = loaded[1]
            decide(ticket)
            key = await self._aggregates.data_key(conn, ticket_id)
            await self._save(
                conn,
                ticket,
                expected_version=len(recorded),
                key=key,
                request=request,
                status_code=status_code,
            )
            return ticket

        # Idempotency keys belong to the caller's project; the team's writes take none.
        return await self._command(scope, request if scope else None, status_code, run)

    async def _command(
        self,
        project_id: UUID | None,
        request: IdempotentRequest | None,
        status_code: int,
        run: Callable[[asyncpg.Connection], Awaitable[Ticket]],
    ) -> Outcome:
        for _attempt in range(_ATTEMPTS):
            async with self._pool.acquire() as conn:
                try:
                    async with conn.transaction():
                        if request is not None and project_id is not None:
                            first = await idempotency.find(conn, project_id, request)
                            if first is not None:
                                return await self._replay(conn, first)
                        ticket = await run(conn)
                    return Outcome(status_code, TicketRecord.from_aggregate(ticket))
                except (VersionConflict, _Retry):
                    log.info("ticket.write_retried")
        raise ConcurrentWrite()

    async def _save(
        self,
        conn: asyncpg.Connection,
        ticket: Ticket,
        *,
        expected_version: int,
        key: bytes | None,
        request: IdempotentRequest | None,
        status_code: int,
    ) -> None:
        pending = ticket.collect_events()
        if request is not None:
            response = FirstResponse(status_code, ticket.id, ticket.version)
            if not await idempotency.record(conn, ticket.project_id, request, response):
                raise _Retry()  # a twin request with this key won; the retry replays its answer
        if not pending:
            return
        rows, changes = self._aggregates.encode(pending, tenant_id=ticket.project_id, key=key)
        for change in changes:
            await ticket_views.apply(conn, change)
        # Last: the append holds the log's ordering lock until commit.
        await event_store.append(
            conn,
            tenant_id=ticket.project_id,
            stream_id=ticket.id,
            expected_version=expected_version,
            events=rows,
        )

    async def _replay(self, conn: asyncpg.Connection, first: FirstResponse) -> Outcome:
        ticket = await self._reads.at_version(conn, first.ticket_id, first.ticket_version)
        return Outcome(first.status_code, ticket)

    async def _load_other(self, conn: asyncpg.Connection, ticket_id: UUID, project_id: UUID) -> Ticket | None:
        loaded = await self._aggregates.load(conn, ticket_id)
        if loaded is None or loaded[0].project_id != project_id:
            return None
        ticket = loaded[0]
        assert isinstance(ticket, Ticket)
        return ticket
