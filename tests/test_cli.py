from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


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
