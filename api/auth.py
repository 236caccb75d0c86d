from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from api.errors import ApiError
from api.rate_limit import RateLimiter
from infra import api_keys
from infra.api_keys import Principal
from infra.services import Services

_SCHEME = "bearer "


async def _authenticate(connection: ASGIConnection[Any, Any, Any, Any], kind: str) -> Principal:
    state = connection.app.state
    header = connection.headers.get("authorization")
    if not header:
        raise ApiError("missing_api_key", "No API key: send `Authorization: Bearer <key>`.")
    if not header.lower().startswith(_SCHEME) or not header[len(_SCHEME) :].strip():
        raise ApiError("invalid_api_key", "Malformed Authorization header: expected `Bearer <key>`.")
    secret = header[len(_SCHEME) :].strip()
    services: Services = state.services
    principal = await services.projects.authenticate(secret)
    # A key of the other surface is as unknown here as a made-up one.
    if principal is None or principal.kind != kind:
        raise ApiError("invalid_api_key", "Invalid API key.")
    limiter: RateLimiter = state.rate_limiter
    quota = limiter.take(api_keys.digest(secret))
    connection.scope["state"]["rate_limit"] = quota.headers()
    if quota.exhausted:
        raise ApiError(
            "rate_limited",
            "Too many requests for this API key; slow down.",
            headers={"Retry-After": str(quota.reset_seconds)},
        )
    return principal


async def project_principal(request: Request[Any, Any, Any]) -> Principal:
    """The project a customer key speaks for, with its current plan."""
    return await _authenticate(request, "project")


async def project_id(principal: NamedDependency[Principal]) -> UUID:
    assert principal.project_id is not None
    return principal.project_id


async def staff_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of the team's routes: a project key never gets past it."""
    await _authenticate(connection, "staff")
