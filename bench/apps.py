"""The two apps under test: how to start each, give it a project, seed it and build fixtures."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from baseline import format_id, key_hash, parse_id, uuid7

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent

SEED_SUBJECT = "Seeded ticket {i}: model download is slow"
SEED_BODY = "Downloads of our fine-tuned weights crawl at 2 MB/s from eu-west since Monday. " * 2
REPLY_BODY = "Adding the trace ids from this morning, in case they help. " * 3


class AppUnavailable(Exception):
    """The app cannot take part (not built yet, failed to start, ...); the reason says why."""


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, core: int, timeout: float = 60.0) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", str(core), *self.argv],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AppUnavailable(f"{self.name} exited with {self.process.returncode}: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AppUnavailable(f"{self.name} did not answer /healthz within {timeout:.0f} s: {self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # its own session: the server and nothing else
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class App:
    """One app under test with its database; `prepare` leaves it serving and seeded."""

    name: str
    dsn: str
    workdir: Path
    pool_size: int
    port: int
    server: Server | None = None
    api_key: str = ""
    project_id: str = ""
    seed_ids: list[str] = field(default_factory=list)  # oldest first
    other_ids: list[str] = field(default_factory=list)  # tickets opened outside the seed
    setup: dict[str, Any] = field(default_factory=dict)  # timings etc. for the report

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    async def seed(self, count: int, concurrency: int) -> None:
        raise NotImplementedError

    def start(self, core: int) -> None:
        raise NotImplementedError

    # ---- shared steps, through the HTTP API

    async def open_ticket(self, client: httpx.AsyncClient, subject: str) -> str:
        response = await client.post(
            f"{self.url}/v2/support/tickets",
            json={"subject": subject, "body": SEED_BODY, "priority": "normal"},
            headers=self.headers(),
        )
        if response.status_code != 201:
            status, text = response.status_code, response.text[:200]
            raise AppUnavailable(f"{self.name}: POST /v2/support/tickets answered {status}: {text}")
        ticket_id: str = response.json()["id"]
        return ticket_id

    async def thread(self, messages: int, *, deadline_s: float = 900.0) -> str:
        """A ticket with `messages` messages (the opening one included), built reply by reply."""
        async with httpx.AsyncClient(timeout=30.0) as client:
            ticket_id = await self.open_ticket(client, f"Thread of {messages}")
            self.other_ids.append(ticket_id)
            deadline = time.monotonic() + deadline_s
            for n in range(messages - 1):
                if time.monotonic() > deadline:
                    raise AppUnavailable(f"{self.name}: a {messages}-message thread took over {deadline_s} s")
                response = await client.post(
                    f"{self.url}/v2/support/tickets/{ticket_id}/messages",
                    json={"body": f"{n}: {REPLY_BODY}"},
                    headers=self.headers(),
                )
                if response.status_code != 201:
                    raise AppUnavailable(
                        f"{self.name}: reply answered {response.status_code}: {response.text}"
                    )
        return ticket_id

    async def seed_over_http(self, count: int, concurrency: int) -> None:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
            await in_batches(
                count, concurrency, lambda i: self.open_ticket(client, SEED_SUBJECT.format(i=i)), self
            )

    async def vacuum(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()


async def in_batches(
    count: int, size: int, make: Callable[[int], Awaitable[str]], app: App, report_every: int = 10_000
) -> None:
    """Runs make(0..count-1), `size` at a time, appending ids to app.seed_ids in creation order."""
    started = time.monotonic()
    for first in range(0, count, size):
        batch = await asyncio.gather(*(make(i) for i in range(first, min(first + size, count))))
        app.seed_ids.extend(batch)
        done = first + len(batch)
        if done % report_every < size or done == count:
            rate = done / max(time.monotonic() - started, 1e-9)
            log(f"  {app.name}: seeded {done:,}/{count:,} ({rate:,.0f}/s)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the real service


class Service(App):
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.dsn,
            "ZUMIK_KEK": self.kek,
            "ZUMIK_DATA_DIR": str(self.workdir / "data"),
            "ZUMIK_RATE_LIMIT_PER_MINUTE": "100000000",
            "ZUMIK_LOG_LEVEL": "warning",
            "ZUMIK_DB_POOL_SIZE": str(self.pool_size),
        }

    @cached_property
    def kek(self) -> str:
        """A throwaway key-encryption key for this run only."""
        return base64.b64encode(secrets.token_bytes(32)).decode()

    def create_project(self) -> None:
        # The command migrates first, so the server started next finds the schema ready.
        result = subprocess.run(
            [
                str(VENV_BIN / "zumik-support"),
                "projects",
                "create",
                "--name",
                "bench",
                "--plan",
                "enterprise",
            ],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        if result.returncode != 0:
            raise AppUnavailable(f"projects create failed: {result.stderr.strip()[-500:]}")
        created = json.loads(result.stdout.strip().splitlines()[-1])
        self.api_key, self.project_id = created["api_key"], created["id"]

    def start(self, core: int) -> None:
        self.create_project()
        argv = [str(VENV_BIN / "zumik-support"), "serve", "--port", str(self.port), "--no-worker"]
        self.server = Server(self.name, argv, self.env(), self.port, self.workdir / "server.log")
        self.server.start(core)

    async def seed(self, count: int, concurrency: int) -> None:
        """Through the service's own write path: in process when its modules allow, else over HTTP."""
        try:
            await self._seed_in_process(count, concurrency)
            self.setup["seeded_via"] = "in-process Tickets.open"
        except (ImportError, AttributeError, TypeError) as error:
            log(f"  service: in-process seeding unavailable ({error!r}); seeding over HTTP")
            self.seed_ids.clear()
            await self.seed_over_http(count, concurrency)
            self.setup["seeded_via"] = "HTTP POST /v2/support/tickets"

    async def _seed_in_process(self, count: int, concurrency: int) -> None:
        import structlog

        from domain.enums import Priority
        from infra.db import create_pool
        from infra.services import build_services
        from infra.settings import Settings
        from infra.tickets import OpenTicket

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        settings = Settings.from_env(self.env())
        pool = await create_pool(self.dsn, size=concurrency)
        try:
            services = build_services(settings, pool)
            project = parse_id("prj", self.project_id)
            assert project is not None, self.project_id

            async def one(i: int) -> str:
                command = OpenTicket(
                    subject=SEED_SUBJECT.format(i=i), body=SEED_BODY, priority=Priority.NORMAL
                )
                outcome = await services.tickets.open(project, command)
                return format_id("spt", outcome.ticket.id)

            await in_batches(count, concurrency, one, self)
        finally:
            await pool.close()


# ---------------------------------------------------------------- the CRUD baseline


class Baseline(App):
    def start(self, core: int) -> None:
        env = {**os.environ, "DATABASE_URL": self.dsn, "DB_POOL_SIZE": str(self.pool_size)}
        argv = [sys.executable, str(BENCH / "baseline.py"), "serve", "--port", str(self.port)]
        self.server = Server(self.name, argv, env, self.port, self.workdir / "server.log")
        self.server.start(core)  # creates the tables
        self.api_key = f"zk_live_{secrets.token_urlsafe(32)}"
        project = uuid7()
        self.project_id = format_id("prj", project)
        asyncio.run(self._execute("INSERT INTO bl_projects VALUES ($1, $2)", project, key_hash(self.api_key)))

    async def _execute(self, sql: str, *args: Any) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    async def seed(self, count: int, concurrency: int) -> None:
        """Plain COPY: `count` tickets of one message each, 1 ms apart, ending a minute ago."""
        project = parse_id("prj", self.project_id)
        start_ms = time.time_ns() // 1_000_000 - 60_000 - count
        tickets, messages = [], []
        for i in range(count):
            at_ms = start_ms + i
            at = datetime.fromtimestamp(at_ms / 1000, UTC)
            ticket_id = uuid7(at_ms)
            subject = SEED_SUBJECT.format(i=i)
            tickets.append((ticket_id, project, subject, "normal", "open", None, 1, at, at, None, 1, None))
            messages.append((ticket_id, 1, uuid7(at_ms), "customer", SEED_BODY, at))
            self.seed_ids.append(format_id("spt", ticket_id))
        conn = await asyncpg.connect(self.dsn)
        try:
            async with conn.transaction():
                await conn.copy_records_to_table("bl_tickets", records=tickets)
                await conn.copy_records_to_table("bl_messages", records=messages)
        finally:
            await conn.close()
        self.setup["seeded_via"] = "COPY"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_ids(path: Path, ids: Iterable[str]) -> Path:
    path.write_text("\n".join(ids) + "\n")
    return path


def newest_first(app: App) -> list[str]:
    """Every ticket of the app's project that the harness knows of, newest first."""

    def key(text: str) -> int:
        value: UUID | None = parse_id("spt", text)
        assert value is not None, text
        return value.int

    return sorted({*app.seed_ids, *app.other_ids}, key=key, reverse=True)
