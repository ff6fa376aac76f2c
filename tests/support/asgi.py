"""The app as httpx and schemathesis call an ASGI app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast

from litestar import Litestar

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def plain_asgi(app: Litestar) -> ASGIApp:
    """``app`` as an ASGI callable over plain mappings, as httpx and schemathesis type one."""
    # The same protocol: Litestar types the scope and messages as TypedDicts, httpx and
    # schemathesis as plain mappings, and mypy cannot see that the one fits the other.
    return cast(ASGIApp, app)
