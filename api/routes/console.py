from __future__ import annotations

from pathlib import Path

from litestar import MediaType, Response, get
from litestar.static_files import create_static_files_router

_FOLDER = Path(__file__).resolve().parent.parent / "console"
_PAGE = (_FOLDER / "index.html").read_bytes()
# The page runs only its own script and talks only to this origin: what a ticket says
# can never run as code here, even if some rendering path forgot to escape it.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@get("/console/support", include_in_schema=False)
async def console_page() -> Response[bytes]:
    return Response(_PAGE, media_type=MediaType.HTML, headers=_HEADERS)


console_assets = create_static_files_router(
    path="/console/support/assets", directories=[_FOLDER / "assets"], include_in_schema=False
)
