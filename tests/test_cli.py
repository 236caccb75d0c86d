from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from domain.ids import Prefix, format_id


def cli(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_create_a_project_change_its_plan_and_list_it(env_for_cli: dict[str, str]) -> None:
    created = cli(env_for_cli, "projects", "create", "--name", "Acme", "--plan", "base")
    assert created["id"].startswith("prj_") and created["plan"] == "base"
    assert created["api_key"].startswith("zk_live_") and len(created["api_key"]) > 40

    changed = cli(env_for_cli, "projects", "set-plan", created["id"], "enterprise")
    assert changed["plan"] == "enterprise"

    listed = {p["id"]: p for p in cli(env_for_cli, "projects", "list")}
    assert listed[created["id"]]["plan"] == "enterprise"
    assert "api_key" not in listed[created["id"]]


def test_a_bad_setting_is_a_clear_error(env_for_cli: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "projects", "list"],
        env={**env_for_cli, "ZUMIK_PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ZUMIK_PORT must be a whole number" in done.stderr


def test_an_unknown_project_is_a_clear_error(env_for_cli: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "projects", "set-plan", "prj_nope", "free"],
        env=env_for_cli,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "not a project id" in done.stderr


def test_rebuild_all_views_from_the_command_line(env_for_cli: dict[str, str]) -> None:
    created = cli(env_for_cli, "projects", "create", "--name", "Rebuild Co", "--plan", "pilot")
    result = cli(env_for_cli, "projections", "rebuild")
    assert result["rebuilt"] == ["projects", "tickets"] and result["events_applied"] >= 1
    assert created["id"] in {p["id"] for p in cli(env_for_cli, "projects", "list")}


def test_rebuilding_an_unknown_view_says_which_exist(env_for_cli: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "projections", "rebuild", "nope"],
        env=env_for_cli,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "views are projects, tickets" in done.stderr


def test_history_export_and_erase_from_the_command_line(env_for_cli: dict[str, str], tmp_path: Path) -> None:
    import asyncio

    project = cli(env_for_cli, "projects", "create", "--name", "Exported", "--plan", "enterprise")
    ticket = asyncio.run(_open_in_process(env_for_cli, project["api_key"]))

    history = cli(env_for_cli, "history", ticket)
    out = tmp_path / "export.ndjson"
    cli_raw(env_for_cli, "export", project["id"], "--out", str(out))
    erased = cli(env_for_cli, "erase", project["id"])
    after = [json.loads(line) for line in cli_raw(env_for_cli, "export", project["id"]).splitlines()]

    assert [e["type"] for e in history] == ["Opened"] and history[0]["data"]["body"] == "exported body"
    [line] = [json.loads(x) for x in out.read_text().splitlines()]
    assert (line["id"], line["messages"][0]["body"]) == (ticket, "exported body")
    assert erased["tickets_erased"] == [ticket]
    assert after == [
        {"id": ticket, "object": "support_ticket", "erased": True, "erased_at": after[0]["erased_at"]}
    ]


def cli_raw(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _open_in_process(env: dict[str, str], key: str) -> str:
    from infra.api_keys import authenticate
    from infra.database import Database
    from infra.services import build_services
    from infra.settings import Settings
    from infra.tickets import OpenTicket

    settings = Settings.from_env(env)
    database = Database(settings)
    await database.start()
    try:
        async with database.pool.acquire() as conn:
            principal = await authenticate(conn, key)
        assert principal is not None and principal.project_id is not None
        services = build_services(settings, database.pool)
        opened = await services.tickets.open(
            principal.project_id, OpenTicket(subject="s", body="exported body")
        )
        return format_id(Prefix.TICKET, opened.ticket.id)
    finally:
        await database.close()
