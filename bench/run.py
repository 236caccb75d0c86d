"""Customer API benchmark: the real service against the plain CRUD baseline, side by side.

    .venv/bin/python bench/run.py                  # 100,000 tickets, 3 runs of 10 s, 16 and 64 connections
    .venv/bin/python bench/run.py --quick          # smoke test: 2,000 tickets, 1 run of 3 s
    .venv/bin/python bench/run.py --only baseline  # one app only

Servers run on CPU core 0 (taskset), wrk on core 1. Progress goes to stderr; the markdown
report to stdout; raw results to bench/results/<stamp>.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from apps import BENCH, ROOT, App, AppUnavailable, Baseline, Service, free_port, log, newest_first, write_ids

LUA = BENCH / "lua"
RESULTS = BENCH / "results"
PAGE = 20


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    script: str
    expected_status: int
    spread: bool = False  # writes spread over fresh seeded tickets on every wrk run


SCENARIOS = [
    Scenario("get_5", "get, 5 messages", "get.lua", 200),
    Scenario("get_big", "get, {thread} messages", "get.lua", 200),
    Scenario("list_p1", "list, page 1", "get.lua", 200),
    Scenario("list_deep", "list, page {page:,} (cursor)", "get.lua", 200),
    Scenario("reply", "reply (POST message)", "reply.lua", 201, spread=True),
    Scenario("set_status", "set status (PATCH)", "set_status.lua", 200, spread=True),
    Scenario("open", "open (POST ticket)", "open.lua", 201),
]
BY_NAME = {s.name: s for s in SCENARIOS}


@dataclass
class Fixtures:
    """What the scenarios of one app point at."""

    probe: str  # a ticket for one-off checks
    get_5: str
    get_big: str
    deep_cursor: str  # starting_after for the deep list page
    deep_first: str  # the id that page must start with
    spread: list[str]  # shuffled seeded tickets, handed out in slices to the write scenarios


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Customer API: real service vs CRUD baseline")
    parser.add_argument("--only", choices=["service", "baseline"], help="measure one app only")
    parser.add_argument("--quick", action="store_true", help="smoke test: small seed, 1 short run")
    parser.add_argument("--runs", type=int, help="measured runs per scenario and load (default 3)")
    parser.add_argument("--duration", type=int, help="seconds per run (default 10)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up before the runs (default 2)")
    parser.add_argument("--connections", default="16,64", help="comma separated (default 16,64)")
    parser.add_argument("--seed", type=int, help="tickets per project (default 100,000)")
    parser.add_argument("--thread", type=int, help="messages on the big ticket (default 1,000)")
    parser.add_argument("--page", type=int, default=1000, help="the deep list page (default 1,000)")
    parser.add_argument("--spread", type=int, default=2000, help="tickets each write run spreads over")
    parser.add_argument("--scenarios", default=",".join(s.name for s in SCENARIOS))
    parser.add_argument("--pool-size", type=int, default=10, help="database pool of each app (default 10)")
    parser.add_argument("--seed-concurrency", type=int, default=16)
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--wrk-core", type=int, default=1)
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server (a database on it to connect to first); a fresh database per app is made",
    )  # fmt: skip
    args = parser.parse_args(argv)
    quick = {"runs": 1, "duration": 3, "warmup": 1, "seed": 2000, "thread": 100}
    full = {"runs": 3, "duration": 10, "warmup": 2, "seed": 100_000, "thread": 1000}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.connections = [int(c) for c in args.connections.split(",") if c]
    args.scenarios = [BY_NAME[s] for s in args.scenarios.split(",") if s]  # KeyError names a bad one
    args.page = max(2, min(args.page, args.seed // PAGE))
    return args


# ---------------------------------------------------------------- databases and machine


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


async def admin(dsn: str, sql: str) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def machine_info(pg: str) -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    names = "'shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'work_mem'"
    settings = asyncio.run(
        admin(pg, f"SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings "
                  f"WHERE name IN ({names})")
    )  # fmt: skip
    packages = {}
    for name in ("zumik-support", "litestar", "asyncpg", "msgspec", "uvicorn", "uvloop", "httptools",
                 "eventsourcing", "cryptography", "structlog"):  # fmt: skip
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "-"
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    git = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    return {
        "nproc": int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or 0),
        "cpu": cpu,
        "kernel": platform.platform(),
        "python": sys.version.split()[0],
        "postgresql": asyncio.run(admin(pg, "SELECT version()")),
        "postgresql_settings": settings,
        "wrk": (wrk.stdout + wrk.stderr).strip().splitlines()[0]
        if (wrk.stdout + wrk.stderr).strip()
        else "?",
        "packages": packages,
        "service_commit": git.stdout.strip() or "?",
    }


# ---------------------------------------------------------------- preparing an app


def prepare(app: App, args: argparse.Namespace, core: int) -> Fixtures:
    started = time.monotonic()
    app.start(core)
    probe = asyncio.run(_open_one(app, "Probe ticket"))  # fails early if the API is not there yet
    log(f"  {app.name}: serving on {app.url}; seeding {args.seed:,} tickets")
    seeded = time.monotonic()
    asyncio.run(app.seed(args.seed, args.seed_concurrency))
    app.setup["seed_seconds"] = round(time.monotonic() - seeded, 1)
    built = time.monotonic()
    get_5 = asyncio.run(app.thread(5))
    get_big = asyncio.run(app.thread(args.thread))
    app.setup["thread_seconds"] = round(time.monotonic() - built, 1)
    ordered = newest_first(app)
    skip = PAGE * (args.page - 1)
    spread = list(app.seed_ids)
    random.Random(7).shuffle(spread)
    asyncio.run(app.vacuum())
    app.setup["prepare_seconds"] = round(time.monotonic() - started, 1)
    log(f"  {app.name}: ready ({app.setup})")
    return Fixtures(probe, get_5, get_big, ordered[skip - 1], ordered[skip], spread)


async def _open_one(app: App, subject: str) -> str:
    async with httpx.AsyncClient(timeout=30.0) as client:
        ticket_id = await app.open_ticket(client, subject)
    app.other_ids.append(ticket_id)
    return ticket_id


def path_of(scenario: Scenario, fx: Fixtures) -> str:
    return {
        "get_5": f"/v2/support/tickets/{fx.get_5}",
        "get_big": f"/v2/support/tickets/{fx.get_big}",
        "list_p1": f"/v2/support/tickets?limit={PAGE}",
        "list_deep": f"/v2/support/tickets?limit={PAGE}&starting_after={fx.deep_cursor}",
    }.get(scenario.name, "")


def check(app: App, scenario: Scenario, fx: Fixtures, args: argparse.Namespace) -> str | None:
    """One request of the scenario; the reason it cannot be measured on this app, or None."""
    base, headers = app.url, app.headers()
    with httpx.Client(timeout=30.0, headers=headers) as client:
        if scenario.name == "open":
            body = {"subject": "Check", "body": "Check", "contact_email": "dev@example.com"}
            response = client.post(f"{base}/v2/support/tickets", json=body)
        elif scenario.name == "reply":
            response = client.post(f"{base}/v2/support/tickets/{fx.probe}/messages", json={"body": "Check"})
        elif scenario.name == "set_status":
            response = client.patch(f"{base}/v2/support/tickets/{fx.probe}", json={"status": "pending"})
            if response.status_code == 200:
                response = client.patch(f"{base}/v2/support/tickets/{fx.probe}", json={"status": "open"})
        else:
            response = client.get(base + path_of(scenario, fx))
    if response.status_code != scenario.expected_status:
        return f"answered {response.status_code}: {response.text[:160]}"
    data = response.json()
    if scenario.name == "open":
        app.other_ids.append(data["id"])
    if scenario.name in ("get_5", "get_big"):
        want = 5 if scenario.name == "get_5" else args.thread
        if len(data.get("messages", [])) != want:
            return f"expected {want} messages, got {len(data.get('messages', []))}"
    if scenario.name.startswith("list_"):
        ids = [t["id"] for t in data.get("data", [])]
        if len(ids) != PAGE or data.get("has_more") is not True or any("messages" in t for t in data["data"]):
            return f"expected a full page of {PAGE} with has_more and no messages, got {len(ids)}"
        if scenario.name == "list_deep" and ids[0] != fx.deep_first:
            return f"page {args.page} starts at {ids[0]}, expected {fx.deep_first}"
    return None


def paths(value: Any, prefix: str = "") -> set[str]:
    """The key paths of a JSON value, lists seen through their first item: {"data[].id", ...}."""
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in {f"{prefix}{k}"} | paths(v, f"{prefix}{k}.")}
    if isinstance(value, list) and value:
        return paths(value[0], prefix.rstrip(".") + "[].")
    return set()


def shape_differences(apps: list[App], fixtures: dict[str, Fixtures]) -> list[str]:
    """Where the apps' JSON differs in keys, for a full ticket and for a list page."""
    if len(apps) < 2:
        return []
    found = []
    for scenario in (BY_NAME["get_5"], BY_NAME["list_p1"]):
        seen = {}
        for app in apps:
            url = app.url + path_of(scenario, fixtures[app.name])
            response = httpx.get(url, headers=app.headers(), timeout=30)
            seen[app.name] = paths(response.json()) if response.status_code == 200 else set()
        (a, pa), (b, pb) = seen.items()
        for name, only in ((a, pa - pb), (b, pb - pa)):
            if only:
                found.append(f"{scenario.name}: only {name} has {', '.join(sorted(only))}")
    return found


# ---------------------------------------------------------------- wrk


def run_wrk(
    app: App,
    scenario: Scenario,
    fx: Fixtures,
    conns: int,
    seconds: int,
    ids: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    env = {
        **os.environ,
        "BENCH_KEY": app.api_key,
        "BENCH_LUA_DIR": str(LUA),
        "BENCH_PATH": path_of(scenario, fx),
    }
    if scenario.spread:
        env["BENCH_IDS"] = str(write_ids(args.workdir / f"{app.name}-{scenario.name}-{conns}.ids", ids))
    argv = ["taskset", "-c", str(args.wrk_core), "wrk", "-t1", f"-c{conns}", f"-d{seconds}s",
            "--timeout", "10s", "-s", str(LUA / scenario.script), app.url]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-400:]} {done.stderr[-400:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    lat = raw["latency_us"]
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "requests": raw["requests"],
        "errors": sum(raw["errors"].values()),
        "p50_ms": lat["p50"] / 1000,
        "p90_ms": lat["p90"] / 1000,
        "p99_ms": lat["p99"] / 1000,
        "max_ms": lat["max"] / 1000,
        "raw": raw,
    }


class Slices:
    """Hands each write run its own fresh tickets, so every run starts from the same state."""

    def __init__(self, tickets: list[str], size: int) -> None:
        self._tickets, self._size, self._next = tickets, size, 0

    def take(self) -> list[str]:
        chunk = self._tickets[self._next : self._next + self._size]
        self._next += self._size
        if len(chunk) < self._size:
            raise RuntimeError("out of fresh tickets; raise --seed or lower --spread")
        return chunk


def attempt(
    app: App,
    scenario: Scenario,
    fx: Fixtures,
    conns: int,
    seconds: int,
    ids: list[str],
    args: argparse.Namespace,
) -> dict[str, Any] | str:
    """A wrk run's result, or why there is none (a server that died says so, with its exit code)."""
    try:
        return run_wrk(app, scenario, fx, conns, seconds, ids, args)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        assert app.server is not None and app.server.process is not None
        code = app.server.process.poll()
        if code is None:
            return f"wrk run failed: {error}"
        return f"server exited with code {code} during {scenario.name} c={conns}: {app.server.log_tail(5)}"


def measure(
    apps: list[App], fixtures: dict[str, Fixtures], args: argparse.Namespace, unavailable: dict[str, str]
) -> list[dict[str, Any]]:
    writes = sum(s.spread for s in args.scenarios) * len(args.connections) * (args.runs + 1)
    size = min(args.spread, args.seed // max(writes, 1))
    if any(s.spread for s in args.scenarios) and size < 2 * max(args.connections):
        raise SystemExit(f"--seed {args.seed} leaves only {size} tickets per write run; raise it")
    slices = {a.name: Slices(fixtures[a.name].spread, size) for a in apps}
    log(f"write runs spread over {size:,} fresh tickets each")
    results: list[dict[str, Any]] = []
    alive = list(apps)
    for scenario in args.scenarios:
        ready = []
        for app in list(alive):
            problem = check(app, scenario, fixtures[app.name], args)
            if problem:
                log(f"  {scenario.name}: skipping {app.name}: {problem}")
                results.append({"scenario": scenario.name, "app": app.name, "skipped": problem})
            else:
                ready.append(app)
        for conns in args.connections:
            asyncio.run(admin(args.pg, "CHECKPOINT"))
            for run in range(-1, args.runs):  # run -1: warm-up, not recorded
                order = ready if run % 2 == 0 else ready[::-1]  # alternate who goes first, against drift
                for app in [a for a in order if a in alive]:
                    ids = slices[app.name].take() if scenario.spread else []
                    seconds = args.warmup if run < 0 else args.duration
                    result = attempt(app, scenario, fixtures[app.name], conns, seconds, ids, args)
                    if isinstance(result, str):
                        log(f"  {scenario.name} c={conns} {app.name}: {result}")
                        results.append({"scenario": scenario.name, "app": app.name, "connections": conns,
                                        "run": run, "failed": result})  # fmt: skip
                        if result.startswith("server exited"):
                            unavailable[app.name] = result.splitlines()[0]
                            alive.remove(app)
                        continue
                    if run < 0:
                        continue
                    results.append({"scenario": scenario.name, "app": app.name, "connections": conns,
                                    "run": run, "duration_s": seconds, **result})  # fmt: skip
                    log(f"  {scenario.name:<10} c={conns:<3} {app.name:<8} run {run + 1}: "
                        f"{result['rps']:8.0f} req/s  p50 {result['p50_ms']:7.1f} ms  "
                        f"p99 {result['p99_ms']:7.1f} ms  errors {result['errors']}")  # fmt: skip
    return results


# ---------------------------------------------------------------- report


def summarize(
    results: list[dict[str, Any]], apps: list[App], args: argparse.Namespace
) -> list[dict[str, Any]]:
    rows = []
    for scenario in args.scenarios:
        for conns in args.connections:
            row: dict[str, Any] = {"scenario": scenario.name, "connections": conns}
            for app in apps:
                runs = [r for r in results if r["scenario"] == scenario.name and r["app"] == app.name
                        and r.get("connections") == conns and "rps" in r]  # fmt: skip
                if runs:
                    row[app.name] = {
                        "rps": statistics.median(r["rps"] for r in runs),
                        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
                        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                        "errors": sum(r["errors"] for r in runs),
                        "runs": len(runs),
                    }
            if "service" in row and "baseline" in row:
                row["ratio_rps"] = row["service"]["rps"] / row["baseline"]["rps"]
                row["ratio_p50"] = row["service"]["p50_ms"] / row["baseline"]["p50_ms"]
            rows.append(row)
    return rows


def markdown(
    rows: list[dict[str, Any]],
    apps: list[App],
    unavailable: dict[str, str],
    shapes: list[str],
    args: argparse.Namespace,
    machine: dict[str, Any],
) -> str:
    def cell(row: dict[str, Any], name: str) -> list[str]:
        s = row.get(name)
        if s is None:
            return ["n/a", "", ""]
        flag = f" ({s['errors']} errors)" if s["errors"] else ""
        return [f"{s['rps']:,.0f}{flag}", f"{s['p50_ms']:.1f}", f"{s['p99_ms']:.1f}"]

    def title(name: str) -> str:
        return BY_NAME[name].title.format(thread=f"{args.thread:,}", page=args.page)

    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    lines = [
        f"## Customer API: service vs CRUD baseline ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- machine: {machine['nproc']} cores, {machine['cpu']}, {machine['kernel']}",
        f"- servers on core {args.server_core}, wrk (1 thread) on core {args.wrk_core}; PostgreSQL unpinned",
        f"- {machine['postgresql']}",
        f"- PostgreSQL settings: {machine['postgresql_settings']}",
        f"- Python {machine['python']}; {packages}; {machine['wrk']}; service at {machine['service_commit']}",
        f"- {args.seed:,} seeded tickets per project; median of {args.runs} run(s) of {args.duration} s "
        f"after {args.warmup} s warm-up; database pool {args.pool_size} per app",
    ]
    for app in apps:
        lines.append(f"- {app.name}: seeded via {app.setup.get('seeded_via', '?')} in "
                     f"{app.setup.get('seed_seconds', '?')} s")  # fmt: skip
    for name, reason in unavailable.items():
        lines.append(f"- **{name} not (fully) measured**: {reason}")
    for line in shapes:
        lines.append(f"- JSON shape differs: {line}")
    lines += [
        "",
        "| scenario | conns | service req/s | p50 ms | p99 ms | baseline req/s | p50 ms | p99 ms "
        "| req/s service/baseline | p50 service/baseline |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        ratio = [f"{row['ratio_rps']:.2f}", f"{row['ratio_p50']:.2f}"] if "ratio_rps" in row else ["", ""]
        cells = [
            title(row["scenario"]),
            str(row["connections"]),
            *cell(row, "service"),
            *cell(row, "baseline"),
            *ratio,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk") or not shutil.which("taskset"):
        raise SystemExit("needs wrk and taskset (apt-get install -y wrk util-linux)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    args.workdir = RESULTS / f"{stamp}-work"  # server logs and id files
    args.workdir.mkdir()
    machine = machine_info(args.pg)
    log(json.dumps(machine, indent=1))

    kinds: dict[str, Callable[..., App]] = {"service": Service, "baseline": Baseline}
    names = [args.only] if args.only else ["service", "baseline"]
    apps: list[App] = []  # prepared and measured
    started: list[App] = []
    unavailable: dict[str, str] = {}
    fixtures: dict[str, Fixtures] = {}
    created: list[str] = []
    try:
        for name in names:
            database = f"zumik_bench_{name}_{secrets.token_hex(4)}"
            asyncio.run(admin(args.pg, f'CREATE DATABASE "{database}"'))
            created.append(database)
            workdir = args.workdir / name
            workdir.mkdir()
            app = kinds[name](name=name, dsn=with_database(args.pg, database), workdir=workdir,
                              pool_size=args.pool_size, port=free_port())  # fmt: skip
            log(f"preparing {name} (database {database})")
            started.append(app)
            try:
                fixtures[name] = prepare(app, args, args.server_core)
                apps.append(app)
            except (AppUnavailable, httpx.HTTPError) as error:
                unavailable[name] = str(error).splitlines()[0][:300]
                log(f"  {name}: NOT MEASURED: {error}")
                if app.server is not None:
                    app.server.stop()
        if not apps:
            raise SystemExit("no app could be measured")
        shapes = shape_differences(apps, fixtures)
        for line in shapes:
            log(f"JSON shape differs: {line}")
        results = measure(apps, fixtures, args, unavailable)
    finally:
        for app in started:
            if app.server is not None:
                app.server.stop()
        for database in created:
            asyncio.run(admin(args.pg, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

    rows = summarize(results, apps, args)
    report = markdown(rows, apps, unavailable, shapes, args, machine)
    config = {k: v for k, v in vars(args).items() if k not in ("workdir", "scenarios")}
    config["scenarios"] = [s.name for s in args.scenarios]
    out = RESULTS / f"{stamp}.json"
    out.write_text(json.dumps({
        "machine": machine, "config": config, "unavailable": unavailable, "shape_differences": shapes,
        "apps": {a.name: a.setup for a in apps}, "summary": rows, "runs": results,
    }, indent=1, default=str))  # fmt: skip
    print(report)
    print(f"\nraw results: {out.relative_to(ROOT)}; server logs: {args.workdir.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
