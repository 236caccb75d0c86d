from __future__ import annotations

import asyncio
import base64
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from domain.ids import Prefix, format_id
from domain.plans import Plan
from infra import api_keys
from infra.channel_settings import EmailChannel, WebhookChannel
from infra.database import Database
from infra.db import embedded_dsn
from infra.services import Services, build_services
from infra.settings import Settings
from tests.sink_server import Sink, sink_server


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_dsn(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The machine's PostgreSQL when DATABASE_URL names one, else the embedded server."""
    return os.environ.get("DATABASE_URL") or embedded_dsn(tmp_path_factory.mktemp("embedded"))


@pytest.fixture(scope="session")
async def dsn(server_dsn: str) -> AsyncIterator[str]:
    """A fresh database for this test session, dropped at the end."""
    name = f"zumik_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield with_database(server_dsn, name)
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(dsn: str, data_dir: Path) -> Settings:
    kek = base64.b64encode(secrets.token_bytes(32)).decode()
    return replace(
        Settings.from_env({"ZUMIK_KEK": kek, "ZUMIK_RATE_LIMIT_PER_MINUTE": "1000000"}),
        database_url=dsn,
        data_dir=data_dir,
    )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    await database.start()
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture(scope="session")
def pool(database: Database) -> asyncpg.Pool:
    return database.pool


@pytest.fixture(scope="session")
def services(settings: Settings, pool: asyncpg.Pool) -> Services:
    return build_services(settings, pool)


@pytest.fixture
def env_for_cli(dsn: str, data_dir: Path, settings: Settings) -> Iterator[dict[str, str]]:
    assert settings.kek is not None
    yield {
        **os.environ,
        "DATABASE_URL": dsn,
        "ZUMIK_DATA_DIR": str(data_dir),
        "ZUMIK_KEK": base64.b64encode(settings.kek).decode(),
    }


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan, and a client speaking HTTP to it in this event loop.

    The lifespan must start and stop in one task (it holds an anyio cancel scope),
    while fixture set-up and tear-down run in different tasks: it gets its own."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    await started.wait()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        stop.set()
        await task


@pytest.fixture(scope="session")
async def app(settings: Settings) -> Litestar:
    return create_app(settings, Database(settings))


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as client:
        yield client


@dataclass(frozen=True)
class ProjectKey:
    id: str
    uuid: UUID
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def new_project(services: Services, plan: Plan = Plan.ENTERPRISE, name: str = "Acme") -> ProjectKey:
    row, key = await services.projects.create(name, plan)
    return ProjectKey(format_id(Prefix.PROJECT, row.id), row.id, key)


@pytest.fixture
async def project(services: Services) -> ProjectKey:
    """A fresh tenant per test keeps tests independent without clean-up."""
    return await new_project(services)


class SetClock:
    """A clock the test sets: SLA due times and breaches depend on 'now'."""

    def __init__(self, now: datetime) -> None:
        self.value = now

    def now(self) -> datetime:
        return self.value


@pytest.fixture(scope="session")
async def staff_key(services: Services) -> str:
    async with services.pool.acquire() as conn:
        return await api_keys.issue(conn, kind="staff", project_id=None, name="tests")


@pytest.fixture(scope="session")
def staff_auth(staff_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_key}"}


SECRET = b"whsec-test"


@dataclass
class Channels:
    email: Sink
    webhook: Sink
    settings: Settings


@pytest.fixture
def channels(settings: Settings) -> Iterator[Channels]:
    """Settings whose notifications go to two local HTTP servers: Resend's stand-in
    and the ops webhook."""
    with sink_server() as resend, sink_server() as webhook:
        configured = replace(
            settings,
            email=EmailChannel("re_test", resend.url, "Zumik <support@zumik.example>", "team@zumik.example"),
            webhook=WebhookChannel(webhook.url, SECRET),
        )
        yield Channels(resend, webhook, configured)


async def start_notifier_at_the_end(pool: asyncpg.Pool) -> None:
    """Where a fresh installation's notifier starts: earlier tests' activity is not
    the current test's to be told about."""
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE projector_checkpoints SET position = (SELECT coalesce(max(position), 0) FROM events)"
        )
        await conn.execute("UPDATE notification_deliveries SET state = 'dropped' WHERE state = 'pending'")
