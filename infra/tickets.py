from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import structlog

from domain.business_hours import BusinessCalendar
from domain.enums import Actor, Author, Priority, Status
from domain.errors import FollowUpNotFoundError
from domain.plans import Plan, sla_for
from domain.ticket import Ticket
from infra import event_store, idempotency, ticket_writes
from infra.aggregates import Aggregates
from infra.clock import Clock, new_id
from infra.event_store import VersionConflict
from infra.idempotency import FirstResponse, IdempotentRequest
from infra.ticket_reads import TicketNotFound, TicketReads
from infra.ticket_records import TicketRecord
from projections import ticket_views

log = structlog.get_logger()

_ATTEMPTS = 3
# The team's Idempotency-Keys live in a namespace of their own, apart from every project's.
STAFF_NAMESPACE = UUID(int=0)


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


@dataclass(frozen=True)
class _Idempotency:
    namespace: UUID
    request: IdempotentRequest
    status_code: int


# Records a command's response for its Idempotency-Key, once the ticket is decided.
Remember = Callable[[asyncpg.Connection, Ticket], Awaitable[None]]


async def _forget(conn: asyncpg.Connection, ticket: Ticket) -> None:
    """No Idempotency-Key: nothing to remember."""


_PLAN = "SELECT plan FROM projects WHERE id = $1"
# Erasure holds the ticket's row while it replays, forgets and appends.
_LOCK_TICKET = "SELECT 1 FROM ticket_list WHERE id = $1 FOR UPDATE"
_FORGET_KEY = "DELETE FROM data_keys WHERE key_id = $1"
_FORGET_IDEMPOTENCY = "DELETE FROM idempotency_keys WHERE ticket_id = $1"


class Tickets:
    """Ticket commands. Each commits its events, inline views and idempotency record
    together or not at all: one statement when it can (see ticket_writes), one
    transaction when it needs an idempotency record or the ticket's row lock.

    `scope` is the caller's project, or None for the Zumik team, who see every project."""

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
        self,
        project_id: UUID,
        command: OpenTicket,
        request: IdempotentRequest | None = None,
        plan: Plan | None = None,
    ) -> Outcome:
        """Opens a ticket; `plan` saves a lookup when the caller already read the project's plan."""

        async def run(conn: asyncpg.Connection, pessimistic: bool, remember: Remember) -> Ticket:
            current_plan = plan or Plan(await conn.fetchval(_PLAN, project_id))
            previous = None
            if command.follow_up_of is not None:
                previous = await self._load_other(conn, command.follow_up_of, project_id)
            at = self._clock.now()
            ticket = Ticket.open(
                ticket_id=new_id(self._clock),
                project_id=project_id,
                subject=command.subject,
                body=command.body,
                message_id=new_id(self._clock),
                priority=command.priority,
                contact_email=command.contact_email,
                plan=current_plan,
                sla=sla_for(current_plan, command.priority, at, self._calendar),
                at=at,
                follow_up_of=previous,
            )
            key, wrapped = self._aggregates.keyring.new_data_key(ticket.id)
            rows, changes = self._aggregates.encode(ticket.collect_events(), tenant_id=project_id, key=key)
            await remember(conn, ticket)
            await ticket_writes.write_opened(
                conn, ticket, wrapped, self._aggregates.keyring.kek_id, rows, changes[0]
            )
            log.info("ticket.opened", ticket_id=str(ticket.id), project_id=str(project_id), plan=current_plan)
            return ticket

        once = _Idempotency(project_id, request, 201) if request else None
        return await self._command(once, 201, run)

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

        once = _Idempotency(scope or STAFF_NAMESPACE, request, 201) if request else None
        return await self._change(scope, ticket_id, decide, once, 201)

    async def set_status(self, scope: UUID | None, ticket_id: UUID, status: Status, actor: Actor) -> Outcome:
        def decide(ticket: Ticket) -> None:
            ticket.change_status(status, actor=actor, at=self._clock.now())

        return await self._change(scope, ticket_id, decide, None, 200)

    async def record_breach(self, ticket_id: UUID, now: datetime) -> bool:
        """Records a missed first response once; False when there was nothing to record."""
        recorded: list[bool] = []

        def decide(ticket: Ticket) -> None:
            recorded.append(ticket.record_breach(now=now))

        try:
            await self._change(None, ticket_id, decide, None, 200)
        except TicketNotFound:  # erased meanwhile
            return False
        return recorded[-1]

    async def erase(self, ticket_id: UUID) -> None:
        """Erases one ticket: an `Erased` event, its view rows, its idempotency records
        and its data key go in one transaction, so nothing personal stays readable."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_LOCK_TICKET, ticket_id)
            ticket = await self._load(conn, ticket_id)
            expected = ticket.version
            ticket.erase(actor=Actor.SUPPORT, at=self._clock.now())
            await conn.execute(_FORGET_IDEMPOTENCY, ticket_id)
            await conn.execute(_FORGET_KEY, ticket_id)
            rows, changes = self._aggregates.encode(
                ticket.collect_events(), tenant_id=ticket.project_id, key=None
            )
            for change in changes:
                await ticket_views.apply(conn, change)
            await event_store.append(
                conn, tenant_id=ticket.project_id, stream_id=ticket_id, expected_version=expected, events=rows
            )

    async def _change(
        self,
        scope: UUID | None,
        ticket_id: UUID,
        decide: Callable[[Ticket], None],
        once: _Idempotency | None,
        status_code: int,
    ) -> Outcome:
        async def run(conn: asyncpg.Connection, pessimistic: bool, remember: Remember) -> Ticket:
            # The view row is the ticket's snapshot at its version, written with every
            # append: restoring from it decides without replaying the whole stream.
            record, key = await self._reads.current(conn, ticket_id, scope, lock=pessimistic)
            ticket = Ticket.restore(record.state())
            expected = ticket.version
            decide(ticket)
            await remember(conn, ticket)
            pending = ticket.collect_events()
            if pending:
                rows, changes = self._aggregates.encode(pending, tenant_id=ticket.project_id, key=key)
                await ticket_writes.write_changed(conn, ticket, expected, rows, changes)
            return ticket

        return await self._command(once, status_code, run)

    async def _command(
        self,
        once: _Idempotency | None,
        status_code: int,
        run: Callable[[asyncpg.Connection, bool, Remember], Awaitable[Ticket]],
    ) -> Outcome:
        for attempt in range(_ATTEMPTS):
            pessimistic = attempt > 0
            async with self._pool.acquire() as conn:
                try:
                    if once is None and not pessimistic:
                        # One statement: atomic without a transaction.
                        ticket = await run(conn, False, _forget)
                    else:
                        async with conn.transaction():
                            if once is not None:
                                first = await idempotency.find(conn, once.namespace, once.request)
                                if first is not None:
                                    return await self._replay(conn, first)
                            ticket = await run(conn, pessimistic, self._remembering(once))
                    return Outcome(status_code, TicketRecord.from_aggregate(ticket))
                except (VersionConflict, _Retry):
                    log.info("ticket.write_retried", attempt=attempt + 1)
        raise ConcurrentWrite()

    def _remembering(self, once: _Idempotency | None) -> Remember:
        """Records the response under the request's Idempotency-Key, in the command's
        transaction and before its write: the write's append takes the log's ordering
        lock, which is then held for nothing else until commit."""
        if once is None:
            return _forget

        async def remember(conn: asyncpg.Connection, ticket: Ticket) -> None:
            response = FirstResponse(once.status_code, ticket.id, ticket.version)
            if not await idempotency.record(conn, once.namespace, once.request, response):
                raise _Retry()  # a twin request with this key won; the retry replays its answer

        return remember

    async def _load(self, conn: asyncpg.Connection, ticket_id: UUID) -> Ticket:
        """The ticket replayed from its whole stream."""
        loaded = await self._aggregates.load(conn, ticket_id)
        ticket = loaded.aggregate if loaded else None
        if not isinstance(ticket, Ticket) or ticket.erased:
            raise TicketNotFound(str(ticket_id))
        return ticket

    async def _replay(self, conn: asyncpg.Connection, first: FirstResponse) -> Outcome:
        ticket = await self._reads.at_version(conn, first.ticket_id, first.ticket_version)
        return Outcome(first.status_code, ticket)

    async def _load_other(self, conn: asyncpg.Connection, ticket_id: UUID, project_id: UUID) -> Ticket:
        loaded = await self._aggregates.load(conn, ticket_id)
        if loaded is None or loaded.aggregate.project_id != project_id:
            raise FollowUpNotFoundError("No such ticket to follow up.", param="follow_up_of")
        ticket: Ticket = loaded.aggregate
        return ticket
