from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from api.request_context import request_id
from api.schemas import ErrorDetail, ErrorEnvelope
from domain.errors import DomainError
from infra.database import DatabaseUnavailable
from infra.idempotency import IdempotencyKeyReused
from infra.ticket_reads import OutOfHistory, TicketNotFound
from infra.tickets import ConcurrentWrite

log = structlog.get_logger()

# The one table from error code to HTTP status and envelope type.
ERRORS: dict[str, tuple[int, str]] = {
    "parameter_invalid": (400, "invalid_request_error"),
    "parameter_unknown": (400, "invalid_request_error"),
    "parameter_missing": (400, "invalid_request_error"),
    "invalid_json": (400, "invalid_request_error"),
    "follow_up_not_found": (400, "invalid_request_error"),
    "missing_api_key": (401, "authentication_error"),
    "invalid_api_key": (401, "authentication_error"),
    "resource_missing": (404, "invalid_request_error"),
    "ticket_erased": (404, "invalid_request_error"),
    "route_not_found": (404, "invalid_request_error"),
    "method_not_allowed": (405, "invalid_request_error"),
    "ticket_closed": (409, "invalid_request_error"),
    "follow_up_not_closed": (409, "invalid_request_error"),
    "idempotency_key_reused": (409, "idempotency_error"),
    "concurrent_write": (409, "invalid_request_error"),
    "body_too_large": (413, "invalid_request_error"),
    "unsupported_media_type": (415, "invalid_request_error"),
    "rate_limited": (429, "rate_limit_error"),
    "internal_error": (500, "api_error"),
    "database_unavailable": (503, "api_error"),
}

_BY_STATUS = {
    400: "parameter_invalid",
    404: "route_not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    def __init__(
        self, code: str, message: str, *, param: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.headers = dict(headers or {})


def error_response(
    request: Request[Any, Any, Any],
    code: str,
    message: str,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[ErrorEnvelope]:
    status, kind = ERRORS[code]
    detail = ErrorDetail(
        type=kind, code=code, message=message, param=param, request_id=request_id(request.scope)
    )
    body = ErrorEnvelope(detail)
    return Response(body, status_code=status, headers=dict(headers or {}), media_type=MediaType.JSON)


Handler = Callable[[Request[Any, Any, Any], Any], Response[ErrorEnvelope]]


def _api_error(request: Request[Any, Any, Any], error: ApiError) -> Response[ErrorEnvelope]:
    return error_response(request, error.code, error.message, error.param, error.headers)


def _domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[ErrorEnvelope]:
    return error_response(request, error.code, error.message, error.param)


def _not_found(request: Request[Any, Any, Any], error: TicketNotFound) -> Response[ErrorEnvelope]:
    return error_response(request, "resource_missing", "No such ticket.", "id")


def _out_of_history(request: Request[Any, Any, Any], error: OutOfHistory) -> Response[ErrorEnvelope]:
    return error_response(request, "parameter_invalid", str(error), error.param)


def _concurrent(request: Request[Any, Any, Any], error: ConcurrentWrite) -> Response[ErrorEnvelope]:
    return error_response(
        request, "concurrent_write", "The ticket kept changing under this write; retry it.", None
    )


def _reused(request: Request[Any, Any, Any], error: IdempotencyKeyReused) -> Response[ErrorEnvelope]:
    return error_response(
        request,
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different request; use a new key.",
        None,
    )


def _database_down(request: Request[Any, Any, Any], error: Exception) -> Response[ErrorEnvelope]:
    log.warning("database.unavailable", error=type(error).__name__)
    return error_response(
        request,
        "database_unavailable",
        "The database is unreachable; nothing was written. Retry shortly.",
        None,
        {"Retry-After": "2"},
    )


_FIELD_IN_TEXT = re.compile(
    r"`\$\.([A-Za-z_][A-Za-z0-9_]*)`|unknown field `([^`]+)`|required field `([^`]+)`"
)


def _validation(request: Request[Any, Any, Any], error: ValidationException) -> Response[ErrorEnvelope]:
    problems = error.extra if isinstance(error.extra, list) else []
    first: dict[str, Any] = problems[0] if problems and isinstance(problems[0], dict) else {}
    text = str(first.get("message") or error.detail)
    key = first.get("key")
    code = "parameter_invalid"
    if "unknown field" in text:
        code = "parameter_unknown"
    elif "required field" in text:
        code = "parameter_missing"
    param = key if key and key != "data" else _param_from(text)
    return error_response(request, code, _sentence(text), param)


def _param_from(text: str) -> str | None:
    match = _FIELD_IN_TEXT.search(text)
    return next((g for g in match.groups() if g), None) if match else None


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(".") else f"{text}."


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[ErrorEnvelope]:
    if error.status_code == 400 and ("JSON" in str(error.detail) or "truncated" in str(error.detail)):
        return error_response(request, "invalid_json", "The request body is not valid JSON.", None)
    code = _BY_STATUS.get(error.status_code)
    if code is None:
        return _internal(request, error)
    return error_response(request, code, _sentence(str(error.detail)), None, error.headers)


def _internal(request: Request[Any, Any, Any], error: Exception) -> Response[ErrorEnvelope]:
    # The type only: an exception's text could quote data we must not log.
    log.error("request.failed", error=type(error).__name__)
    return error_response(request, "internal_error", "Something went wrong on our side.", None)


EXCEPTION_HANDLERS: dict[type[Exception], Handler] = {
    ApiError: _api_error,
    DomainError: _domain_error,
    TicketNotFound: _not_found,
    OutOfHistory: _out_of_history,
    ConcurrentWrite: _concurrent,
    IdempotencyKeyReused: _reused,
    ValidationException: _validation,
    HTTPException: _http,
    DatabaseUnavailable: _database_down,
    OSError: _database_down,
    TimeoutError: _database_down,
    asyncpg.PostgresConnectionError: _database_down,
    asyncpg.CannotConnectNowError: _database_down,
    asyncpg.TooManyConnectionsError: _database_down,
    Exception: _internal,
}
