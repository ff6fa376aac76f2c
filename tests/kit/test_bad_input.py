"""Malformed requests get problem+json naming the field, never a 500, and change nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.kit.settings import Settings
from tests.support.client import Client, Login
from tests.support.demo import GZ, ROLE_LOGINS

ORGS = f"/v1/tenants/{GZ}/organisations"


def _is_problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == response.status_code
    return body


async def _org_count(client: Client, headers: dict[str, str]) -> int:
    return len((await client.get(f"{ORGS}?limit=200", headers=headers)).json()["items"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "civil_affairs", "name": 42}, "name"),
        ({"kind": "ministry_of_magic", "name": "x"}, "kind"),
        ({"name": "x"}, "kind"),
        ({"kind": "civil_affairs", "name": ""}, "name"),
        ({"kind": "civil_affairs", "name": "x" * 201}, "name"),
        ({"kind": "civil_affairs", "name": "x", "colour": "red"}, "colour"),
        ({"kind": "partner_department", "name": "x"}, "sector"),
        ({"kind": "civil_affairs", "name": "x", "sector": "health"}, "sector"),
        ({"kind": "civil_affairs", "name": "x\u0000"}, "name"),
        ({"kind": "civil_affairs", "name": "escape \u001b[31m"}, "name"),
        ({"kind": "civil_affairs", "name": "two\nlines"}, "name"),
    ],
)
async def test_invalid_fields_are_named(
    client: Client, login: Login, body: dict[str, object], field: str
) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    before = await _org_count(client, admin)
    response = await client.post(ORGS, headers=admin, json=body)
    assert response.status_code == 422
    problem = _is_problem(response)
    assert problem["code"] == "validation_failed"
    assert field in [error["field"] for error in problem["errors"]], problem
    assert await _org_count(client, admin) == before


@pytest.mark.parametrize(
    "raw",
    [b"{bad json", b"[1, 2", b'{"kind": "civil_affairs", "name": "\xff\xfe"}', b"\x00\x01"],
)
async def test_malformed_bodies_are_400(client: Client, login: Login, raw: bytes) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    response = await client.post(
        ORGS, headers={**admin, "Content-Type": "application/json"}, content=raw
    )
    assert response.status_code == 400
    assert _is_problem(response)["code"] == "malformed_body", response.text


async def test_a_json_array_instead_of_an_object_is_422(client: Client, login: Login) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    response = await client.post(ORGS, headers=admin, json=[1, 2])
    assert response.status_code in (400, 422)
    _is_problem(response)


async def test_huge_body_is_413(client: Client, login: Login, settings: Settings) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    big = b'{"kind": "civil_affairs", "name": "' + b"x" * settings.max_request_body_bytes + b'"}'
    response = await client.post(
        ORGS, headers={**admin, "Content-Type": "application/json"}, content=big
    )
    assert response.status_code == 413
    assert _is_problem(response)["code"] == "body_too_large"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("offset=-1", "offset"),
        ("limit=1.5", "limit"),
        (f"limit={2**64}", "limit"),
        (f"offset={2**63}", "offset"),
    ],
)
async def test_bad_query_parameters_are_named(
    client: Client, login: Login, query: str, field: str
) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    response = await client.get(f"{ORGS}?{query}", headers=admin)
    assert response.status_code in (400, 422), response.text
    problem = _is_problem(response)
    assert field in problem["detail"] or field in str(problem.get("errors"))


async def test_bad_path_id_is_404_or_named(client: Client, login: Login) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    response = await client.get(f"{ORGS}/not-a-uuid", headers=admin)
    assert response.status_code in (400, 404, 422)
    _is_problem(response)


async def test_unknown_route_is_problem_json(client: Client) -> None:
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    _is_problem(response)


async def test_wrong_method_is_405_problem_json(client: Client) -> None:
    response = await client.put("/v1/auth/login", json={})
    assert response.status_code == 405
    _is_problem(response)


async def test_login_with_wrong_types_is_422_not_500(client: Client) -> None:
    response = await client.post("/v1/auth/login", json={"login": ["a"], "password": 1})
    assert response.status_code == 422
    assert _is_problem(response)["errors"][0]["field"] in ("login", "password")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
async def test_a_json_route_refuses_other_media_types(
    client: Client, login: Login, content_type: str | None
) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    before = await _org_count(client, admin)
    headers = {**admin, "Content-Type": content_type} if content_type else admin
    body = b'{"kind": "civil_affairs", "name": "media type"}'
    response = await client.post(ORGS, headers=headers, content=body)
    assert response.status_code == 415
    assert _is_problem(response)["code"] == "unsupported_media_type"
    assert await _org_count(client, admin) == before
