"""The API as the suite calls it: the test client, sign-in headers, and reading the answers."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]
# Fields of a problem that name the request, so that two answers to two requests differ there.
REQUEST_FIELDS = {"instance", "request_id"}


class Login(Protocol):
    """The ``login`` fixture: bearer headers for a login (the demo password unless given)."""

    def __call__(self, who: str, password: str = ...) -> Awaitable[Headers]: ...


def answer(response: httpx.Response) -> dict[str, Any]:
    """A JSON answer without the fields that name its request: comparable across requests."""
    return {k: v for k, v in response.json().items() if k not in REQUEST_FIELDS}


def json_of(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The JSON answer of a request that must have succeeded with ``status``."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def error_fields(response: httpx.Response) -> set[str]:
    """The fields a 422 names."""
    return {error["field"] for error in response.json().get("errors", [])}


async def inbox(client: Client, headers: Headers, event_type: str) -> list[dict[str, Any]]:
    """The signed-in user's notifications of one event type, newest first."""
    response = await client.get("/v1/me/notifications", headers=headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["event_type"] == event_type]
