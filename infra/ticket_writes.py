from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from domain.queue import queue_rank
from domain.ticket import Ticket
from infra.event_store import NewEvent, VersionConflict, append_arguments, conflict_from
from projections.change import Change

# A ticket command writes its view rows and appends its events in ONE statement,
# so a write costs one round trip and commits atomically on its own. The CTEs
# depend on each other's RETURNING rows, which fixes their order: view rows first
# (taking the ticket's row lock), the append last (taking the log's ordering lock
# just before commit). The view row's `version` doubles as the optimistic check.
# These statements write what projections.ticket_views would write for the same
# events; the rebuild test holds the two to the same rows.

_OPEN = """
WITH key AS (
    INSERT INTO data_keys (key_id, tenant_id, wrapped, kek_id) VALUES ($1, $2, $3, $4) RETURNING key_id
), ticket AS (
    INSERT INTO ticket_list (id, project_id, subject, contact_email, priority, status, plan, sla, sla_tier,
        queue_rank, first_response_due_at, follow_up_of, message_count, created_at, updated_at, version)
    SELECT key_id, $2, $5, $6, $7, 'open', $8, $9, $10, $11, $12, $13, 1, $14, $14, 1 FROM key
    RETURNING id
), message AS (
    INSERT INTO ticket_messages (ticket_id, seq, id, author, body, created_at)
    SELECT id, 1, $15, 'customer', $16, $14 FROM ticket
    RETURNING ticket_id
)
SELECT append_events($2, ticket_id, 0, $17, $18, $19, $20, $21) FROM message
"""

_CHANGE = """
WITH ticket AS (
    UPDATE ticket_list SET status = $3, message_count = $4, first_response_at = $5, breached_at = $6,
        updated_at = $7, version = $8
    WHERE id = $1 AND version = $2
    RETURNING id, project_id
), messages AS (
    INSERT INTO ticket_messages (ticket_id, seq, id, author, body, created_at)
    SELECT ticket.id, m.seq, m.id, m.author, m.body, m.created_at
    FROM ticket, unnest($9::int[], $10::uuid[], $11::text[], $12::bytea[], $13::timestamptz[])
        AS m(seq, id, author, body, created_at)
    RETURNING 1
)
SELECT append_events(ticket.project_id, ticket.id, $2, $14, $15, $16, $17, $18)
FROM ticket, (SELECT count(*) FROM messages) AS written
"""


async def write_opened(
    conn: asyncpg.Connection,
    ticket: Ticket,
    wrapped_key: bytes,
    kek_id: str,
    rows: Sequence[NewEvent],
    opened: Change,
) -> int:
    sla = ticket.sla
    first = ticket.messages[0]
    try:
        position: int | None = await conn.fetchval(
            _OPEN,
            ticket.id, ticket.project_id, wrapped_key, kek_id,
            opened.sealed.get("subject"), opened.sealed.get("contact_email"),
            ticket.priority, ticket.plan, opened.payload["sla"], sla.tier,
            queue_rank(sla.priority_queue, ticket.priority), sla.first_response_due_at,
            ticket.follow_up_of, ticket.opened_at, first.id, opened.sealed.get("body"),
            *append_arguments(rows),
        )  # fmt: skip
    except asyncpg.PostgresError as error:
        raise conflict_from(error, ticket.id) from error
    assert position is not None
    return position


async def write_changed(
    conn: asyncpg.Connection,
    ticket: Ticket,
    expected_version: int,
    rows: Sequence[NewEvent],
    changes: Sequence[Change],
) -> int:
    """Raises VersionConflict when the ticket moved on (or vanished) since it was read."""
    messages = [(i, c) for i, c in enumerate(changes) if c.type == "MessageAppended"]
    first_new = len(ticket.messages) - len(messages)
    try:
        position: int | None = await conn.fetchval(
            _CHANGE,
            ticket.id, expected_version, ticket.status, len(ticket.messages), ticket.first_response_at,
            ticket.breached_at, ticket.updated_at, ticket.version,
            [first_new + n + 1 for n in range(len(messages))],
            [UUID(c.payload["message_id"]) for _, c in messages],
            [c.payload["author"] for _, c in messages],
            [c.sealed.get("body") for _, c in messages],
            [ticket.messages[first_new + n].created_at for n in range(len(messages))],
            *append_arguments(rows),
        )  # fmt: skip
    except asyncpg.PostgresError as error:
        raise conflict_from(error, ticket.id) from error
    if position is None:
        raise VersionConflict(str(ticket.id))
    return position
