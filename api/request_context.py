from __future__ import annotations

import secrets
import time
from typing import Any

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger()


def request_id(scope: Any) -> str:
    """The request's id, made on first use: requests that match no route never pass
    through route middleware, yet their error body and header still need one."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = f"req_{secrets.token_hex(12)}"
    value: str = state["request_id"]
    return value


async def add_response_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: Request-Id on every response, and the rate-limit headers
    when auth counted the request."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        headers["Request-Id"] = request_id(scope)
        for name, value in scope.get("state", {}).get("rate_limit", {}).items():
            headers[name] = value


class RequestLogMiddleware:
    """One log line per request with its id, method, path and status; never a body.
    The id is bound for every other line logged while the request runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id(scope)):
            try:
                await self.app(scope, receive, record_status)
            finally:
                scope["app"].state.metrics.count_response(status)
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )
