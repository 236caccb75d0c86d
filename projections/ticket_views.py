from __future__ import annotations

import asyncpg

from domain.enums import Priority
from domain.queue import queue_rank
from projections.change import Change

# Times arrive as RFC 3339 text from the event payload; Postgres parses them.
_OPENED = """
INSERT INTO ticket_list (id, project_id, subject, contact_email, priority, status, plan, sla, sla_tier,
    queue_rank, first_response_due_at, follow_up_of, message_count, created_at, updated_at, version)
VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10::text::timestamptz, $11, 1,
    $12::text::timestamptz, $12::text::timestamptz, $13)
"""
_FIRST_MESSAGE = """
INSERT INTO ticket_messages (ticket_id, seq, id, author, body, created_at)
VALUES ($1, 1, $2, 'customer', $3, $4::text::timestamptz)
"""
_MESSAGE_COUNTED = """
UPDATE ticket_list SET message_count = message_count + 1, updated_at = $2::text::timestamptz,
    version = $3,
    first_response_at = CASE WHEN $4 = 'support' AND first_response_at IS NULL
                        THEN $2::text::timestamptz ELSE first_response_at END
WHERE id = $1
RETURNING message_count
"""
_MESSAGE = """
INSERT INTO ticket_messages (ticket_id, seq, id, author, body, created_at)
VALUES ($1, $2, $3, $4, $5, $6::text::timestamptz)
"""
_STATUS = """
UPDATE ticket_list SET status = $2, updated_at = $3::text::timestamptz, version = $4 WHERE id = $1
"""
_BREACHED = """
UPDATE ticket_list SET breached_at = $2::text::timestamptz, version = $3 WHERE id = $1
"""
_ERASED_TICKET = "DELETE FROM ticket_list WHERE id = $1"
_ERASED_MESSAGES = "DELETE FROM ticket_messages WHERE ticket_id = $1"


async def apply(conn: asyncpg.Connection, change: Change) -> None:
    p, ticket_id = change.payload, change.stream_id
    match change.type:
        case "Opened":
            sla = p["sla"]
            await conn.execute(
                _OPENED,
                ticket_id,
                p["project_id"],
                change.sealed.get("subject"),
                change.sealed.get("contact_email"),
                p["priority"],
                p["plan"],
                sla,
                sla["tier"],
                queue_rank(sla["priority_queue"], Priority(p["priority"])),
                sla["first_response_due_at"],
                p["follow_up_of"],
                p["at"],
                change.version,
            )
            await conn.execute(_FIRST_MESSAGE, ticket_id, p["message_id"], change.sealed.get("body"), p["at"])
        case "MessageAppended":
            seq = await conn.fetchval(_MESSAGE_COUNTED, ticket_id, p["at"], change.version, p["author"])
            await conn.execute(
                _MESSAGE, ticket_id, seq, p["message_id"], p["author"], change.sealed.get("body"), p["at"]
            )
        case "StatusChanged":
            await conn.execute(_STATUS, ticket_id, p["status"], p["at"], change.version)
        case "Reopened":
            await conn.execute(_STATUS, ticket_id, "open", p["at"], change.version)
        case "FirstResponseBreached":
            await conn.execute(_BREACHED, ticket_id, p["at"], change.version)
        case "Erased":
            await conn.execute(_ERASED_MESSAGES, ticket_id)
            await conn.execute(_ERASED_TICKET, ticket_id)
