from __future__ import annotations

import asyncio

import httpx

from domain.plans import Plan
from infra.services import Services
from tests.api.helpers import open_ticket, reply
from tests.conftest import ProjectKey, new_project


async def test_30_concurrent_replies_to_one_ticket_keep_all_30_messages(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    ticket = await open_ticket(client, project)

    answers = await asyncio.gather(*(reply(client, project, ticket["id"], f"reply {n}") for n in range(30)))

    assert [r.status_code for r in answers] == [201] * 30
    got = (await client.get(f"/v2/support/tickets/{ticket['id']}", headers=project.auth)).json()
    assert sorted(m["body"] for m in got["messages"][1:]) == sorted(f"reply {n}" for n in range(30))
    assert got["version"] == 31


async def test_a_plan_change_leaves_open_tickets_sla_alone(
    client: httpx.AsyncClient, services: Services
) -> None:
    project = await new_project(services, Plan.ENTERPRISE)
    before = await open_ticket(client, project, priority="urgent")

    await services.projects.set_plan(project.uuid, Plan.FREE)
    after = await open_ticket(client, project, priority="urgent")
    reread = (await client.get(f"/v2/support/tickets/{before['id']}", headers=project.auth)).json()

    assert reread["sla"] == before["sla"] and reread["plan_tier"] == "enterprise"
    assert after["plan_tier"] == "free"
    assert after["sla"] == {
        "tier": "community",
        "first_response_target": "Best effort, community support",
        "priority_queue": False,
        "first_response_due_at": None,
    }
