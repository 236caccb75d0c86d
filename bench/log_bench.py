"""Log-side benchmark: data export, projection rebuild and ticket history.

    .venv/bin/python bench/log_bench.py [--quick] [--keep] [--resume STATE.json] [--only export,history,rebuild]

Markdown report on stdout, progress on stderr, raw numbers in bench/results/<stamp>-log.json.
See bench/LOG_BENCH.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import psutil  # type: ignore[import-untyped]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
CLI = str(VENV_BIN / "zumik-support")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from log_profile import summarize  # noqa: E402
from log_seed import Seeder, copy_tickets, run_bounded, say  # noqa: E402

SIZES = {
    "full": {"export": [10_000, 100_000], "rebuild": 1_000_000},
    "quick": {"export": [1_000, 5_000], "rebuild": 50_000},
}
TARGETS = {"rss_ratio": 1.20, "rebuild_events_per_s": 30_000, "history_p99_ms": 50.0}
PACKAGES = (
    "asyncpg",
    "msgspec",
    "eventsourcing",
    "cryptography",
    "litestar",
    "uvicorn",
    "uvloop",
    "structlog",
    "httpx",
)
SOURCE_DIRS = ("domain", "projections", "infra", "api")


# ---------------------------------------------------------------- the environment


def machine_info(dsn: str) -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None

    async def pg() -> dict[str, Any]:
        conn = await asyncpg.connect(dsn)
        try:
            names = (
                "server_version",
                "shared_buffers",
                "synchronous_commit",
                "fsync",
                "work_mem",
                "max_wal_size",
            )
            return {n: await conn.fetchval(f"SHOW {n}") for n in names}
        finally:
            await conn.close()

    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": asyncio.run(pg()),
        "packages": packages,
        "git_head": git.stdout.strip() or None,
        "source_hash": source_hash(),
    }


def source_hash() -> str:
    """A hash of the code under test: the tree is being edited while benchmarks run."""
    digest = hashlib.sha256()
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".sql"):
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def postgres_cpu() -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL process."""
    seen = {}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if proc.info["name"] in ("postgres", "postmaster") and proc.info["cpu_times"] is not None:
            seen[proc.pid] = proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return seen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(samples: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------- running the CLI


def timed_cli(args: list[str], env: dict[str, str], prefix: list[str] | None = None) -> dict[str, Any]:
    """Runs `zumik-support ARGS` under /usr/bin/time -v: wall time, peak RSS, its CPU,
    and the CPU PostgreSQL spent meanwhile (polled, so a backend that exits is counted
    up to its last sample, at most 0.2 s before its end)."""
    with (
        tempfile.NamedTemporaryFile("r", suffix=".time") as report,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        baseline = postgres_cpu()
        started = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-v", "-o", report.name, *(prefix or []), CLI, *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=err,
        )
        first: dict[int, float] = {}
        last: dict[int, float] = {}
        deadline = time.monotonic() + 3600
        while proc.poll() is None:
            for pid, cpu in postgres_cpu().items():
                first.setdefault(pid, baseline.get(pid, 0.0))  # a new backend started at 0
                last[pid] = cpu
            if time.monotonic() > deadline:
                proc.kill()
            time.sleep(0.2)
        wall = time.perf_counter() - started
        text = Path(report.name).read_text()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()

    def field(label: str) -> float:
        m = re.search(rf"{re.escape(label)}: ([\d.]+)", text)
        return float(m.group(1)) if m else float("nan")

    if proc.returncode != 0:
        raise RuntimeError(
            f"zumik-support {' '.join(args)} exited {proc.returncode}: {stderr.decode()[-2000:]}"
        )
    return {
        "wall_s": wall,
        "peak_rss_mb": field("Maximum resident set size (kbytes)") / 1024,
        "user_s": field("User time (seconds)"),
        "sys_s": field("System time (seconds)"),
        "postgres_cpu_s": sum(last[pid] - first[pid] for pid in last),
        "its_backends_cpu_s": sum(last[pid] for pid in last if pid not in baseline),
        "stdout": stdout.decode(errors="replace")[-2000:],
    }


def subprocess_env(dsn: str, kek: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUMIK_")}
    env.update(
        DATABASE_URL=dsn,
        ZUMIK_KEK=kek,
        ZUMIK_DATA_DIR=str(data_dir),
        ZUMIK_LOG_LEVEL="warning",
        ZUMIK_RATE_LIMIT_PER_MINUTE="100000000",
    )
    return env


# ---------------------------------------------------------------- the database


async def admin(dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def settle(dsn: str) -> None:
    """After seeding: fresh statistics, no dirty pages left for the measured run."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def log_counts(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY n DESC")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('events'))")
        return {
            "by_type": {r["type"]: r["n"] for r in rows},
            "total": sum(r["n"] for r in rows),
            "events_size": size,
        }
    finally:
        await conn.close()


# ---------------------------------------------------------------- in-process services


def import_services() -> Any:
    """The project's modules, imported late so that --help works without them."""
    from infra.database import Database
    from infra.logging import configure
    from infra.services import build_services
    from infra.settings import Settings

    return Database, build_services, Settings, configure


class InProcess:
    """`Services` on the bench database, as the service builds them."""

    def __init__(self, env: dict[str, str], pool_size: int) -> None:
        self.env = {**env, "ZUMIK_DB_POOL_SIZE": str(pool_size)}

    async def __aenter__(self) -> Any:
        Database, build_services, Settings, configure = import_services()
        os.environ.update(self.env)
        settings = Settings.from_env()
        configure(settings.log_format, settings.log_level)
        self.db = Database(settings)
        await self.db.start()
        await self.db.migrate()
        return build_services(settings, self.db.pool)

    async def __aexit__(self, *exc: object) -> None:
        await self.db.close()


# ---------------------------------------------------------------- seeding


async def seed_export(state: dict[str, Any], env: dict[str, str], concurrency: int) -> None:
    async with InProcess(env, concurrency) as services:
        seeder = Seeder(services)
        for n in state["sizes"]["export"]:
            key = f"export_{n}"
            if key in state["projects"]:
                continue
            project_id, _ = await seeder.create_project(f"export {n}")
            before = seeder.commands
            seconds = await run_bounded(
                n, concurrency, functools.partial(seeder.thread_ticket, project_id), f"seed {key}"
            )
            commands = seeder.commands - before
            state["projects"][key] = {"id": str(project_id), "tickets": n}
            state["seeding"][key] = {
                "tickets": n,
                "commands": commands,
                "events": 5 * n,
                "seconds": seconds,
                "commands_per_s": commands / seconds,
                "events_per_s": 5 * n / seconds,
            }
            say(
                f"seeded {key}: {n} tickets, {commands} commands in {seconds:.0f} s ({commands / seconds:.0f} commands/s)"
            )
            save_state(state)


async def seed_history(state: dict[str, Any], env: dict[str, str], events: int) -> None:
    if "history" in state["projects"]:
        return
    async with InProcess(env, 4) as services:
        seeder = Seeder(services)
        project_id, api_key = await seeder.create_project("history")
        started = time.perf_counter()
        ticket_id = await seeder.long_ticket(project_id, events)
        seconds = time.perf_counter() - started
    state["projects"]["history"] = {
        "id": str(project_id),
        "api_key": api_key,
        "ticket_id": str(ticket_id),
        "events": events,
    }
    state["seeding"]["history"] = {"events": events, "commands": seeder.commands, "seconds": seconds}
    say(f"seeded a ticket of {events} events in {seconds:.0f} s")
    save_state(state)


async def seed_rebuild(state: dict[str, Any], env: dict[str, str], concurrency: int, max_real: int) -> None:
    """Tops the log up to the rebuild target with 5-event tickets of mixed life cycles:
    up to `max_real` tickets through the write path, the rest as copies of those."""
    if "mixed" in state["projects"]:
        return
    target = state["sizes"]["rebuild"]
    have = (await log_counts(state["dsn"]))["total"]
    tickets = max(0, math.ceil((target - have) / 5))
    real = min(tickets, max_real)
    async with InProcess(env, concurrency) as services:
        seeder = Seeder(services)
        project_id, _ = await seeder.create_project("mixed")
        seconds = await run_bounded(
            real, concurrency, lambda i: seeder.mixed_ticket(project_id, i), "seed mixed"
        )
        info: dict[str, Any] = {
            "tickets": real,
            "commands": seeder.commands,
            "events": 5 * real,
            "seconds": seconds,
            "commands_per_s": seeder.commands / max(seconds, 1e-9),
        }
        copied: dict[str, Any] = {"tickets": 0, "events": 0, "seconds": 0.0}
        if tickets > real:
            async with services.pool.acquire() as conn:
                copied = await copy_tickets(conn, project_id, tickets - real)
    state["projects"]["mixed"] = {"id": str(project_id), "tickets": real, "copied_tickets": copied["tickets"]}
    state["seeding"]["mixed"] = info
    state["seeding"]["copied"] = copied
    say(f"seeded mixed: {real} tickets through the write path in {seconds:.0f} s, {copied['tickets']} copied")
    save_state(state)


# ---------------------------------------------------------------- the measurements


def measure_export(state: dict[str, Any], env: dict[str, str], work: Path, runs: int) -> list[dict[str, Any]]:
    from domain.ids import Prefix, format_id

    results = []
    for n in state["sizes"]["export"]:
        project = format_id(Prefix.PROJECT, UUID(state["projects"][f"export_{n}"]["id"]))
        for run in range(runs):
            out = work / f"export-{n}.ndjson"
            out.unlink(missing_ok=True)
            say(f"export of {n} tickets, run {run + 1}/{runs}")
            load = os.getloadavg()[0]
            m = timed_cli(["export", project, "--out", str(out)], env)
            lines, first, last = 0, None, None
            with out.open("rb") as f:
                for line in f:
                    lines += 1
                    if first is None:
                        first = line
                    last = line
            size_mb = out.stat().st_size / 2**20
            check = check_export_line(first), check_export_line(last)
            out.unlink()
            m.pop("stdout")
            results.append(
                {
                    "tickets": n,
                    "run": run + 1,
                    **m,
                    "lines": lines,
                    "lines_ok": lines == n,
                    "file_mb": size_mb,
                    "tickets_per_s": n / m["wall_s"],
                    "line_check": check,
                    "loadavg_before": load,
                }
            )
            say(f"  {n / m['wall_s']:.0f} tickets/s, peak RSS {m['peak_rss_mb']:.0f} MB, {lines} lines")
    return results


def check_export_line(line: bytes | None) -> str:
    if not line:
        return "empty"
    item = json.loads(line)
    messages = item.get("messages") or []
    if len(messages) != 5:
        return f"{len(messages)} messages"
    if not item.get("subject") or any(not m.get("body") for m in messages):
        return "personal fields missing"
    return "ok"


def measure_startup(env: dict[str, str]) -> dict[str, Any]:
    """`zumik-support migrate` with nothing to do: the interpreter, imports, a pool."""
    m = timed_cli(["migrate"], env)
    m.pop("stdout")
    return m


async def measure_history_inprocess(
    state: dict[str, Any], env: dict[str, str], warmup: int, calls: int
) -> dict[str, Any]:
    ticket_id = UUID(state["projects"]["history"]["ticket_id"])
    async with InProcess(env, 2) as services:
        for _ in range(warmup):
            entries = await services.queries.history(ticket_id, None)
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            entries = await services.queries.history(ticket_id, None)
            samples.append((time.perf_counter() - started) * 1000)
        profile = await profile_calls(lambda: services.queries.history(ticket_id, None), 20)
    return {
        **latency(samples),
        "entries": len(entries),
        "readable": entries[0].data.get("subject") is not None,
        "profile": profile,
    }


async def profile_calls(call: Any, count: int) -> list[tuple[str, float, float]]:
    """cProfile over `count` calls: (function, own ms per call, cumulative ms per call), top by own time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        await call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (file, line, func), (_cc, _nc, tottime, cumtime, _callers) in stats.items():
        where = file.split("site-packages/")[-1].split("lib/python3.11/")[-1].replace(str(ROOT) + "/", "")
        rows.append((f"{func} ({where}:{line})", 1000 * tottime / count, 1000 * cumtime / count))
    rows.sort(key=lambda r: r[1], reverse=True)
    return [(n, round(a, 2), round(b, 2)) for n, a, b in rows[:12]]


def latency(samples: list[float]) -> dict[str, Any]:
    return {
        "calls": len(samples),
        "p50_ms": percentile(samples, 50),
        "p90_ms": percentile(samples, 90),
        "p99_ms": percentile(samples, 99),
        "max_ms": max(samples),
        "mean_ms": sum(samples) / len(samples),
        "samples_ms": [round(s, 3) for s in samples],
    }


def measure_history_http(
    state: dict[str, Any], env: dict[str, str], work: Path, warmup: int, calls: int
) -> dict[str, Any]:
    import httpx

    from domain.ids import Prefix, format_id

    port = free_port()
    log_path = work / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [CLI, "serve", "--port", str(port), "--no-worker"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"serve exited {server.returncode}: {log_path.read_text()[-1500:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        ticket = format_id(Prefix.TICKET, UUID(state["projects"]["history"]["ticket_id"]))
        url = f"{base}/v2/support/tickets/{ticket}/events"
        headers = {"Authorization": f"Bearer {state['projects']['history']['api_key']}"}
        with httpx.Client(headers=headers, timeout=30) as client:
            first = client.get(url)
            if first.status_code != 200:
                raise RuntimeError(f"GET {url} answered {first.status_code}: {first.text[:500]}")
            body = first.json()
            for _ in range(warmup):
                client.get(url)
            samples, errors = [], 0
            for _ in range(calls):
                started = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200
        rss = psutil.Process(server.pid).memory_info().rss / 2**20
        return {
            **latency(samples),
            "errors": errors,
            "entries": len(body["data"]),
            "response_kb": len(first.content) / 1024,
            "server_rss_mb": rss,
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the server and nothing else
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


def measure_rebuild(env: dict[str, str], runs: int) -> list[dict[str, Any]]:
    results = []
    for run in range(runs):
        say(f"rebuild, run {run + 1}/{runs}")
        load = os.getloadavg()[0]
        m = timed_cli(["projections", "rebuild"], env)
        out = json.loads(m.pop("stdout").strip().splitlines()[-1])
        events = out["events_applied"]
        results.append(
            {
                "run": run + 1,
                **m,
                "events_applied": events,
                "events_per_s": events / m["wall_s"],
                "client_cpu_share": (m["user_s"] + m["sys_s"]) / m["wall_s"],
                "loadavg_before": load,
            }
        )
        say(f"  {events} events in {m['wall_s']:.1f} s: {events / m['wall_s']:.0f} events/s")
    return results


def profile_rebuild(env: dict[str, str], work: Path) -> dict[str, Any] | None:
    """A second rebuild, started by py-spy (100 samples/s, idle samples included)."""
    py_spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if not py_spy:
        return {"skipped": "py-spy not installed (.venv/bin/pip install py-spy)"}
    raw = work / "rebuild.pyspy.txt"
    prefix = [py_spy, "record", "--rate", "100", "--idle", "--format", "raw", "--output", str(raw), "--"]
    try:
        m = timed_cli(["projections", "rebuild"], env, prefix=prefix)
    except RuntimeError as error:
        return {"skipped": f"py-spy run failed: {error}"}
    if not raw.exists():
        return {"skipped": "py-spy wrote no profile"}
    summary = summarize(raw)
    summary["wall_s"] = m["wall_s"]
    shutil.copy(raw, RESULTS / f"{STAMP}-log-rebuild.pyspy.txt")
    return summary


# ---------------------------------------------------------------- state, report


STAMP = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def save_state(state: dict[str, Any]) -> None:
    Path(state["state_file"]).write_text(json.dumps(state, indent=1, default=str))


def report(r: dict[str, Any]) -> str:
    m, st = r["machine"], r["state"]
    pkgs = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    pg = m["postgres"]
    lines = [
        f"# Log benchmark ({r['mode']}) — {STAMP}",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB, Linux {m['kernel']}; Python {m['python']}; "
        f"PostgreSQL {pg['server_version']} (shared_buffers {pg['shared_buffers']}, synchronous_commit {pg['synchronous_commit']}, "
        f"fsync {pg['fsync']}); {pkgs}.",
        f"Code: git {m['git_head']} + working tree, source hash {m['source_hash']} at start, {r.get('source_hash_end')} at end"
        + (
            " (**the code changed during the run**)"
            if r.get("source_hash_end") not in (None, m["source_hash"])
            else ""
        )
        + ".",
        "",
        "## Seeding (through the write path, in process)",
        "",
        "| what | tickets | commands | events | seconds | commands/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in st["seeding"].items():
        if name == "copied":
            continue
        lines.append(
            f"| {name} | {s.get('tickets', 1)} | {s['commands']} | {s['events']} | {s['seconds']:.0f} | "
            f"{s['commands'] / max(s['seconds'], 1e-9):.0f} |"
        )
    c = st["seeding"].get("copied")
    if c and c["tickets"]:
        lines.append(
            f"| copies (rebuild log only) | {c['tickets']} | – | {c['events']} | {c['seconds']:.0f} | – |"
        )
    lines.append("")
    lines.append(
        "Seeding ran with `synchronous_commit = off` on the bench database; it was reset before every measurement."
    )

    if r.get("export"):
        lines += [
            "",
            "## Export: `zumik-support export PROJECT --out FILE`",
            "",
            "| tickets | run | wall s | tickets/s | peak RSS MB | CPU user+sys s | its PG backend CPU s | file MB | lines | lines check |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for e in r["export"]:
            lines.append(
                f"| {e['tickets']:,} | {e['run']} | {e['wall_s']:.1f} | {e['tickets_per_s']:,.0f} | {e['peak_rss_mb']:.1f} | "
                f"{e['user_s'] + e['sys_s']:.1f} | {e['its_backends_cpu_s']:.1f} | {e['file_mb']:.0f} | {e['lines']:,} | "
                f"{'ok' if e['lines_ok'] else '**WRONG**'}, {'/'.join(e['line_check'])} |"
            )
        s = r["startup"]
        lines.append("")
        lines.append(
            f"Start-up alone (`zumik-support migrate`, nothing to apply): {s['wall_s']:.2f} s, peak RSS {s['peak_rss_mb']:.1f} MB."
        )
        ratio = r.get("export_rss_ratio")
        if ratio:
            small, big = r["sizes"]["export"]
            verdict = "within" if ratio <= TARGETS["rss_ratio"] else "**NOT within**"
            lines.append(
                f"Peak RSS {big:,} vs {small:,} tickets: ×{ratio:.2f} ({verdict} the 20 % target); "
                f"above start-up: ×{r['export_rss_ratio_above_startup']:.2f}."
            )

    if r.get("rebuild"):
        counts = r["log"]
        lines += [
            "",
            "## Rebuild: `zumik-support projections rebuild`",
            "",
            f"Log: {counts['total']:,} events ({counts['events_size']} with indexes): "
            + ", ".join(f"{k} {v:,}" for k, v in counts["by_type"].items())
            + ".",
            "",
            "| run | events applied | wall s | events/s | client CPU s | client CPU / wall | its PG backend CPU s | all PG CPU s | peak RSS MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for b in r["rebuild"]:
            lines.append(
                f"| {b['run']} | {b['events_applied']:,} | {b['wall_s']:.1f} | {b['events_per_s']:,.0f} | "
                f"{b['user_s'] + b['sys_s']:.1f} | {b['client_cpu_share']:.0%} | {b['its_backends_cpu_s']:.1f} | {b['postgres_cpu_s']:.1f} | {b['peak_rss_mb']:.0f} |"
            )
        best = max(b["events_per_s"] for b in r["rebuild"])
        target = TARGETS["rebuild_events_per_s"]
        lines.append("")
        lines.append(
            f"Best {best:,.0f} events/s against the target of {target:,}/s: "
            + ("met." if best >= target else f"**{target / best:.1f}× too slow**.")
        )
        p = r.get("rebuild_profile")
        if p and "skipped" not in p:
            lines += [
                "",
                f"py-spy on a second rebuild ({p['wall_s']:.1f} s under the profiler, {p['samples']} samples, idle included; "
                f"{p['idle_pct']}% of samples the event loop was waiting in select/epoll, i.e. on PostgreSQL):",
                "",
                "| function (self) | % | | function (inclusive) | % |",
                "|---|---:|---|---|---:|",
            ]
            incl = [
                x
                for x in p["inclusive"]
                if not x[0].startswith(
                    ("<module>", "run (", "run_until_complete", "run_forever", "_run_once", "_run (asyncio")
                )
            ]
            for i in range(min(12, len(p["self"]))):
                a = p["self"][i]
                b = incl[i] if i < len(incl) else ("", "")
                lines.append(f"| `{a[0]}` | {a[1]} | | `{b[0]}` | {b[1]} |")
        elif p:
            lines.append(f"Profile: {p['skipped']}")

    if r.get("history"):
        h = r["history"]
        lines += [
            "",
            "## History of one ticket with 1,000 events",
            "",
            "| path | calls | p50 ms | p90 ms | p99 ms | max ms | mean ms | entries | note |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name, x in h.items():
            if "skipped" in x:
                lines.append(f"| {name} | – | | | | | | | {x['skipped']} |")
                continue
            note = (
                f"{x['response_kb']:.0f} KB/response, {x['errors']} errors"
                if "response_kb" in x
                else ("personal fields readable" if x.get("readable") else "personal fields NOT readable")
            )
            lines.append(
                f"| {name} | {x['calls']} | {x['p50_ms']:.1f} | {x['p90_ms']:.1f} | {x['p99_ms']:.1f} | "
                f"{x['max_ms']:.1f} | {x['mean_ms']:.1f} | {x['entries']} | {note} |"
            )
        ip = h.get("in-process", {})
        if "p99_ms" in ip:
            ok = ip["p99_ms"] < TARGETS["history_p99_ms"]
            lines.append("")
            lines.append(
                f"In-process p99 {ip['p99_ms']:.1f} ms against the target of < 50 ms: "
                + ("met." if ok else "**missed**.")
            )
            if ip.get("profile"):
                lines += [
                    "",
                    "cProfile over 20 in-process calls (ms per call; the profiler inflates the total):",
                    "",
                    "| function | own ms | cumulative ms |",
                    "|---|---:|---:|",
                ]
                lines += [f"| `{n}` | {a} | {b} |" for n, a, b in ip["profile"]]
    lines += ["", f"Raw numbers: `bench/results/{STAMP}-log.json`."]
    if r.get("problems"):
        lines += ["", "## Problems", ""] + [f"- {p}" for p in r["problems"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="export 1,000 / 5,000 tickets, rebuild 50,000 events"
    )
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument(
        "--only", default="export,history,rebuild", help="comma separated: export,history,rebuild"
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="tickets seeded at once (and the pool size)"
    )
    parser.add_argument(
        "--max-real-mixed",
        type=int,
        default=20_000,
        help="mixed tickets for the rebuild log through the write path; the rest are copies",
    )
    parser.add_argument("--history-events", type=int, default=1_000)
    parser.add_argument("--history-calls", type=int, default=200)
    parser.add_argument("--export-runs", type=int, default=1)
    parser.add_argument("--rebuild-runs", type=int, default=1)
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="no py-spy rebuild")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (and its state file) for --resume"
    )
    parser.add_argument("--resume", help="a state file from an earlier --keep run: reuse its seeded database")
    args = parser.parse_args()
    only = set(args.only.split(","))
    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="zumik-logbench-"))

    if args.resume:
        state = json.loads(Path(args.resume).read_text())
        mode = state["mode"]
    else:
        mode = "quick" if args.quick else "full"
        db = f"logbench_{STAMP.lower()}"
        base = args.pg.rsplit("/", 1)[0]
        state = {
            "mode": mode,
            "db": db,
            "dsn": f"{base}/{db}",
            "admin_dsn": args.pg,
            "kek": base64.b64encode(secrets.token_bytes(32)).decode(),
            "sizes": SIZES[mode],
            "projects": {},
            "seeding": {},
            "state_file": str(RESULTS / f"{STAMP}-log-state.json"),
        }
        asyncio.run(admin(args.pg, f'CREATE DATABASE "{db}"'))
        save_state(state)
    dsn, db = state["dsn"], state["db"]
    data_dir = work / "data"
    env = subprocess_env(dsn, state["kek"], data_dir)
    result: dict[str, Any] = {"mode": mode, "sizes": state["sizes"], "args": vars(args), "problems": []}
    result["machine"] = machine_info(args.pg)
    say(f"database {db}, work folder {work}")
    fast_commit = f'ALTER DATABASE "{db}" SET synchronous_commit = off'
    normal_commit = f'ALTER DATABASE "{db}" RESET synchronous_commit'
    try:
        asyncio.run(admin(state["admin_dsn"], fast_commit))
        asyncio.run(seed_export(state, env, args.concurrency))
        if "history" in only:
            asyncio.run(seed_history(state, env, args.history_events))
        asyncio.run(admin(state["admin_dsn"], normal_commit))
        asyncio.run(settle(dsn))

        if "export" in only:
            result["startup"] = measure_startup(env)
            result["export"] = measure_export(state, env, work, args.export_runs)
            by_size = {
                n: min(e["peak_rss_mb"] for e in result["export"] if e["tickets"] == n)
                for n in state["sizes"]["export"]
            }
            small, big = state["sizes"]["export"]
            base_rss = result["startup"]["peak_rss_mb"]
            result["export_rss_ratio"] = by_size[big] / by_size[small]
            result["export_rss_ratio_above_startup"] = (by_size[big] - base_rss) / max(
                by_size[small] - base_rss, 1e-9
            )
            if not all(e["lines_ok"] for e in result["export"]):
                result["problems"].append("an export file did not have one line per ticket")

        if "history" in only:
            say("history, in process")
            calls, warmup = args.history_calls, 20
            result["history"] = {
                "in-process": asyncio.run(measure_history_inprocess(state, env, warmup, calls))
            }
            say("history, over HTTP")
            try:
                result["history"]["HTTP GET /v2/support/tickets/{id}/events"] = measure_history_http(
                    state, env, work, warmup, calls
                )
            except Exception as error:
                result["history"]["HTTP"] = {"skipped": f"server not measured: {error}"}
                result["problems"].append(f"history over HTTP not measured: {error}")

        if "rebuild" in only:
            asyncio.run(admin(state["admin_dsn"], fast_commit))
            asyncio.run(seed_rebuild(state, env, args.concurrency, args.max_real_mixed))
            asyncio.run(admin(state["admin_dsn"], normal_commit))
            asyncio.run(settle(dsn))
            result["log"] = asyncio.run(log_counts(dsn))
            result["rebuild"] = measure_rebuild(env, args.rebuild_runs)
            if args.profile:
                say("rebuild again under py-spy")
                result["rebuild_profile"] = profile_rebuild(env, work)
    except Exception as error:
        result["problems"].append(f"run failed: {error!r}")
        raise
    finally:
        result["state"] = state
        result["source_hash_end"] = source_hash()
        if result["source_hash_end"] != result["machine"]["source_hash"]:
            result["problems"].append("the code under test changed during the run (source hash differs)")
        (RESULTS / f"{STAMP}-log.json").write_text(json.dumps(result, indent=1, default=str))
        if args.keep:
            say(f"kept database {db}; resume with --resume {state['state_file']}")
        else:
            asyncio.run(admin(state["admin_dsn"], f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            Path(state["state_file"]).unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
        if "machine" in result:
            try:
                print(report(result))
            except Exception as error:
                print(f"(no report: {error!r}; see bench/results/{STAMP}-log.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
