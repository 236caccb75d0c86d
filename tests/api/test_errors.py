from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import SEED_OPEN, error_of, open_ticket
from tests.conftest import ProjectKey

TICKETS = "/v2/support/tickets"


async def ticket_count(client: httpx.AsyncClient, project: ProjectKey) -> int:
    r = await client.get(TICKETS, params={"limit": 100}, headers=project.auth)
    return len(r.json()["data"])


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({**SEED_OPEN, "colour": "red"}, "parameter_unknown", "colour"),
        ({"body": "b"}, "parameter_missing", "subject"),
        ({**SEED_OPEN, "subject": 42}, "parameter_invalid", "subject"),
        ({**SEED_OPEN, "subject": "   "}, "parameter_invalid", "subject"),
        ({**SEED_OPEN, "subject": "x" * 201}, "parameter_invalid", "subject"),
        ({**SEED_OPEN, "body": ""}, "parameter_invalid", "body"),
        ({**SEED_OPEN, "body": "x" * 50_001}, "parameter_invalid", "body"),
        ({**SEED_OPEN, "priority": "asap"}, "parameter_invalid", "priority"),
        ({**SEED_OPEN, "contact_email": "not-an-address"}, "parameter_invalid", "contact_email"),
        ({**SEED_OPEN, "contact_email": "a@" + "b" * 250 + ".io"}, "parameter_invalid", "contact_email"),
        ({**SEED_OPEN, "follow_up_of": "spt_nope"}, "follow_up_not_found", "follow_up_of"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient, project: ProjectKey, body: dict[str, Any], code: str, param: str
) -> None:
    r = await client.post(TICKETS, json=body, headers=project.auth)

    assert r.status_code == 400, r.text
    error = error_of(r)
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert await ticket_count(client, project) == 0


async def test_malformed_json_is_a_400(client: httpx.AsyncClient, project: ProjectKey) -> None:
    r = await client.post(
        TICKETS,
        content=b'{"subject": "s", "body": ',
        headers={**project.auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert error_of(r)["code"] == "invalid_json"


async def test_a_body_over_one_mebibyte_is_a_413(client: httpx.AsyncClient, project: ProjectKey) -> None:
    r = await client.post(TICKETS, json={**SEED_OPEN, "body": "x" * (1024 * 1024)}, headers=project.auth)
    assert r.status_code == 413
    assert error_of(r)["code"] == "body_too_large"
    assert await ticket_count(client, project) == 0


async def test_a_bad_reply_is_a_400(client: httpx.AsyncClient, project: ProjectKey) -> None:
    ticket = await open_ticket(client, project)
    r = await client.post(f"{TICKETS}/{ticket['id']}/messages", json={"body": 7}, headers=project.auth)
    assert r.status_code == 400 and error_of(r)["param"] == "body"


async def test_a_bad_status_is_a_400(client: httpx.AsyncClient, project: ProjectKey) -> None:
    ticket = await open_ticket(client, project)
    r = await client.patch(f"{TICKETS}/{ticket['id']}", json={"status": "archived"}, headers=project.auth)
    assert r.status_code == 400 and error_of(r)["param"] == "status"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "gone"}, "status"),
        ({"priority": "meh"}, "priority"),
        ({"starting_after": "nope"}, "starting_after"),
    ],
)
async def test_bad_list_parameters_are_a_400(
    client: httpx.AsyncClient, project: ProjectKey, params: dict[str, Any], param: str
) -> None:
    r = await client.get(TICKETS, params=params, headers=project.auth)
    assert r.status_code == 400, r.text
    assert error_of(r)["param"] == param


async def test_an_unknown_ticket_is_a_404(client: httpx.AsyncClient, project: ProjectKey) -> None:
    for ticket_id in ("spt_01m8y4hba9e3p971wk0pdmecq6", "nonsense"):
        r = await client.get(f"{TICKETS}/{ticket_id}", headers=project.auth)
        assert r.status_code == 404
        assert error_of(r)["code"] == "resource_missing"


async def test_an_unknown_route_is_a_404_in_the_envelope(client: httpx.AsyncClient) -> None:
    r = await client.get("/v2/support/nothing-here")
    assert r.status_code == 404 and error_of(r)["code"] == "route_not_found"
