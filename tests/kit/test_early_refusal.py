"""A request refused before its body is read (the guard runs first) leaves its keep-alive
connection usable, on a real server (granian) — or, when the body is too large to be worth
reading, says ``Connection: close`` so that the client does not reuse it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from bench.server import Granian
from services.kit.settings import Settings
from tests.support.client import Login
from tests.support.demo import GZ, ROLE_LOGINS
from tests.support.live_server import serve

BODY = b'{"kind": "finance", "name": "' + b"x" * 300_000 + b'"}'
ROUTE = f"/v1/tenants/{GZ}/organisations"  # organisation:write, which provider staff lack


@pytest.fixture(scope="module")
def small_bodies_server(settings: Settings, demo: None) -> Iterator[Granian]:
    """Bodies of BODY's size are past this server's MAX_REQUEST_BODY_BYTES."""
    yield from serve(settings, MAX_REQUEST_BODY_BYTES=str(len(BODY) // 3))


@pytest.fixture
async def provider_staff(login: Login) -> dict[str, str]:
    """JSON headers of a provider's staff member, whom ROUTE refuses."""
    return {**await login(ROLE_LOGINS["provider_staff"]), "Content-Type": "application/json"}


Posted = tuple[Counter[int | str], int, list[httpx.Response]]


async def _refused_posts(server: Granian, headers: dict[str, str], times: int) -> Posted:
    """POST the body ``times`` through one keep-alive client: the statuses (or the errors),
    how many connections the client opened, the responses."""
    return await asyncio.to_thread(_post, server, headers, times)


def _post(server: Granian, headers: dict[str, str], times: int) -> Posted:
    """What _refused_posts does, in a thread of its own."""
    statuses: Counter[int | str] = Counter()
    connects: list[str] = []

    def trace(event: str, info: dict[str, object]) -> None:
        if event == "connection.connect_tcp.complete":
            connects.append(event)

    responses = []
    limits = httpx.Limits(max_connections=1)
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30, limits=limits) as c:
        for _ in range(times):
            try:
                response = c.post(ROUTE, content=BODY, headers=headers, extensions={"trace": trace})
            except httpx.TransportError as exc:  # the connection dropped under the request
                statuses[type(exc).__name__] += 1
                continue
            statuses[response.status_code] += 1
            responses.append(response)
    return statuses, len(connects), responses


async def test_refused_posts_keep_their_connection(
    api_server: Granian, provider_staff: dict[str, str]
) -> None:
    statuses, connections, responses = await _refused_posts(api_server, provider_staff, 50)
    assert statuses == {403: 50}
    assert connections == 1  # the same connection all along
    assert all(r.json()["code"] == "forbidden" for r in responses)
    assert all("close" not in r.headers.get("connection", "") for r in responses)


async def test_a_body_too_large_to_read_closes_the_connection_and_says_so(
    small_bodies_server: Granian, provider_staff: dict[str, str]
) -> None:
    statuses, connections, responses = await _refused_posts(small_bodies_server, provider_staff, 10)
    assert statuses == {403: 10}
    assert all(r.headers["connection"] == "close" for r in responses)
    assert connections == 10  # the client knew to open a new one each time
