"""Every route of the app declares exactly one access level, and has a row in the matrix (or
is listed as public)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.api.authz.expected import EVERYONE, EXPECTED, PUBLIC
from tests.support.client import Client

DOCS_PREFIX = "/schema"  # Litestar's OpenAPI routes
ACCESS_KEYS = ("public", "authenticated", "permission")


def _template(path: str) -> str:
    """'/v1/tenants/{tenant:str}' → '/v1/tenants/{tenant}'."""
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


def declared_routes(app: Litestar) -> dict[str, dict[str, Any]]:
    """'METHOD /path' → the handler's opt, for every route the app serves.

    Litestar adds an OPTIONS handler to every path by itself; it declares nothing, so the
    guard refuses it like any undeclared route. Those are left out here.
    """
    routes: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"unexpected route kind at {route.path}"
        for handler in route.route_handlers:
            for method in handler.http_methods - {"OPTIONS"}:
                routes[f"{method} {_template(route.path)}"] = dict(handler.opt)
    return routes


def _access(opt: dict[str, Any]) -> list[str]:
    return [key for key in ACCESS_KEYS if key in opt]


def _is_docs(key: str) -> bool:
    return key.split(" ", 1)[1].startswith(DOCS_PREFIX)


def test_every_api_handler_declares_exactly_one_access_level(
    client: Client,
) -> None:
    wrong = []
    for key, opt in declared_routes(client.app).items():
        if _is_docs(key):
            continue
        access = _access(opt)
        if len(access) != 1:
            wrong.append(f"{key}: declares {access or 'nothing'}")
        elif access == ["permission"] and not isinstance(opt["permission"], str):
            wrong.append(f"{key}: permission is not a string")
        elif access != ["permission"] and opt[access[0]] is not True:
            wrong.append(f"{key}: {access[0]} is not True")
    assert not wrong, "\n".join(wrong)


def test_openapi_docs_declare_an_access_level(client: Client) -> None:
    """The app configures OpenAPI at /schema; undeclared, nobody could ever read it."""
    docs = {k: opt for k, opt in declared_routes(client.app).items() if _is_docs(k)}
    assert docs, "the OpenAPI routes moved: update DOCS_PREFIX"
    wrong = [k for k, opt in docs.items() if _access(opt) not in (["public"], ["authenticated"])]
    assert not wrong, "\n".join(sorted(wrong))


def test_every_route_has_a_row(client: Client) -> None:
    """A new route needs a matrix row (or a public entry) that matches what it declares."""
    served = {k: opt for k, opt in declared_routes(client.app).items() if not _is_docs(k)}
    wrong = []
    for key, opt in served.items():
        access = _access(opt)
        if key in PUBLIC:
            if access != ["public"]:
                wrong.append(f"{key}: listed as public but declares {access}")
        elif key in EXPECTED:
            # A route every role may use can equally be declared 'authenticated'.
            fits = [["permission"]] + ([["authenticated"]] if EXPECTED[key] == EVERYONE else [])
            if access not in fits:
                wrong.append(f"{key}: matrix row {sorted(EXPECTED[key])} but declares {access}")
        else:
            wrong.append(f"{key}: no matrix row and not listed as public")
    stale = (set(EXPECTED) | PUBLIC) - set(served)
    wrong += [f"{key}: row for a route the app does not serve" for key in sorted(stale)]
    assert not wrong, "\n".join(wrong)
