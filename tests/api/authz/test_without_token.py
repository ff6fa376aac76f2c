"""Without a valid token every protected route is a 401 problem, whatever the header holds."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.api.authz.expected import EXPECTED, MINISTRY_VIEWER
from tests.support.client import Client
from tests.support.demo import GZ


def _example_path(route: str) -> tuple[str, str]:
    method, template = route.split(" ", 1)
    values = {"tenant": GZ, "code": GZ, "role": MINISTRY_VIEWER, "year": "2099"}
    return method, re.sub(
        r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), template
    )


@pytest.mark.parametrize("route", list(EXPECTED))
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz"],
    ids=["none", "bad", "basic"],
)
async def test_protected_route_without_a_valid_token_is_401(
    client: Client, route: str, authorization: str | None
) -> None:
    method, path = _example_path(route)
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.request(method, path, headers=headers, json={})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthorized"
