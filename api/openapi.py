from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from api.schemas import ErrorEnvelope


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """Documents error responses: every one is the same envelope."""
    text = {
        400: "Malformed JSON, unknown field, wrong type, or a value out of range (`param` names it)",
        401: "Missing, malformed or unknown API key",
        404: "Unknown id, or an id of another project",
        409: "Closed ticket, idempotency key reused with another body, or a write that kept conflicting",
        413: "Request body over 1 MiB",
        429: "Rate limit reached; see `Retry-After`",
        503: "Database unreachable; nothing was written; see `Retry-After`",
    }
    return {s: ResponseSpec(data_container=ErrorEnvelope, description=text[s]) for s in statuses}


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Zumik Support API",
        version="2",
        description="Support tickets: open, list, read, reply, set status. Errors share one envelope.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin(path="/"), JsonRenderPlugin(path="/openapi.json")],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(
                    type="http", scheme="bearer", description="A project or staff API key"
                )
            }
        ),
        security=[{"apiKey": []}],
    )
