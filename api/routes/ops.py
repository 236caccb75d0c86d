from __future__ import annotations

from litestar import MediaType, Response, get
from litestar.datastructures import State

from infra.database import Database
from infra.services import Services


@get("/healthz", media_type=MediaType.JSON, include_in_schema=True, tags=["ops"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", media_type=MediaType.JSON, tags=["ops"])
async def readyz(state: State) -> Response[dict[str, str]]:
    database: Database = state.database
    if await database.ready():
        return Response({"status": "ready"})
    return Response({"status": "unavailable"}, status_code=503, headers={"Retry-After": "5"})


@get("/metrics", media_type="text/plain; version=0.0.4", tags=["ops"])
async def metrics(state: State) -> str:
    services: Services = state.services
    return await services.queries.metrics(state.metrics)
