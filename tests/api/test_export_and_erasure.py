from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import asyncpg
import httpx

from domain.enums import Author
from domain.ids import Prefix, parse_id
from infra.export import ErasedTicket
from infra.services import Services
from infra.tickets import OpenTicket
from tests.api.helpers import SEED_OPEN, open_ticket
from tests.conftest import ProjectKey, new_project
from tests.infra.test_sealing import tables_holding


def lines_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


async def test_an_export_has_every_ticket_of_the_project_and_no_other(
    client: httpx.AsyncClient, services: Services, project: ProjectKey
) -> None:
    other = await new_project(services, name="Neighbour")
    await open_ticket(client, other)
    for n in range(250):
        await services.tickets.open(
            project.uuid, OpenTicket(subject=f"t{n}", body=f"b{n}", contact_email="a@b.io")
        )

    lines = lines_of(await client.get("/v2/support/export", headers=project.auth))

    assert len(lines) == 250
    assert sorted(line["subject"] for line in lines) == sorted(f"t{n}" for n in range(250))
    assert all(line["messages"][0]["body"] == "b" + line["subject"][1:] for line in lines)
    assert all(line["contact_email"] == "a@b.io" and line["sla"]["tier"] == "enterprise" for line in lines)


async def test_an_interrupted_export_resumes_from_the_last_line(
    client: httpx.AsyncClient, services: Services, project: ProjectKey
) -> None:
    opened = [(await open_ticket(client, project, subject=f"t{n}"))["id"] for n in range(30)]

    first = lines_of(await client.get("/v2/support/export", headers=project.auth))[:12]
    rest = lines_of(
        await client.get("/v2/support/export", params={"after": first[-1]["id"]}, headers=project.auth)
    )

    assert [line["id"] for line in first + rest] == opened


async def test_a_ticket_written_during_an_export_is_wholly_in_or_wholly_out(
    services: Services, project: ProjectKey
) -> None:
    before = await services.tickets.open(project.uuid, OpenTicket(subject="before", body="b"))
    export = services.export.tickets(project.uuid)
    first = await anext(export)  # the snapshot is taken now

    during = await services.tickets.open(project.uuid, OpenTicket(subject="during", body="b"))
    await services.tickets.reply(project.uuid, before.ticket.id, body="late words", author=Author.CUSTOMER)
    rest = [item async for item in export]

    exported = [first, *rest]
    assert [t.id for t in exported] == [before.ticket.id]
    assert not isinstance(first, ErasedTicket) and [m.body for m in first.messages or []] == ["b"]
    assert during.ticket.id not in {t.id for t in exported}


async def test_a_deletion_request_leaves_no_readable_copy(
    client: httpx.AsyncClient,
    services: Services,
    project: ProjectKey,
    staff_auth: dict[str, str],
    pool: asyncpg.Pool,
) -> None:
    canary = f"canary{secrets.token_hex(6)}"
    kept = await open_ticket(client, project, contact_email="keep@example.com")
    gone = await client.post(
        "/v2/support/tickets",
        json={**SEED_OPEN, "subject": canary, "contact_email": f"{canary}@example.com"},
        headers={**project.auth, "Idempotency-Key": canary},
    )
    gone_id = gone.json()["id"]
    await client.post(f"/v2/support/tickets/{gone_id}/messages", json={"body": canary}, headers=project.auth)

    erasure = await client.post(
        f"/v2/staff/projects/{project.id}/erasure",
        json={"contact_email": f"{canary}@example.com"},
        headers=staff_auth,
    )

    assert erasure.status_code == 200 and erasure.json()["tickets_erased"] == [gone_id]
    assert (await client.get(f"/v2/support/tickets/{gone_id}", headers=project.auth)).status_code == 404
    still = await client.get(f"/v2/support/tickets/{kept['id']}", headers=project.auth)
    assert still.json() == kept
    history = (await client.get(f"/v2/support/tickets/{gone_id}/events", headers=project.auth)).json()["data"]
    assert [e["type"] for e in history] == ["Opened", "MessageAppended", "Erased"]
    assert history[0]["data"]["subject"] is None and history[1]["data"]["body"] is None
    exported = lines_of(await client.get("/v2/support/export", headers=project.auth))
    assert [line["id"] for line in exported] == [kept["id"], gone_id]
    assert exported[1]["erased"] is True and set(exported[1]) == {"id", "object", "erased", "erased_at"}
    listed = (await client.get("/v2/support/tickets", headers=project.auth)).json()["data"]
    assert [t["id"] for t in listed] == [kept["id"]]
    gone_uuid = parse_id(Prefix.TICKET, gone_id)
    async with pool.acquire() as conn:
        assert await tables_holding(conn, canary) == []
        assert await conn.fetchval("SELECT count(*) FROM data_keys WHERE key_id = $1", gone_uuid) == 0
        assert (
            await conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE ticket_id = $1", gone_uuid) == 0
        )
    again = await client.post(
        "/v2/support/tickets",
        json={**SEED_OPEN, "subject": canary, "contact_email": f"{canary}@example.com"},
        headers={**project.auth, "Idempotency-Key": canary},
    )
    assert again.status_code == 201 and again.json()["id"] != gone_id, "the erased ticket is not replayed"


async def test_erasure_of_a_whole_project_and_of_an_unknown_project(
    client: httpx.AsyncClient, project: ProjectKey, staff_auth: dict[str, str]
) -> None:
    tickets = await asyncio.gather(*(open_ticket(client, project, subject=f"t{n}") for n in range(3)))
    whole = await client.post(f"/v2/staff/projects/{project.id}/erasure", json={}, headers=staff_auth)
    unknown = await client.post("/v2/staff/projects/prj_nope/erasure", json={}, headers=staff_auth)
    as_customer = await client.post(f"/v2/staff/projects/{project.id}/erasure", json={}, headers=project.auth)

    assert sorted(whole.json()["tickets_erased"]) == sorted(t["id"] for t in tickets)
    assert unknown.status_code == 404 and as_customer.status_code == 401
