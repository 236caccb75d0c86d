"""A plain CRUD baseline of the customer ticket API, for performance comparison only.

Same endpoints and JSON shapes as the real service, but no events, no encryption, no
idempotency, no rate limit: three tables updated in place. Litestar + asyncpg + msgspec
served by uvicorn (uvloop, httptools).

    DATABASE_URL=postgresql://... python bench/baseline.py [serve] [--host H] [--port P]
    DATABASE_URL=postgresql://... python bench/baseline.py create-project   # prints {"id", "api_key"}
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import time
from collections.abc import AsyncGenerator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
import uvicorn
from litestar import Litestar, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.params import Parameter

SCHEMA = """
CREATE TABLE IF NOT EXISTS bl_projects (id uuid PRIMARY KEY, api_key_hash bytea NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS bl_tickets (
    id uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES bl_projects (id),
    subject text NOT NULL,
    priority text NOT NULL,
    status text NOT NULL,
    contact_email text,
    message_count integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    first_response_at timestamptz,
    version integer NOT NULL,
    follow_up_of uuid
);
CREATE INDEX IF NOT EXISTS bl_tickets_project ON bl_tickets (project_id, id DESC);
CREATE INDEX IF NOT EXISTS bl_tickets_project_status ON bl_tickets (project_id, status, id DESC);
CREATE INDEX IF NOT EXISTS bl_tickets_project_priority ON bl_tickets (project_id, priority, id DESC);
CREATE TABLE IF NOT EXISTS bl_messages (
    ticket_id uuid NOT NULL REFERENCES bl_tickets (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    id uuid NOT NULL,
    author text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
"""

# ---------------------------------------------------------------- ids (UUIDv7, Crockford base32)

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def uuid7(unix_ms: int | None = None) -> UUID:
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    value = (ms & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10)) & (2**80 - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    return UUID(int=(value & ~(0x3 << 62)) | (0x2 << 62))


_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # 10 bits -> 2 digits
_SHIFTS = range(120, -1, -10)  # 13 pairs = 26 digits = 130 bits, the top 2 always zero


def format_id(prefix: str, value: UUID) -> str:
    number = value.int
    return prefix + "_" + "".join([_PAIRS[(number >> shift) & 1023] for shift in _SHIFTS])


def parse_id(prefix: str, text: str) -> UUID | None:
    head, _, body = text.partition("_")
    if head != prefix or len(body) != 26 or any(c not in _VALUE for c in body):
        return None
    number = 0
    for char in body:
        number = number << 5 | _VALUE[char]
    return UUID(int=number) if number < 2**128 else None


def key_hash(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


# ---------------------------------------------------------------- wire shapes

Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["open", "pending", "resolved", "closed"]
Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=50_000)]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class OpenBody(msgspec.Struct, forbid_unknown_fields=True):
    subject: Subject
    body: Body
    priority: Priority = "normal"
    contact_email: Email | None = None


class ReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    body: Body


class StatusBody(msgspec.Struct, forbid_unknown_fields=True):
    status: Status


class Sla(msgspec.Struct):
    tier: str
    first_response_target: str
    priority_queue: bool
    first_response_due_at: datetime


class Message(msgspec.Struct):
    id: str
    object: str
    author: str
    body: str
    created_at: datetime


class Ticket(msgspec.Struct, kw_only=True):
    id: str
    object: str = "support_ticket"
    subject: str
    priority: str
    status: str
    plan_tier: str = "enterprise"
    sla: Sla
    contact_email: str | None
    messages: list[Message] | msgspec.UnsetType = msgspec.UNSET  # full ticket only
    message_count: int | msgspec.UnsetType = msgspec.UNSET  # list items only
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    sla_breached: bool
    version: int
    follow_up_of: str | None


class TicketList(msgspec.Struct):
    data: list[Ticket]
    has_more: bool
    object: str = "list"
    url: str = "/v2/support/tickets"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.param = status, code, param


NOT_FOUND = ApiError(404, "resource_missing", "No such ticket.", "id")

# ---------------------------------------------------------------- SQL

COLUMNS = (
    "id, subject, priority, status, contact_email, message_count, created_at, updated_at, "
    "first_response_at, version, follow_up_of"
)
AUTH = "SELECT id FROM bl_projects WHERE api_key_hash = $1"
OPEN = """
WITH t AS (
    INSERT INTO bl_tickets (id, project_id, subject, priority, status, contact_email, message_count,
                            created_at, updated_at, version)
    VALUES ($1, $2, $3, $4, 'open', $5, 1, $6, $6, 1) RETURNING id
)
INSERT INTO bl_messages (ticket_id, seq, id, author, body, created_at)
SELECT id, 1, $7, 'customer', $8, $6 FROM t
"""
GET = f"SELECT {COLUMNS} FROM bl_tickets WHERE id = $1 AND project_id = $2"
MESSAGES = "SELECT id, author, body, created_at FROM bl_messages WHERE ticket_id = $1 ORDER BY seq"
# A reply reopens a resolved ticket and returns a pending one to open; a closed one refuses it.
REPLY = f"""
WITH t AS (
    UPDATE bl_tickets SET message_count = message_count + 1, updated_at = $3, version = version + 1,
        status = CASE WHEN status IN ('resolved', 'pending') THEN 'open' ELSE status END
    WHERE id = $1 AND project_id = $2 AND status <> 'closed'
    RETURNING {COLUMNS}
), m AS (
    INSERT INTO bl_messages (ticket_id, seq, id, author, body, created_at)
    SELECT id, message_count, $4, 'customer', $5, $3 FROM t
)
SELECT * FROM t
"""
SET_STATUS = f"""
UPDATE bl_tickets SET status = $3, updated_at = $4, version = version + 1
WHERE id = $1 AND project_id = $2 AND status <> $3 AND status <> 'closed'
RETURNING {COLUMNS}
"""

SLA_TARGET = "4 hours, 24/7 for urgent issues"


def ticket(row: Mapping[str, Any], messages: list[Mapping[str, Any]] | None) -> Ticket:
    created_at: datetime = row["created_at"]
    due = created_at + timedelta(hours=4)
    first_response_at: datetime | None = row["first_response_at"]
    follow_up_of: UUID | None = row["follow_up_of"]
    return Ticket(
        id=format_id("spt", row["id"]),
        subject=row["subject"],
        priority=row["priority"],
        status=row["status"],
        sla=Sla("enterprise", SLA_TARGET, True, due),
        contact_email=row["contact_email"],
        messages=msgspec.UNSET
        if messages is None
        else [
            Message(format_id("spm", m["id"]), "support_message", m["author"], m["body"], m["created_at"])
            for m in messages
        ],
        message_count=row["message_count"] if messages is None else msgspec.UNSET,
        created_at=created_at,
        updated_at=row["updated_at"],
        first_response_at=first_response_at,
        sla_breached=(first_response_at or datetime.now(UTC)) > due,
        version=row["version"],
        follow_up_of=None if follow_up_of is None else format_id("spt", follow_up_of),
    )


# ---------------------------------------------------------------- handlers


async def connection(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    """One pooled connection per request, for the key lookup and the handler alike."""
    async with state.pool.acquire() as conn:
        yield conn


async def project_id(request: Request[Any, Any, State], conn: asyncpg.Connection) -> UUID:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        found: UUID | None = await conn.fetchval(AUTH, key_hash(token.strip()))
        if found is not None:
            return found
    raise ApiError(401, "invalid_api_key", "Missing or unknown API key.")


def ticket_uuid(text: str) -> UUID:
    value = parse_id("spt", text)
    if value is None:
        raise NOT_FOUND
    return value


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@post("/v2/support/tickets", status_code=201)
async def open_ticket(conn: asyncpg.Connection, project: UUID, data: OpenBody) -> Ticket:
    subject = data.subject.strip()
    if not subject:
        raise ApiError(400, "parameter_invalid", "subject must not be blank.", "subject")
    now, ticket_id, message_id = datetime.now(UTC), uuid7(), uuid7()
    await conn.execute(
        OPEN, ticket_id, project, subject, data.priority, data.contact_email, now, message_id, data.body
    )
    row = {
        "id": ticket_id, "subject": subject, "priority": data.priority, "status": "open",
        "contact_email": data.contact_email, "message_count": 1, "created_at": now, "updated_at": now,
        "first_response_at": None, "version": 1, "follow_up_of": None,
    }  # fmt: skip
    return ticket(row, [{"id": message_id, "author": "customer", "body": data.body, "created_at": now}])


@get("/v2/support/tickets")
async def list_tickets(
    conn: asyncpg.Connection,
    project: UUID,
    limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
    starting_after: str | None = None,
    ending_before: str | None = None,
    status: Status | None = None,
    priority: Priority | None = None,
) -> TicketList:
    where, args = ["project_id = $1"], list[object]([project])
    for name, value in (("status", status), ("priority", priority)):
        if value is not None:
            args.append(value)
            where.append(f"{name} = ${len(args)}")
    backwards = ending_before is not None
    cursor_text = ending_before if backwards else starting_after
    if cursor_text is not None:
        cursor = parse_id("spt", cursor_text)
        if cursor is None:
            param = "ending_before" if backwards else "starting_after"
            raise ApiError(400, "parameter_invalid", f"{param} is not a ticket id.", param)
        args.append(cursor)
        where.append(f"id {'>' if backwards else '<'} ${len(args)}")
    args.append(limit + 1)
    order = "ASC" if backwards else "DESC"
    conditions = " AND ".join(where)
    sql = f"SELECT {COLUMNS} FROM bl_tickets WHERE {conditions} ORDER BY id {order} LIMIT ${len(args)}"
    rows = await conn.fetch(sql, *args)
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    return TicketList([ticket(r, None) for r in rows], has_more)


@get("/v2/support/tickets/{ticket_id:str}")
async def get_ticket(conn: asyncpg.Connection, project: UUID, ticket_id: str) -> Ticket:
    row = await conn.fetchrow(GET, ticket_uuid(ticket_id), project)
    if row is None:
        raise NOT_FOUND
    return ticket(row, await conn.fetch(MESSAGES, row["id"]))


@post("/v2/support/tickets/{ticket_id:str}/messages", status_code=201)
async def reply(conn: asyncpg.Connection, project: UUID, ticket_id: str, data: ReplyBody) -> Ticket:
    uuid = ticket_uuid(ticket_id)
    row = await conn.fetchrow(REPLY, uuid, project, datetime.now(UTC), uuid7(), data.body)
    if row is None:
        if await conn.fetchrow(GET, uuid, project) is None:
            raise NOT_FOUND
        raise ApiError(409, "ticket_closed", "This ticket is closed; open a new ticket instead.")
    return ticket(row, await conn.fetch(MESSAGES, uuid))


@patch("/v2/support/tickets/{ticket_id:str}")
async def set_status(conn: asyncpg.Connection, project: UUID, ticket_id: str, data: StatusBody) -> Ticket:
    uuid = ticket_uuid(ticket_id)
    row = await conn.fetchrow(SET_STATUS, uuid, project, data.status, datetime.now(UTC))
    if row is None:
        row = await conn.fetchrow(GET, uuid, project)
        if row is None:
            raise NOT_FOUND
        if row["status"] != data.status:  # closed is final
            raise ApiError(409, "ticket_closed", "This ticket is closed and final.", "status")
    return ticket(row, await conn.fetch(MESSAGES, uuid))


def error_response(request: Request[Any, Any, State], exc: Exception) -> Response[Any]:
    if isinstance(exc, ApiError):
        status, code, message, param = exc.status, exc.code, str(exc), exc.param
    elif isinstance(exc, HTTPException):
        extra = exc.extra if isinstance(exc.extra, list) and exc.extra else [{}]
        status, code, message, param = exc.status_code, "invalid_request", exc.detail, extra[0].get("key")
    else:
        status, code, message, param = 500, "internal_error", "Something went wrong.", None
    kind = "invalid_request_error" if status < 500 else "api_error"
    error = {"type": kind, "code": code, "message": message, "param": param, "request_id": None}
    return Response({"error": error}, status_code=status)


# ---------------------------------------------------------------- app and entry points


async def connect(dsn: str) -> asyncpg.Pool:
    size = int(os.environ.get("DB_POOL_SIZE", "10"))
    pool = await asyncpg.create_pool(dsn, min_size=min(2, size), max_size=size)
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(7291777)")  # one creator at a time
        await conn.execute(SCHEMA)
    return pool


def create_app(dsn: str) -> Litestar:
    async def start(app: Litestar) -> None:
        app.state.pool = await connect(dsn)

    async def stop(app: Litestar) -> None:
        await app.state.pool.close()

    return Litestar(
        route_handlers=[healthz, open_ticket, list_tickets, get_ticket, reply, set_status],
        dependencies={"conn": Provide(connection), "project": Provide(project_id)},
        exception_handlers={ApiError: error_response, HTTPException: error_response, 500: error_response},
        on_startup=[start],
        on_shutdown=[stop],
        openapi_config=None,
    )


async def create_project(dsn: str) -> dict[str, str]:
    pool = await connect(dsn)
    try:
        project, api_key = uuid7(), f"zk_live_{secrets.token_urlsafe(32)}"
        await pool.execute("INSERT INTO bl_projects VALUES ($1, $2)", project, key_hash(api_key))
        return {"id": format_id("prj", project), "api_key": api_key}
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "create-project"])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8001")))
    args = parser.parse_args()
    dsn = os.environ.get("DATABASE_URL") or parser.error("DATABASE_URL is not set")
    if args.command == "create-project":
        print(msgspec.json.encode(asyncio.run(create_project(dsn))).decode())
        return
    uvicorn.run(
        create_app(dsn), host=args.host, port=args.port, loop="uvloop", http="httptools",
        log_level="warning", access_log=False,
    )  # fmt: skip


if __name__ == "__main__":
    main()
