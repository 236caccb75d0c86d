from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ProjectKey

SEED_OPEN = {
    "subject": "Streaming cuts off mid-response",
    "body": "When I set stream:true the connection drops after ~30s.",
    "priority": "high",
    "contact_email": "dev@example.com",
}


async def open_ticket(client: httpx.AsyncClient, project: ProjectKey, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v2/support/tickets", json={**SEED_OPEN, **fields}, headers=project.auth)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def reply(client: httpx.AsyncClient, project: ProjectKey, ticket_id: str, body: str) -> httpx.Response:
    return await client.post(
        f"/v2/support/tickets/{ticket_id}/messages", json={"body": body}, headers=project.auth
    )


async def set_status(
    client: httpx.AsyncClient, project: ProjectKey, ticket_id: str, status: str
) -> httpx.Response:
    return await client.patch(
        f"/v2/support/tickets/{ticket_id}", json={"status": status}, headers=project.auth
    )


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"type", "code", "message", "param", "request_id"}, body
    assert body["error"]["request_id"] == response.headers["request-id"]
    error: dict[str, Any] = body["error"]
    return error
