from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from api.app import create_app
from domain.business_hours import BusinessCalendar, OpeningHours
from domain.plans import Plan
from infra.breach_watch import BreachWatch
from infra.database import Database
from infra.services import Services, build_services
from infra.settings import Settings
from tests.api.helpers import error_of, open_ticket, set_status
from tests.conftest import ProjectKey, SetClock, new_project, running

STAFF = "/v2/staff/support"
TUESDAY_10AM = datetime(2026, 12, 1, 10, tzinfo=UTC)


async def whole_queue(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: dict[str, str] = {}
    for _ in range(200):
        body = (
            await client.get(f"{STAFF}/queue", params={"limit": 100, **params, **cursor}, headers=auth)
        ).json()
        items += body["data"]
        if not body["has_more"]:
            return items
        cursor = {"starting_after": body["data"][-1]["id"]}
    raise AssertionError("the queue did not end")


async def test_the_queue_puts_priority_plans_first_then_urgency_then_due_time_then_age(
    client: httpx.AsyncClient, services: Services, staff_auth: dict[str, str]
) -> None:
    projects = {plan: await new_project(services, plan, name=plan.value) for plan in Plan}
    opened = []
    for plan, priority in [
        (Plan.FREE, "urgent"),
        (Plan.BASE, "high"),
        (Plan.PILOT, "low"),
        (Plan.ENTERPRISE, "normal"),
        (Plan.ENTERPRISE, "urgent"),
        (Plan.PILOT, "urgent"),
        (Plan.BASE, "urgent"),
        (Plan.FREE, "low"),
    ]:
        ticket = await open_ticket(client, projects[plan], priority=priority)
        opened.append((ticket["id"], plan, priority))
    answered = await open_ticket(client, projects[Plan.PILOT], priority="urgent")
    await set_status(client, projects[Plan.PILOT], answered["id"], "pending")

    ours = {t[0] for t in opened} | {answered["id"]}
    order = [item["id"] for item in await whole_queue(client, staff_auth) if item["id"] in ours]

    by_id = {t[0]: t for t in opened}
    assert [(by_id[i][1].value, by_id[i][2]) for i in order] == [
        ("enterprise", "urgent"),  # due in 4 hours round the clock: earlier than pilot's business hours
        ("pilot", "urgent"),
        ("enterprise", "normal"),
        ("pilot", "low"),
        ("base", "urgent"),
        ("free", "urgent"),  # no due time: after base's, though both are urgent
        ("base", "high"),
        ("free", "low"),
    ]
    assert answered["id"] not in order, "only tickets awaiting the team (open) are queued"


async def test_the_queue_filters_by_tier_priority_and_breach(
    client: httpx.AsyncClient, services: Services, staff_auth: dict[str, str]
) -> None:
    pilot = await new_project(services, Plan.PILOT, name="pilot")
    high = await open_ticket(client, pilot, priority="high")

    tiers = {i["id"] for i in await whole_queue(client, staff_auth, tier="priority", priority="high")}
    others = {i["id"] for i in await whole_queue(client, staff_auth, tier="standard")}
    breached = {i["id"] for i in await whole_queue(client, staff_auth, breached="true")}

    assert high["id"] in tiers and high["id"] not in others and high["id"] not in breached
    bad = await client.get(f"{STAFF}/queue", params={"tier": "gold"}, headers=staff_auth)
    assert bad.status_code == 400 and error_of(bad)["param"] == "tier"


async def test_a_team_reply_records_the_first_response_and_the_customer_sees_it(
    client: httpx.AsyncClient, project: ProjectKey, staff_auth: dict[str, str]
) -> None:
    ticket = await open_ticket(client, project)

    r = await client.post(
        f"{STAFF}/tickets/{ticket['id']}/messages",
        json={"body": "Looking into it now.", "status": "pending"},
        headers=staff_auth,
    )
    seen = (await client.get(f"/v2/support/tickets/{ticket['id']}", headers=project.auth)).json()

    assert r.status_code == 201 and r.json()["project_id"] == project.id
    assert seen["status"] == "pending" and seen["first_response_at"] is not None
    assert [(m["author"], m["body"]) for m in seen["messages"]][-1] == ("support", "Looking into it now.")
    events = (await client.get(f"{STAFF}/tickets/{ticket['id']}/events", headers=staff_auth)).json()
    assert [(e["type"], e["actor"]) for e in events["data"]][1:] == [
        ("MessageAppended", "support"),
        ("StatusChanged", "support"),
    ]


async def test_the_team_sets_a_tickets_status_and_the_customer_sees_who_did(
    client: httpx.AsyncClient, project: ProjectKey, staff_auth: dict[str, str]
) -> None:
    ticket = await open_ticket(client, project)

    r = await client.patch(f"{STAFF}/tickets/{ticket['id']}", json={"status": "resolved"}, headers=staff_auth)
    seen = (await client.get(f"/v2/support/tickets/{ticket['id']}", headers=project.auth)).json()

    assert r.status_code == 200 and r.json()["status"] == "resolved" and r.json()["project_id"] == project.id
    assert seen["status"] == "resolved" and seen["version"] == 2
    events = (await client.get(f"{STAFF}/tickets/{ticket['id']}/events", headers=staff_auth)).json()
    assert [(e["type"], e["actor"]) for e in events["data"]] == [
        ("Opened", "customer"),
        ("StatusChanged", "support"),
    ]


async def test_keys_of_one_surface_fail_cleanly_on_the_other(
    client: httpx.AsyncClient, project: ProjectKey, staff_auth: dict[str, str]
) -> None:
    ticket = await open_ticket(client, project)
    project_on_staff = await client.get(f"{STAFF}/tickets/{ticket['id']}", headers=project.auth)
    project_on_queue = await client.get(f"{STAFF}/queue", headers=project.auth)
    staff_on_customer = await client.get(f"/v2/support/tickets/{ticket['id']}", headers=staff_auth)
    for r in (project_on_staff, project_on_queue, staff_on_customer):
        assert r.status_code == 401 and error_of(r)["type"] == "authentication_error"


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, SetClock]]:
    clock = SetClock(TUESDAY_10AM)
    async with running(create_app(settings, Database(settings), clock=clock)) as client:
        yield client, clock


async def test_a_late_team_reply_is_breached_and_an_early_one_is_not(
    clocked: tuple[httpx.AsyncClient, SetClock], services: Services, staff_auth: dict[str, str]
) -> None:
    client, clock = clocked
    project = await new_project(services, Plan.PILOT)
    early, late = await open_ticket(client, project), await open_ticket(client, project)
    assert early["sla"]["first_response_due_at"] == "2026-12-01T14:00:00Z"

    clock.value = TUESDAY_10AM + timedelta(hours=3)
    await client.post(f"{STAFF}/tickets/{early['id']}/messages", json={"body": "hi"}, headers=staff_auth)
    clock.value = TUESDAY_10AM + timedelta(hours=5)
    waiting = (await client.get(f"/v2/support/tickets/{late['id']}", headers=project.auth)).json()
    await client.post(f"{STAFF}/tickets/{late['id']}/messages", json={"body": "sorry"}, headers=staff_auth)

    now_early = (await client.get(f"/v2/support/tickets/{early['id']}", headers=project.auth)).json()
    now_late = (await client.get(f"/v2/support/tickets/{late['id']}", headers=project.auth)).json()
    assert waiting["sla_breached"] is True, "due passed with no reply yet"
    assert (now_early["sla_breached"], now_late["sla_breached"]) == (False, True)


async def test_plan_and_calendar_changes_never_move_an_open_tickets_due_time(
    clocked: tuple[httpx.AsyncClient, SetClock], services: Services, settings: Settings
) -> None:
    client, _ = clocked
    project = await new_project(services, Plan.BASE)
    ticket = await open_ticket(client, project)

    await services.projects.set_plan(project.uuid, Plan.PILOT)
    around_the_clock = BusinessCalendar(weekly={day: OpeningHours(time(0), time(23, 59)) for day in range(7)})
    other = create_app(replace(settings, calendar=around_the_clock), Database(settings))
    async with running(other) as reread_client:
        reread = (await reread_client.get(f"/v2/support/tickets/{ticket['id']}", headers=project.auth)).json()

    assert (
        reread["sla"]
        == ticket["sla"]
        == {
            "tier": "standard",
            "first_response_target": "1 business day",
            "priority_queue": False,
            "first_response_due_at": "2026-12-02T10:00:00Z",
        }
    )


async def test_the_breach_watch_records_one_breach_even_with_two_workers(
    clocked: tuple[httpx.AsyncClient, SetClock],
    services: Services,
    settings: Settings,
    staff_auth: dict[str, str],
) -> None:
    client, clock = clocked
    project = await new_project(services, Plan.ENTERPRISE)
    ticket = await open_ticket(client, project, priority="urgent")
    after_due = SetClock(TUESDAY_10AM + timedelta(hours=4, minutes=1))
    workers = [
        BreachWatch(services.pool, build_services(settings, services.pool, after_due).tickets, after_due)
        for _ in range(2)
    ]

    await asyncio.gather(*(w.run_once() for w in workers))
    await asyncio.gather(*(w.run_once() for w in workers))

    clock.value = after_due.value
    events = (await client.get(f"{STAFF}/tickets/{ticket['id']}/events", headers=staff_auth)).json()["data"]
    breaches = [e for e in events if e["type"] == "FirstResponseBreached"]
    assert len(breaches) == 1 and breaches[0]["actor"] == "system"
    assert breaches[0]["data"]["due_at"] == "2026-12-01T14:00:00Z"
    queued = await whole_queue(client, staff_auth, breached="true")
    assert ticket["id"] in {i["id"] for i in queued}
