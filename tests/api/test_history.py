from __future__ import annotations

import httpx

from infra.services import Services
from tests.api.helpers import SEED_OPEN, error_of, open_ticket, reply, set_status
from tests.conftest import ProjectKey, new_project


async def events_of(
    client: httpx.AsyncClient, project: ProjectKey, ticket_id: str
) -> list[dict[str, object]]:
    r = await client.get(f"/v2/support/tickets/{ticket_id}/events", headers=project.auth)
    assert r.status_code == 200
    data: list[dict[str, object]] = r.json()["data"]
    return data


async def test_history_lists_every_event_in_order_with_who_did_it(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    ticket = await open_ticket(client, project)
    await reply(client, project, ticket["id"], "more detail")
    await set_status(client, project, ticket["id"], "resolved")
    await reply(client, project, ticket["id"], "it came back")

    events = await events_of(client, project, ticket["id"])

    assert [(e["type"], e["version"], e["actor"]) for e in events] == [
        ("Opened", 1, "customer"),
        ("MessageAppended", 2, "customer"),
        ("StatusChanged", 3, "customer"),
        ("MessageAppended", 4, "customer"),
        ("Reopened", 5, "customer"),
    ]
    opened = events[0]["data"]
    assert isinstance(opened, dict)
    assert (opened["subject"], opened["body"], opened["contact_email"]) == (
        SEED_OPEN["subject"],
        SEED_OPEN["body"],
        SEED_OPEN["contact_email"],
    )
    assert str(opened["project_id"]).startswith("prj_") and str(opened["message_id"]).startswith("spm_")
    recorded = [str(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)


async def test_version_one_is_the_ticket_as_opened(client: httpx.AsyncClient, project: ProjectKey) -> None:
    ticket = await open_ticket(client, project)
    await reply(client, project, ticket["id"], "more detail")
    await set_status(client, project, ticket["id"], "pending")

    then = await client.get(
        f"/v2/support/tickets/{ticket['id']}", params={"version": 1}, headers=project.auth
    )

    assert then.status_code == 200
    assert then.json() == ticket


async def test_as_of_between_two_changes_gives_the_earlier_state(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    ticket = await open_ticket(client, project)
    await set_status(client, project, ticket["id"], "pending")
    await set_status(client, project, ticket["id"], "resolved")
    events = await events_of(client, project, ticket["id"])
    between = str(events[1]["recorded_at"])

    then = await client.get(
        f"/v2/support/tickets/{ticket['id']}", params={"as_of": between}, headers=project.auth
    )

    assert then.status_code == 200
    assert (then.json()["status"], then.json()["version"]) == ("pending", 2)


async def test_out_of_range_history_questions_are_a_400(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    ticket = await open_ticket(client, project)
    url = f"/v2/support/tickets/{ticket['id']}"
    too_far = await client.get(url, params={"version": 2}, headers=project.auth)
    zero = await client.get(url, params={"version": 0}, headers=project.auth)
    before = await client.get(url, params={"as_of": "2000-01-01T00:00:00Z"}, headers=project.auth)
    assert [r.status_code for r in (too_far, zero, before)] == [400, 400, 400]
    assert [error_of(r)["param"] for r in (too_far, zero, before)] == ["version", "version", "as_of"]


async def test_history_of_another_projects_ticket_is_a_404(
    client: httpx.AsyncClient, project: ProjectKey, services: Services
) -> None:
    ticket = await open_ticket(client, project)
    other = await new_project(services, name="Other")
    for params in ({}, {"version": 1}):
        r = await client.get(f"/v2/support/tickets/{ticket['id']}/events", params=params, headers=other.auth)
        assert r.status_code == 404
    r = await client.get(f"/v2/support/tickets/{ticket['id']}", params={"version": 1}, headers=other.auth)
    assert r.status_code == 404
