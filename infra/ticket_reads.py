from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from domain.enums import Author, Priority, Status
from domain.plans import Plan, SlaSnapshot, SlaTier
from domain.ticket import Message, Ticket
from infra.aggregates import Aggregates
from infra.sealing import Opener
from infra.ticket_records import TicketRecord


class TicketNotFound(LookupError):
    """No such ticket for this caller; another project's ticket is no different."""


class OutOfHistory(ValueError):
    """A version or time outside the ticket's history."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class ListFilter:
    project_id: UUID
    status: Status | None = None
    priority: Priority | None = None


@dataclass(frozen=True)
class QueueFilter:
    now: datetime
    tier: SlaTier | None = None
    priority: Priority | None = None
    breached: bool | None = None


@dataclass(frozen=True)
class Page:
    items: list[TicketRecord]
    has_more: bool


# The data key by a scalar subquery: one index probe per row returned, where a join
# invites the planner to merge-join the whole key table.
_TICKET_COLUMNS = """t.id, t.project_id, t.subject, t.contact_email, t.priority, t.status, t.plan, t.sla,
    t.follow_up_of, t.message_count, t.first_response_at, t.created_at, t.updated_at, t.version,
    t.breached_at,
    (SELECT k.wrapped FROM data_keys k WHERE k.key_id = t.id) AS wrapped"""
# One round trip for a whole ticket: the thread comes as an array of rows.
_GET = f"""
SELECT {_TICKET_COLUMNS},
    ARRAY(SELECT ROW(m.id, m.author, m.body, m.created_at) FROM ticket_messages m
          WHERE m.ticket_id = t.id ORDER BY m.seq) AS messages
FROM ticket_list t WHERE t.id = $1
"""
# Lock first, read after: a locking read that waited would return the new row but
# a thread array from its older snapshot.
_LOCK = "SELECT 1 FROM ticket_list WHERE id = $1 FOR UPDATE"
_MANY = f"SELECT {_TICKET_COLUMNS} FROM ticket_list t WHERE t.id = ANY($1)"
_MANY_MESSAGES = """
SELECT ticket_id, id, author, body, created_at FROM ticket_messages
WHERE ticket_id = ANY($1) ORDER BY ticket_id, seq
"""
# Newest first. `after` pages move toward older ids, `before` pages toward newer ones;
# both are keyset scans on (project_id, id), so page 1,000 costs what page 1 costs.
# Only the conditions asked for are in the text: a generic plan for "$n IS NULL OR
# t.id < $n" cannot use the index bound and walks every newer row.
_PAGE_CONDITIONS = {
    "status": "t.status = ${}",
    "priority": "t.priority = ${}",
    "after": "t.id < ${}",
    "before": "t.id > ${}",
}
# The team's queue: open tickets of every project, in queue order (see domain.queue),
# then the earliest due time (none last), then the oldest. Keyset on that whole key.
_QUEUE_KEY = "(t.queue_rank, coalesce(t.first_response_due_at, 'infinity'), t.id)"
_QUEUE = f"""
SELECT {_TICKET_COLUMNS} FROM ticket_list t
WHERE t.status = 'open'
  AND ($1::text IS NULL OR t.sla_tier = $1)
  AND ($2::text IS NULL OR t.priority = $2)
  AND ($3::boolean IS NULL OR $3 = coalesce(
        t.first_response_at > t.first_response_due_at
        OR (t.first_response_at IS NULL AND t.first_response_due_at < $4), false))
  {{cursor}}
ORDER BY {_QUEUE_KEY} {{order}}
LIMIT $5
"""
_QUEUE_FIRST = _QUEUE.format(cursor="", order="ASC")
_QUEUE_AFTER = _QUEUE.format(cursor=f"AND {_QUEUE_KEY} > ($6, $7, $8)", order="ASC")
_QUEUE_BEFORE = _QUEUE.format(cursor=f"AND {_QUEUE_KEY} < ($6, $7, $8)", order="DESC")
_VERSION_AT = "SELECT max(version) FROM events WHERE stream_id = $1 AND recorded_at <= $2"
_QUEUE_CURSOR = (
    "SELECT queue_rank, coalesce(first_response_due_at, 'infinity'), id FROM ticket_list WHERE id = $1"
)


@functools.cache
def _page_query(conditions: tuple[str, ...]) -> str:
    where = " AND ".join(
        ["t.project_id = $1", *(_PAGE_CONDITIONS[c].format(n) for n, c in enumerate(conditions, start=2))]
    )
    order = "ASC" if "before" in conditions else "DESC"
    limit = f"${len(conditions) + 2}"
    return f"SELECT {_TICKET_COLUMNS} FROM ticket_list t WHERE {where} ORDER BY t.id {order} LIMIT {limit}"


class TicketReads:
    def __init__(self, aggregates: Aggregates) -> None:
        self._aggregates = aggregates

    async def get(self, conn: asyncpg.Connection, ticket_id: UUID, scope: UUID | None) -> TicketRecord:
        return (await self.current(conn, ticket_id, scope))[0]

    async def current(
        self, conn: asyncpg.Connection, ticket_id: UUID, scope: UUID | None, *, lock: bool = False
    ) -> tuple[TicketRecord, bytes]:
        """The whole ticket as it stands, and its data key; `lock` holds its row until commit."""
        if lock:
            await conn.execute(_LOCK, ticket_id)
        row = await conn.fetchrow(_GET, ticket_id)
        if row is None or (scope is not None and row["project_id"] != scope):
            raise TicketNotFound(str(ticket_id))
        opener = self._opener(row)
        messages = [Message(m[0], Author(m[1]), opener.open("body", m[2]), m[3]) for m in row["messages"]]
        return self._record(row, opener, messages), opener.key

    async def many(self, conn: asyncpg.Connection, ticket_ids: list[UUID]) -> dict[UUID, TicketRecord]:
        """Full tickets, messages included, for a batch of ids; erased ones are absent."""
        rows = await conn.fetch(_MANY, ticket_ids)
        threads: dict[UUID, list[asyncpg.Record]] = {}
        for message in await conn.fetch(_MANY_MESSAGES, ticket_ids):
            threads.setdefault(message["ticket_id"], []).append(message)
        tickets = {}
        for row in rows:
            opener = self._opener(row)
            messages = [
                Message(m["id"], Author(m["author"]), opener.open("body", m["body"]), m["created_at"])
                for m in threads.get(row["id"], [])
            ]
            tickets[row["id"]] = self._record(row, opener, messages)
        return tickets

    async def page(
        self,
        conn: asyncpg.Connection,
        where: ListFilter,
        *,
        limit: int,
        starting_after: UUID | None = None,
        ending_before: UUID | None = None,
    ) -> Page:
        given = {
            "status": where.status,
            "priority": where.priority,
            "after": starting_after,
            "before": ending_before,
        }
        conditions = tuple(name for name, value in given.items() if value is not None)
        arguments = [given[name] for name in conditions]
        rows = await conn.fetch(_page_query(conditions), where.project_id, *arguments, limit + 1)
        return self._page(rows, limit, backwards=ending_before is not None)

    def _page(self, rows: list[asyncpg.Record], limit: int, backwards: bool) -> Page:
        has_more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        return Page([self._record(row, self._opener(row), None) for row in rows], has_more)

    async def queue(
        self,
        conn: asyncpg.Connection,
        where: QueueFilter,
        *,
        limit: int,
        starting_after: UUID | None = None,
        ending_before: UUID | None = None,
    ) -> Page:
        args: list[Any] = [where.tier, where.priority, where.breached, where.now, limit + 1]
        query, backwards = _QUEUE_FIRST, False
        cursor = starting_after or ending_before
        if cursor is not None:
            key = await conn.fetchrow(_QUEUE_CURSOR, cursor)
            if key is None:
                raise TicketNotFound(str(cursor))
            args += list(key)
            backwards = ending_before is not None
            query = _QUEUE_BEFORE if backwards else _QUEUE_AFTER
        rows = await conn.fetch(query, *args)
        return self._page(rows, limit, backwards)

    async def at_version(
        self, conn: asyncpg.Connection, ticket_id: UUID, version: int, scope: UUID | None = None
    ) -> TicketRecord:
        """The ticket as it stood at `version`, rebuilt from its events."""
        loaded = await self._aggregates.load(conn, ticket_id, with_personal=True, to_version=version)
        ticket = loaded.aggregate if loaded else None
        if not isinstance(ticket, Ticket) or (scope is not None and ticket.project_id != scope):
            raise TicketNotFound(str(ticket_id))
        if loaded is not None and loaded.version < version:
            raise OutOfHistory(f"This ticket has {loaded.version} versions.", "version")
        return TicketRecord.from_aggregate(ticket)

    async def as_of(
        self, conn: asyncpg.Connection, ticket_id: UUID, at: datetime, scope: UUID | None = None
    ) -> TicketRecord:
        """The ticket as it stood at time `at`: every event recorded up to then."""
        version = await conn.fetchval(_VERSION_AT, ticket_id, at)
        if version is None:
            await self.at_version(conn, ticket_id, 1, scope)  # 404 when it is not the caller's
            raise OutOfHistory("The ticket did not exist yet at that time.", "as_of")
        return await self.at_version(conn, ticket_id, version, scope)

    def _opener(self, row: asyncpg.Record) -> Opener:
        ticket_id = row["id"]
        return Opener(self._aggregates.keyring.unwrap(ticket_id, row["wrapped"]), ticket_id)

    def _record(self, row: asyncpg.Record, opener: Opener, messages: list[Message] | None) -> TicketRecord:
        return TicketRecord(
            id=row["id"],
            project_id=row["project_id"],
            subject=opener.open("subject", row["subject"]),
            priority=Priority(row["priority"]),
            status=Status(row["status"]),
            plan=Plan(row["plan"]),
            sla=_sla(row["sla"]),
            contact_email=opener.open("contact_email", row["contact_email"]),
            follow_up_of=row["follow_up_of"],
            message_count=row["message_count"],
            messages=messages,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            first_response_at=row["first_response_at"],
            version=row["version"],
            breached_at=row["breached_at"],
        )


def _sla(raw: dict[str, Any]) -> SlaSnapshot:
    return msgspec.convert(raw, SlaSnapshot)
