from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from api.request_id import RequestIdMiddleware
from api.routes import ops
from infra.database import Database
from infra.services import build_services
from infra.settings import Settings


def create_app(settings: Settings, database: Database) -> Litestar:
    """The composition root: everything a request needs is built here, once."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await database.start()
        app.state.services = build_services(settings, database.pool)
        try:
            yield
        finally:
            await database.close()

    return Litestar(
        route_handlers=[ops.healthz, ops.readyz],
        lifespan=[lifespan],
        middleware=[RequestIdMiddleware],
        state=State({"database": database, "settings": settings}),
    )
