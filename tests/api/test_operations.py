from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from api.app import create_app
from infra.database import Database
from infra.settings import Settings
from tests.api.helpers import SEED_OPEN, error_of, open_ticket
from tests.conftest import ProjectKey, running


@pytest.fixture
async def client_without_database(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # Port 1 on loopback: nothing listens there, so every connection is refused.
    down = replace(settings, database_url="postgresql://postgres@127.0.0.1:1/zumik")
    async with running(create_app(down, Database(down))) as client:
        yield client


async def test_without_a_database_requests_get_503_with_retry_after(
    client_without_database: httpx.AsyncClient,
) -> None:
    health = await client_without_database.get("/healthz")
    ready = await client_without_database.get("/readyz")
    write = await client_without_database.post(
        "/v2/support/tickets", json=SEED_OPEN, headers={"Authorization": "Bearer zk_live_anything"}
    )

    assert (health.status_code, ready.status_code) == (200, 503)
    assert write.status_code == 503 and int(write.headers["retry-after"]) > 0
    assert error_of(write)["code"] == "database_unavailable"


async def test_the_openapi_document_describes_every_endpoint_and_its_errors(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    docs = await client.get("/schema")

    assert spec["openapi"].startswith("3.1") and docs.status_code == 200
    paths = spec["paths"]
    operations = {
        ("post", "/v2/support/tickets"): {"201", "400", "401", "409", "413", "429", "503"},
        ("get", "/v2/support/tickets"): {"200", "400", "401"},
        ("get", "/v2/support/tickets/{ticket_id}"): {"200", "401", "404"},
        ("post", "/v2/support/tickets/{ticket_id}/messages"): {"201", "400", "404", "409", "413"},
        ("patch", "/v2/support/tickets/{ticket_id}"): {"200", "400", "404", "409"},
        ("get", "/v2/staff/support/queue"): {"200", "400", "401"},
        ("get", "/v2/staff/support/tickets/{ticket_id}"): {"200", "401", "404"},
        ("post", "/v2/staff/support/tickets/{ticket_id}/messages"): {"201", "400", "404", "409"},
        ("patch", "/v2/staff/support/tickets/{ticket_id}"): {"200", "400", "404", "409"},
        ("post", "/v2/staff/projects/{project_id}/erasure"): {"200", "400", "401", "404"},
    }
    for (method, path), statuses in operations.items():
        responses = paths[path][method]["responses"]
        assert statuses <= set(responses), (method, path, set(responses))
    listing = paths["/v2/support/tickets"]["get"]
    assert {"limit", "starting_after", "ending_before", "status", "priority"} <= {
        p["name"] for p in listing["parameters"]
    }
    opening = paths["/v2/support/tickets"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in opening["parameters"]}
    assert "ErrorEnvelope" in spec["components"]["schemas"]


async def test_metrics_count_responses_and_open_tickets(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    before = await client.get("/metrics")
    await open_ticket(client, project)
    after = await client.get("/metrics")

    def value(text: str, name: str) -> float:
        return float(next(line.split()[-1] for line in text.splitlines() if line.startswith(name)))

    assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain")
    assert value(after.text, "zumik_tickets_open ") == value(before.text, "zumik_tickets_open ") + 1
    assert value(after.text, 'zumik_http_responses_total{class="2xx"}') >= 2
