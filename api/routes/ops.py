from __future__ import annotations

from litestar import MediaType, Response, get
from litestar.datastructures import State

from infra.database import Database


@get("/healthz", media_type=MediaType.JSON, include_in_schema=True, tags=["ops"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", media_type=MediaType.JSON, tags=["ops"])
async def readyz(state: State) -> Response[dict[str, str]]:
    database: Database = state.database
    if await database.ready():
        return Response({"status": "ready"})
    return Response({"status": "unavailable"}, status_code=503, headers={"Retry-After": "5"})
