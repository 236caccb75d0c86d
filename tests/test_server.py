from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_cli import cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(env_for_cli: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The real `zumik-support serve` process on a real socket, logging JSON to a file."""
    port, log = free_port(), tmp_path / "server.log"
    env = {**env_for_cli, "ZUMIK_LOG_FORMAT": "json"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)  # waiting for start-up; nothing is asserted about time
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)


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
