from __future__ import annotations

from itertools import chain
from typing import Any

import httpx

from tests.api.helpers import open_ticket, set_status
from tests.conftest import ProjectKey

TICKETS = "/v2/support/tickets"


async def walk(
    client: httpx.AsyncClient, project: ProjectKey, cursor: str, start: dict[str, Any]
) -> list[list[str]]:
    pages, params = [], dict(start)
    for _ in range(10):
        body = (await client.get(TICKETS, params={"limit": 20, **params}, headers=project.auth)).json()
        ids = [t["id"] for t in body["data"]]
        pages.append(ids)
        if not body["has_more"]:
            return pages
        params = {cursor: ids[-1] if cursor == "starting_after" else ids[0]}
    raise AssertionError("pagination did not end")


async def test_pages_of_20_walk_45_tickets_once_in_both_directions(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    opened = [(await open_ticket(client, project, subject=f"t{n}"))["id"] for n in range(45)]
    newest_first = list(reversed(opened))

    forward = await walk(client, project, "starting_after", {})
    backward = await walk(client, project, "ending_before", {"ending_before": opened[0]})

    assert [len(p) for p in forward] == [20, 20, 5]
    assert list(chain.from_iterable(forward)) == newest_first
    assert [len(p) for p in backward] == [20, 20, 4]
    assert list(chain.from_iterable(reversed(backward))) == newest_first[:-1]


async def test_list_items_carry_message_count_and_no_messages(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    ticket = await open_ticket(client, project)
    await client.post(f"{TICKETS}/{ticket['id']}/messages", json={"body": "more"}, headers=project.auth)

    body = (await client.get(TICKETS, headers=project.auth)).json()

    assert (body["object"], body["url"], body["has_more"]) == ("list", TICKETS, False)
    [item] = body["data"]
    assert item["message_count"] == 2 and "messages" not in item
    assert item["subject"] == ticket["subject"] and item["contact_email"] == ticket["contact_email"]


async def test_filters_by_status_and_priority(client: httpx.AsyncClient, project: ProjectKey) -> None:
    low = await open_ticket(client, project, priority="low")
    urgent = await open_ticket(client, project, priority="urgent")
    await set_status(client, project, urgent["id"], "pending")

    async def ids(**params: str) -> list[str]:
        body = (await client.get(TICKETS, params=params, headers=project.auth)).json()
        return [t["id"] for t in body["data"]]

    assert await ids(status="pending") == [urgent["id"]]
    assert await ids(priority="low") == [low["id"]]
    assert await ids(status="open", priority="urgent") == []


async def test_both_cursors_at_once_is_a_400(client: httpx.AsyncClient, project: ProjectKey) -> None:
    ticket = await open_ticket(client, project)
    r = await client.get(
        TICKETS, params={"starting_after": ticket["id"], "ending_before": ticket["id"]}, headers=project.auth
    )
    assert r.status_code == 400
