from __future__ import annotations

import asyncio

import httpx

from infra.services import Services
from tests.api.helpers import SEED_OPEN, error_of, open_ticket
from tests.conftest import ProjectKey, new_project

TICKETS = "/v2/support/tickets"


async def test_the_same_key_and_body_returns_the_first_response_and_records_nothing(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    headers = {**project.auth, "Idempotency-Key": "open-1"}
    first = await client.post(TICKETS, json=SEED_OPEN, headers=headers)
    await client.patch(f"{TICKETS}/{first.json()['id']}", json={"status": "pending"}, headers=project.auth)

    again = await client.post(TICKETS, json=SEED_OPEN, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json(), "the first response, not the ticket as it is now"
    listed = await client.get(TICKETS, headers=project.auth)
    assert len(listed.json()["data"]) == 1


async def test_the_same_key_with_another_body_is_a_409(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    headers = {**project.auth, "Idempotency-Key": "open-2"}
    await client.post(TICKETS, json=SEED_OPEN, headers=headers)
    reused = await client.post(TICKETS, json={**SEED_OPEN, "priority": "low"}, headers=headers)
    assert reused.status_code == 409
    assert error_of(reused)["code"] == "idempotency_key_reused"


async def test_keys_belong_to_one_project(
    client: httpx.AsyncClient, project: ProjectKey, services: Services
) -> None:
    other = await new_project(services, name="Other")
    one = await client.post(TICKETS, json=SEED_OPEN, headers={**project.auth, "Idempotency-Key": "shared"})
    two = await client.post(TICKETS, json=SEED_OPEN, headers={**other.auth, "Idempotency-Key": "shared"})
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] != two.json()["id"]


async def test_an_idempotent_reply_appends_once(client: httpx.AsyncClient, project: ProjectKey) -> None:
    ticket = await open_ticket(client, project)
    url, headers = f"{TICKETS}/{ticket['id']}/messages", {**project.auth, "Idempotency-Key": "reply-1"}

    first = await client.post(url, json={"body": "logs attached"}, headers=headers)
    again = await client.post(url, json={"body": "logs attached"}, headers=headers)

    assert again.status_code == 201 and again.json() == first.json()
    got = await client.get(f"{TICKETS}/{ticket['id']}", headers=project.auth)
    assert len(got.json()["messages"]) == 2


async def test_concurrent_twins_with_one_key_record_one_ticket(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    headers = {**project.auth, "Idempotency-Key": "twins"}
    answers = await asyncio.gather(*(client.post(TICKETS, json=SEED_OPEN, headers=headers) for _ in range(8)))

    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["id"] for r in answers}) == 1
    listed = await client.get(TICKETS, headers=project.auth)
    assert len(listed.json()["data"]) == 1
