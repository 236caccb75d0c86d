from __future__ import annotations

import httpx

from tests.api.helpers import SEED_OPEN, open_ticket, reply, set_status
from tests.conftest import ProjectKey


async def test_the_seed_example_opens_a_full_ticket(client: httpx.AsyncClient, project: ProjectKey) -> None:
    r = await client.post("/v2/support/tickets", json=SEED_OPEN, headers=project.auth)

    assert r.status_code == 201
    t = r.json()
    assert t["id"].startswith("spt_") and t["object"] == "support_ticket"
    assert (t["subject"], t["priority"], t["status"], t["plan_tier"]) == (
        "Streaming cuts off mid-response",
        "high",
        "open",
        "enterprise",
    )
    assert t["sla"]["tier"] == "enterprise"
    assert t["sla"]["first_response_target"] == "4 hours, 24/7 for urgent issues"
    assert t["sla"]["priority_queue"] is True
    assert t["sla"]["first_response_due_at"].endswith("Z")
    assert t["contact_email"] == "dev@example.com"
    [message] = t["messages"]
    assert message["id"].startswith("spm_") and message["object"] == "support_message"
    assert (message["author"], message["body"]) == ("customer", SEED_OPEN["body"])
    assert t["first_response_at"] is None and t["sla_breached"] is False and t["version"] == 1


async def test_priority_defaults_to_normal_and_contact_email_is_optional(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    r = await client.post("/v2/support/tickets", json={"subject": "s", "body": "b"}, headers=project.auth)
    assert r.status_code == 201
    assert (r.json()["priority"], r.json()["contact_email"]) == ("normal", None)


async def test_a_ticket_reads_back_as_it_was_written(client: httpx.AsyncClient, project: ProjectKey) -> None:
    opened = await open_ticket(client, project)
    r = await client.get(f"/v2/support/tickets/{opened['id']}", headers=project.auth)
    assert r.status_code == 200
    assert r.json() == opened


async def test_the_seed_reply_appends_to_the_thread(client: httpx.AsyncClient, project: ProjectKey) -> None:
    opened = await open_ticket(client, project)
    r = await reply(client, project, opened["id"], "Here is the full request body and a HAR file.")
    assert r.status_code == 201
    assert [m["body"] for m in r.json()["messages"]] == [
        SEED_OPEN["body"],
        "Here is the full request body and a HAR file.",
    ]
    got = await client.get(f"/v2/support/tickets/{opened['id']}", headers=project.auth)
    assert got.json() == r.json()


async def test_the_seed_patch_resolves_the_ticket(client: httpx.AsyncClient, project: ProjectKey) -> None:
    opened = await open_ticket(client, project)
    r = await set_status(client, project, opened["id"], "resolved")
    assert r.status_code == 200 and r.json()["status"] == "resolved" and r.json()["version"] == 2


async def test_reply_to_a_resolved_ticket_reopens_it(client: httpx.AsyncClient, project: ProjectKey) -> None:
    opened = await open_ticket(client, project)
    await set_status(client, project, opened["id"], "resolved")
    r = await reply(client, project, opened["id"], "still cutting off at 30s")
    assert r.status_code == 201 and r.json()["status"] == "open"


async def test_reply_to_a_pending_ticket_returns_it_to_open(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    opened = await open_ticket(client, project)
    await set_status(client, project, opened["id"], "pending")
    r = await reply(client, project, opened["id"], "logs attached")
    assert r.json()["status"] == "open"


async def test_a_closed_ticket_is_final(client: httpx.AsyncClient, project: ProjectKey) -> None:
    opened = await open_ticket(client, project)
    await set_status(client, project, opened["id"], "closed")

    replied = await reply(client, project, opened["id"], "hello?")
    reopened = await set_status(client, project, opened["id"], "open")
    closed_again = await set_status(client, project, opened["id"], "closed")

    assert replied.status_code == 409 and replied.json()["error"]["code"] == "ticket_closed"
    assert reopened.status_code == 409 and reopened.json()["error"]["code"] == "ticket_closed"
    assert closed_again.status_code == 200 and closed_again.json()["version"] == 2


async def test_the_same_status_answers_200_and_records_nothing(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    opened = await open_ticket(client, project)
    r = await set_status(client, project, opened["id"], "open")
    assert r.status_code == 200 and r.json()["version"] == 1


async def test_a_follow_up_names_a_closed_ticket(client: httpx.AsyncClient, project: ProjectKey) -> None:
    first = await open_ticket(client, project)
    too_early = await client.post(
        "/v2/support/tickets", json={**SEED_OPEN, "follow_up_of": first["id"]}, headers=project.auth
    )
    await set_status(client, project, first["id"], "closed")
    follow_up = await open_ticket(client, project, follow_up_of=first["id"])

    assert too_early.status_code == 409 and too_early.json()["error"]["code"] == "follow_up_not_closed"
    assert follow_up["follow_up_of"] == first["id"]


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    ready = await client.get("/readyz")
    assert (health.status_code, ready.status_code) == (200, 200)
    assert health.headers["request-id"].startswith("req_")
