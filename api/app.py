from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from api.errors import EXCEPTION_HANDLERS
from api.openapi import openapi_config
from api.rate_limit import RateLimiter
from api.request_context import RequestLogMiddleware, add_response_headers
from api.routes import console, ops
from api.routes.staff import staff_router
from api.routes.tickets import customer_router
from infra.clock import Clock
from infra.database import Database
from infra.metrics import Metrics
from infra.services import build_services
from infra.settings import Settings
from infra.worker import run_worker

MAX_BODY = 1024 * 1024


def create_app(
    settings: Settings, database: Database, *, with_worker: bool = False, clock: Clock | None = None
) -> Litestar:
    """The composition root: everything a request needs is built here, once."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await database.start()
        app.state.services = services = build_services(settings, database.pool, clock)
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(services, stop)) if with_worker else None
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                await worker
            await database.close()

    return Litestar(
        route_handlers=[
            ops.healthz,
            ops.readyz,
            ops.metrics,
            customer_router,
            staff_router,
            console.console_page,
            console.console_assets,
        ],
        lifespan=[lifespan],
        middleware=[RequestLogMiddleware],
        before_send=[add_response_headers],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_max_body_size=MAX_BODY,
        logging_config=None,  # infra.logging configures every logger, Litestar included
        openapi_config=openapi_config(),
        state=State(
            {
                "database": database,
                "settings": settings,
                "rate_limiter": RateLimiter(settings.rate_limit_per_minute),
                "metrics": Metrics(),
            }
        ),
    )
