from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import start_notifier_at_the_end
from tests.sink_server import sink_server
from tests.test_cli import cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """The real `zumik-support serve` process on a real socket, logging to a file."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)  # waiting for start-up; nothing is asserted about time
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def server(env_for_cli: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "server.log"
    with serving({**env_for_cli, "ZUMIK_LOG_FORMAT": "json"}, log) as base:
        yield base, log


def test_logs_carry_request_ids_and_never_personal_data(
    server: tuple[str, Path], env_for_cli: dict[str, str]
) -> None:
    base, log = server
    key = cli(env_for_cli, "projects", "create", "--name", "Logged", "--plan", "base")["api_key"]
    canary = f"canary{secrets.token_hex(6)}"
    auth = {"Authorization": f"Bearer {key}"}

    opened = httpx.post(
        f"{base}/v2/support/tickets",
        json={"subject": f"s {canary}", "body": f"b {canary}", "contact_email": f"{canary}@example.com"},
        headers=auth,
    )
    bad = httpx.post(f"{base}/v2/support/tickets", json={"subject": canary, "body": 5}, headers=auth)
    httpx.post(
        f"{base}/v2/support/tickets/{opened.json()['id']}/messages", json={"body": canary}, headers=auth
    )

    text = log.read_text()
    assert opened.status_code == 201 and bad.status_code == 400
    assert canary not in text
    lines = [json.loads(line) for line in text.splitlines()]
    requests = {line["request_id"]: line for line in lines if line.get("event") == "request"}
    assert opened.headers["request-id"] in requests
    assert requests[bad.headers["request-id"]]["status"] == 400


def test_the_embedded_database_is_shared_while_serving_and_kept_across_restarts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"ZUMIK_DATA_DIR": str(tmp_path / "data"), "ZUMIK_LOG_FORMAT": "json"}

    with serving(env, tmp_path / "first.log") as base:
        created = cli(env, "projects", "create", "--name", "Embedded", "--plan", "pilot")
        assert httpx.get(f"{base}/readyz").status_code == 200
    with serving(env, tmp_path / "second.log"):
        listed = cli(env, "projects", "list")

    assert [p["id"] for p in listed] == [created["id"]]


async def test_the_served_worker_notifies_the_team_as_its_environment_says_and_logs_no_words(
    env_for_cli: dict[str, str], tmp_path: Path, pool: asyncpg.Pool
) -> None:
    await start_notifier_at_the_end(pool)
    canary = f"canary{secrets.token_hex(6)}"
    log = tmp_path / "server.log"
    with sink_server() as resend, sink_server() as webhook:
        env = env_for_cli | {
            "ZUMIK_LOG_FORMAT": "json",
            "RESEND_API_KEY": "re_live",
            "RESEND_BASE_URL": resend.url,
            "RESEND_FROM": "Zumik <support@zumik.example>",
            "SUPPORT_TEAM_EMAIL": "team@zumik.example",
            "OPS_WEBHOOK_URL": f"{webhook.url}/hooks/zumik",
            "OPS_WEBHOOK_SECRET": "whsec-live",
        }
        key = cli(env, "projects", "create", "--name", "Notified", "--plan", "pilot")["api_key"]
        with serving(env, log) as base:
            async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
                words = {"subject": f"s {canary}", "body": f"b {canary}", "contact_email": f"{canary}@x.io"}
                ticket = (await api.post("/v2/support/tickets", json=words)).json()
                await api.post(f"/v2/support/tickets/{ticket['id']}/messages", json={"body": f"r {canary}"})
                hooks = await webhook.wait_for(ticket["id"], 2)
                emails = await resend.wait_for(ticket["id"], 2)

    assert [h.path for h in hooks] == ["/hooks/zumik"] * 2
    assert [h.json()["type"] for h in hooks] == ["ticket.opened", "ticket.message_created"]
    t = hooks[0].headers["Zumik-Signature"].split(",")[0].removeprefix("t=")
    expected = hmac.new(b"whsec-live", f"{t}.".encode() + hooks[0].body, hashlib.sha256).hexdigest()
    assert hooks[0].headers["Zumik-Signature"] == f"t={t},v1={expected}"
    assert [e.json()["text"].split("\n")[0] for e in emails] == [f"b {canary}", f"r {canary}"]
    text = log.read_text()
    delivered = [json.loads(line) for line in text.splitlines() if "notification.delivered" in line]
    assert len(delivered) == 4
    assert canary not in text, "the notifier's logs carry ids, never people's words"
