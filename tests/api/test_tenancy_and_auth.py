from __future__ import annotations

import httpx
import pytest

from infra import api_keys
from infra.services import Services
from tests.api.helpers import SEED_OPEN, error_of, open_ticket
from tests.conftest import ProjectKey, new_project


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer zk_live_made_up"},
    ],
)
async def test_a_missing_malformed_or_unknown_key_is_a_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    r = await client.get("/v2/support/tickets", headers=headers)
    assert r.status_code == 401
    assert error_of(r)["type"] == "authentication_error"


async def test_a_revoked_key_stops_working(
    client: httpx.AsyncClient, services: Services, project: ProjectKey
) -> None:
    before = await client.get("/v2/support/tickets", headers=project.auth)
    async with services.pool.acquire() as conn:
        assert await api_keys.revoke(conn, project.key[:20])
    after = await client.get("/v2/support/tickets", headers=project.auth)
    assert (before.status_code, after.status_code) == (200, 401)


async def test_another_projects_ticket_is_a_404_on_every_endpoint(
    client: httpx.AsyncClient, services: Services, project: ProjectKey
) -> None:
    ticket = await open_ticket(client, project)
    intruder = await new_project(services, name="Intruder")
    unknown = "spt_01m8y4hba9e3p971wk0pdmecq6"
    probes = {
        "get": lambda t: client.get(f"/v2/support/tickets/{t}", headers=intruder.auth),
        "reply": lambda t: client.post(
            f"/v2/support/tickets/{t}/messages", json={"body": "hi"}, headers=intruder.auth
        ),
        "patch": lambda t: client.patch(
            f"/v2/support/tickets/{t}", json={"status": "closed"}, headers=intruder.auth
        ),
    }
    for name, probe in probes.items():
        foreign, missing = await probe(ticket["id"]), await probe(unknown)
        assert foreign.status_code == missing.status_code == 404, name
        assert {k: v for k, v in error_of(foreign).items() if k != "request_id"} == {
            k: v for k, v in error_of(missing).items() if k != "request_id"
        }, name

    listed = await client.get("/v2/support/tickets", headers=intruder.auth)
    follow_up = await client.post(
        "/v2/support/tickets", json={**SEED_OPEN, "follow_up_of": ticket["id"]}, headers=intruder.auth
    )
    owner_view = await client.get(f"/v2/support/tickets/{ticket['id']}", headers=project.auth)

    assert listed.json()["data"] == []
    assert follow_up.status_code == 400 and error_of(follow_up)["code"] == "follow_up_not_found"
    assert owner_view.json() == ticket, "the probes changed nothing"


async def test_authenticated_responses_carry_rate_limit_headers(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    r = await client.get("/v2/support/tickets", headers=project.auth)
    assert int(r.headers["ratelimit-limit"]) > 0
    assert 0 <= int(r.headers["ratelimit-remaining"]) < int(r.headers["ratelimit-limit"])
    assert 1 <= int(r.headers["ratelimit-reset"]) <= 60
