from __future__ import annotations

import secrets

import asyncpg

from domain.enums import Author, Priority
from domain.plans import Plan
from infra.services import Services
from infra.tickets import OpenTicket

_COLUMNS = """
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea')
"""


async def tables_holding(conn: asyncpg.Connection, canary: str) -> list[str]:
    found = []
    for table, column, kind in await conn.fetch(_COLUMNS):
        if kind == "bytea":
            where = f"position(convert_to($1, 'UTF8') in \"{column}\") > 0"
        else:
            where = f"\"{column}\"::text LIKE '%' || $1 || '%'"
        if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE {where})', canary):
            found.append(f"{table}.{column}")
    return found


async def test_no_table_holds_personal_data_in_plaintext(services: Services, pool: asyncpg.Pool) -> None:
    canary = f"canary{secrets.token_hex(8)}"
    project, _ = await services.projects.create("Sealed Co", Plan.ENTERPRISE)
    opened = await services.tickets.open(
        project.id,
        OpenTicket(
            subject=f"subject {canary}",
            body=f"body {canary}",
            priority=Priority.URGENT,
            contact_email=f"{canary}@example.com",
        ),
    )
    await services.tickets.reply(project.id, opened.ticket.id, body=f"reply {canary}", author=Author.CUSTOMER)

    async with pool.acquire() as conn:
        assert await tables_holding(conn, canary) == []
        # The scan itself works: it finds a plaintext canary where one is.
        assert "projects.name" in await tables_holding(conn, project.name)

    read_back = await services.tickets.reply(
        project.id, opened.ticket.id, body="one more", author=Author.CUSTOMER
    )
    assert read_back.ticket.contact_email == f"{canary}@example.com"
    assert [m.body for m in read_back.ticket.messages or []][:2] == [f"body {canary}", f"reply {canary}"]
