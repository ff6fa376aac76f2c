"""The dashboard's routes: the page at /dashboard and its files under /dashboard/static.

Both are public: they hold no data (the page fetches it with the user's own token). The page
sends a Content-Security-Policy that lets scripts, styles and connections come from this
server only, so a script injected into the page could neither run inline nor send data away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import MediaType, Response, get
from litestar.exceptions import NotFoundException
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_404_NOT_FOUND

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_PATH = "/dashboard/static"
PAGE = (HERE / "page.html").read_bytes()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@get(
    "/dashboard",
    opt={"public": True},
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=False,
)
def dashboard_page() -> Response[bytes]:
    """The page itself: markup only; its scripts and styles are the static files."""
    return Response(PAGE, media_type=MediaType.HTML, headers=PAGE_HEADERS)


def _problem_not_found(response: Response[Any]) -> Response[Any]:
    """Litestar answers a missing static file with its own 404; every error here is
    problem+json, so turn it into the app's own 404."""
    if response.status_code == HTTP_404_NOT_FOUND:
        raise NotFoundException("No such dashboard file.")
    return response


static_files = create_static_files_router(
    path=STATIC_PATH,
    directories=[STATIC],
    name="dashboard_static",
    opt={"public": True},
    include_in_schema=False,
    after_request=_problem_not_found,
)
