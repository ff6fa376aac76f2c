"""Strict input on every route: text PostgreSQL can store, integers its columns hold, JSON
bodies only as application/json and decoded without coercion, and 422s that name only the
fields that are wrong.

The sweeps walk the OpenAPI document, so a route added later is covered without a new test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.support.client import Client, Headers, Login
from tests.support.demo import GZ, ROLE_LOGINS
from tests.support.openapi import operations

ORGS = f"/v1/tenants/{GZ}/organisations"
RULES = f"/v1/tenants/{GZ}/tendering-rules"
# Who to try, in order, until one passes a route's guard.
TRY_LOGINS = [
    "tenant_admin",
    "platform_admin",
    "civil_affairs_officer",
    "civil_affairs_approver",
    "finance_officer",
    "finance_approver",
    "partner_department",
    "provider_admin",
    "expert",
    "evaluator",
    # The national red flags are the ministry's alone.
    "ministry_viewer",
]
Path = tuple[str | int, ...]


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


def _fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in _problem(response).get("errors", [])]


# --- walking the OpenAPI document ---------------------------------------------------------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _leaves(spec: dict[str, Any], schema: dict[str, Any], kind: str, path: Path) -> Iterator[Path]:
    """Paths to every property of JSON type ``kind``, through objects and arrays."""
    schema = _resolve(spec, schema)
    for alternative in schema.get("oneOf", []) + schema.get("anyOf", []):
        if _resolve(spec, alternative).get("type") != "null":
            yield from _leaves(spec, alternative, kind, path)
            return
    if schema.get("type") == "object":
        for name, inner in schema.get("properties", {}).items():
            yield from _leaves(spec, inner, kind, (*path, name))
    elif schema.get("type") == "array":
        yield from _leaves(spec, schema.get("items", {}), kind, (*path, 0))
    elif schema.get("type") == kind and path:
        yield path


def _body_at(path: Path, value: object) -> object:
    """The smallest JSON value holding ``value`` at ``path``."""
    for step in reversed(path):
        value = [value] if isinstance(step, int) else {step: value}
    return value


NOBODY = uuid.UUID("00000000-0000-4000-8000-0000000000ff")


def _field_name(path: Path) -> str:
    name = ""
    for step in path:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else step)
    return name


def _url(path: str, operation: dict[str, Any]) -> str:
    url = path.replace("{tenant}", GZ)
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] != "tenant":
            schema = parameter["schema"]
            fill = str(uuid.uuid4()) if schema.get("format") == "uuid" else "1"
            url = url.replace("{" + parameter["name"] + "}", fill)
    return url


def _operations(app: Litestar, json_body: bool) -> list[tuple[str, str, dict[str, Any]]]:
    """The operations that take a JSON body, or those that do not."""
    return [
        (method, path, operation)
        for method, path, operation in operations(app.openapi_schema.to_schema())
        if json_body == ("application/json" in operation.get("requestBody", {}).get("content", {}))
    ]


async def _headers_for(
    client: Client, login: Login, method: str, url: str
) -> dict[str, str] | None:
    """A login the route's guard lets through; probed with a body no route accepts (an array),
    or, without a body, a read, so the probe changes nothing."""
    for role in TRY_LOGINS:
        headers = await login(ROLE_LOGINS[role])
        kwargs: dict[str, Any] = {"json": []} if method != "GET" else {}
        response = await client.request(method, url, headers=headers, **kwargs)
        if response.status_code not in (401, 403):
            return headers
    return None


@pytest.fixture(scope="module")
def spec(app: Litestar) -> dict[str, Any]:
    return app.openapi_schema.to_schema()


# --- NUL and other control characters ------------------------------------------------------------


async def test_nul_in_every_string_of_every_json_body_is_422_naming_it(
    client: Client, login: Login, app: Litestar, spec: dict[str, Any]
) -> None:
    checked = 0
    for method, path, operation in _operations(app, json_body=True):
        url = _url(path, operation)
        headers = await _headers_for(client, login, method, url)
        assert headers is not None, f"no demo login may use {method} {path}"
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        for leaf in _leaves(spec, schema, "string", ()):
            body = _body_at(leaf, "a\u0000b")
            response = await client.request(method, url, headers=headers, json=body)
            assert response.status_code == 422, (method, path, leaf, response.text)
            assert _fields(response) == [_field_name(leaf)], (method, path, response.text)
            checked += 1
    assert checked > 100  # every free-text field of the API, array items included


async def test_every_string_query_parameter_refuses_nul(
    client: Client, login: Login, app: Litestar
) -> None:
    checked = 0
    for method, path, operation in _operations(app, json_body=False):
        if method != "GET":
            continue
        url = _url(path, operation)
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            kinds = {schema.get("type")} | {s.get("type") for s in schema.get("oneOf", [])}
            if parameter["in"] != "query" or "string" not in kinds:
                continue
            headers = await _headers_for(client, login, method, url) or {}
            # Other required parameters get a harmless value, so only this one is wrong.
            params = {
                other["name"]: "1"
                for other in operation["parameters"]
                if other["in"] == "query" and other.get("required")
            }
            params[parameter["name"]] = "a\x00"
            response = await client.get(url, headers=headers, params=params)
            assert response.status_code == 422, (path, parameter["name"], response.text)
            assert _fields(response) == [parameter["name"]], response.text
            checked += 1
    assert checked >= 10


async def test_nul_in_a_name_is_refused_and_nothing_is_written(
    client: Client, login: Login
) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    orgs_before = (await client.get(f"{ORGS}?limit=200", headers=admin)).json()["items"]
    audit_before = (await client.get(f"/v1/tenants/{GZ}/audit?limit=200", headers=admin)).json()
    response = await client.post(
        ORGS, headers=admin, json={"kind": "civil_affairs", "name": "民政局\u0000"}
    )
    assert response.status_code == 422
    problem = _problem(response)
    assert problem["errors"] == [
        {"field": "name", "message": "must be one line without control characters (such as NUL)"}
    ]
    assert (await client.get(f"{ORGS}?limit=200", headers=admin)).json()["items"] == orgs_before
    audit_after = (await client.get(f"/v1/tenants/{GZ}/audit?limit=200", headers=admin)).json()
    assert audit_after == audit_before


async def test_multi_line_text_keeps_line_breaks_but_not_nul(client: Client, login: Login) -> None:
    url = f"/v1/tenants/{GZ}/procurements/{uuid.uuid4()}/cancel"
    headers = await _headers_for(client, login, "POST", url)
    assert headers is not None
    # A line break is fine in prose: the request goes on to find no such procurement.
    response = await client.post(url, headers=headers, json={"reason": "第一行\n第二行\t完"})
    assert response.status_code == 404, response.text
    assert _problem(response)["code"] == "not_found"
    response = await client.post(url, headers=headers, json={"reason": "第一行\u0000"})
    assert response.status_code == 422
    assert _fields(response) == ["reason"]


async def test_a_tenant_code_with_nul_in_the_path_is_422(client: Client, login: Login) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    for url in ("/v1/tenants/4401%0000/organisations", "/v1/tenants/4401%000"):
        response = await client.get(url, headers=admin)
        assert response.status_code == 422, response.text
        assert _fields(response) == ["tenant"]


# --- integers that fit the database -------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url"),
    [("tenant_admin", f"/v1/tenants/{GZ}/audit"), ("platform_admin", "/v1/platform/audit")],
)
async def test_after_seq_beyond_bigint_is_422(
    client: Client, login: Login, who: str, url: str
) -> None:
    headers = await login(ROLE_LOGINS[who])
    response = await client.get(f"{url}?after_seq={2**63}", headers=headers)
    assert response.status_code == 422, response.text
    assert _fields(response) == ["after_seq"]
    largest = await client.get(f"{url}?after_seq={2**63 - 1}", headers=headers)
    assert largest.status_code == 200
    assert largest.json() == []


async def test_fiscal_year_out_of_range_is_422_on_every_list(
    client: Client, login: Login, app: Litestar
) -> None:
    lists = [
        (path, operation)
        for method, path, operation in _operations(app, json_body=False)
        if method == "GET"
        and any(p["name"] == "fiscal_year" for p in operation.get("parameters", []))
    ]
    assert len(lists) == 4
    for path, operation in lists:
        url = _url(path, operation)
        headers = await _headers_for(client, login, "GET", url)
        assert headers is not None
        for year in (2**31, 1999, 2101):
            response = await client.get(url, headers=headers, params={"fiscal_year": year})
            assert response.status_code == 422, (path, year, response.text)
            assert _fields(response) == ["fiscal_year"]
        assert (
            await client.get(url, headers=headers, params={"fiscal_year": 2027})
        ).status_code == 200


async def test_a_version_beyond_int4_is_422(client: Client, login: Login) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    url = f"/v1/tenants/{GZ}/documents/{uuid.uuid4()}/download?version={2**31}"
    response = await client.get(url, headers=admin)
    assert response.status_code == 422
    assert _fields(response) == ["version"]


# --- media type and strict types ----------------------------------------------------------------


async def test_every_json_route_refuses_other_media_types_with_415(
    client: Client, login: Login, app: Litestar
) -> None:
    checked = 0
    for method, path, operation in _operations(app, json_body=True):
        url = _url(path, operation)
        headers = await _headers_for(client, login, method, url)
        assert headers is not None
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            sent = {**headers, "Content-Type": content_type} if content_type else headers
            response = await client.request(method, url, headers=sent, content=b"{}")
            assert response.status_code == 415, (method, path, content_type, response.text)
            assert _problem(response)["code"] == "unsupported_media_type"
        checked += 1
    assert checked > 40


async def test_json_with_a_charset_is_accepted(client: Client, login: Login) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    name = f"社会工作科 {uuid.uuid4().hex[:6]}"
    response = await client.post(
        ORGS,
        headers={**admin, "Content-Type": "application/json; charset=utf-8"},
        content=f'{{"kind": "civil_affairs", "name": "{name}"}}'.encode(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name


async def test_every_integer_and_boolean_in_a_body_refuses_a_string(
    client: Client, login: Login, app: Litestar, spec: dict[str, Any]
) -> None:
    checked = 0
    for method, path, operation in _operations(app, json_body=True):
        url = _url(path, operation)
        headers = await _headers_for(client, login, method, url)
        assert headers is not None
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        for kind, text in (("integer", "12"), ("boolean", "true")):
            for leaf in _leaves(spec, schema, kind, ()):
                response = await client.request(
                    method, url, headers=headers, json=_body_at(leaf, text)
                )
                assert response.status_code == 422, (method, path, leaf, response.text)
                assert _fields(response) == [_field_name(leaf)]
                checked += 1
    assert checked >= 15


# --- 422s name only what is wrong -----------------------------------------------------------------


async def test_a_422_under_a_tenant_names_only_the_wrong_field(
    client: Client, login: Login, app: Litestar
) -> None:
    app.openapi_schema.to_schema()  # as after anyone has read /schema
    admin = await login(ROLE_LOGINS["tenant_admin"])
    response = await client.get(f"{ORGS}?limit=abc", headers=admin)
    assert response.status_code == 422
    assert _fields(response) == ["limit"]
    response = await client.post(ORGS, headers=admin, json={"kind": "civil_affairs", "name": 7})
    assert _fields(response) == ["name"]
    response = await client.post(ORGS, headers=admin)
    assert response.status_code == 422
    missing = {"field": "body", "message": "a request body is required"}
    assert _problem(response)["errors"] == [missing]


async def test_a_missing_query_parameter_is_named(client: Client) -> None:
    url = f"/v1/tenants/{GZ}/documents/{uuid.uuid4()}/versions/1/content?user=x&signature=y"
    response = await client.get(url)
    assert response.status_code == 422
    assert _problem(response)["errors"] == [
        {"field": "expires", "message": "the query parameter is required"}
    ]


# --- percentages ---------------------------------------------------------------------------------


@pytest.fixture
async def rules_restored(client: Client, login: Login) -> AsyncIterator[Headers]:
    """广州's administrator, whose region's rules are put back as they were afterwards."""
    admin = await login(ROLE_LOGINS["tenant_admin"])
    before = (await client.get(RULES, headers=admin)).json()["overrides"]
    yield admin
    assert (await client.put(RULES, headers=admin, json=before)).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "in_force"),
    [
        # The documented form: a string, at most two decimals; whole percentages too.
        ({"bid_security_max_percent": "1.5"}, {"bid_security_max_percent": "1.5"}),
        ({"bid_security_max_percent": "0.25"}, {"bid_security_max_percent": "0.25"}),
        ({"supplementary_max_percent": "5"}, {"supplementary_max_percent": "5"}),
        ({"price_weight_max": "30"}, {"price_weight_max": 30}),
        ({"price_weight_max": 30, "price_weight_min": "20"}, {"price_weight_min": 20}),
        ({"performance_security_max_percent": 5}, {"performance_security_max_percent": "5"}),
    ],
)
async def test_percentages_in_the_documented_form_are_accepted(
    client: Client,
    rules_restored: dict[str, str],
    overrides: dict[str, object],
    in_force: dict[str, object],
) -> None:
    response = await client.put(RULES, headers=rules_restored, json=overrides)
    assert response.status_code == 200, response.text
    values = {rule["rule"]: rule["value"] for rule in response.json()["rules"]}
    for name, value in in_force.items():
        assert values[name] == value


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bid_security_max_percent": "0.001"}, "bid_security_max_percent"),
        ({"bid_security_max_percent": "1e0"}, "bid_security_max_percent"),
        ({"bid_security_max_percent": " 1.5"}, "bid_security_max_percent"),
        ({"price_weight_max": "30.5"}, "price_weight_max"),
        ({"price_weight_max": "3\u00000"}, "price_weight_max"),
        ({"open_tender_min_days": "25"}, "open_tender_min_days"),
    ],
)
async def test_percentages_in_other_forms_are_422(
    client: Client,
    rules_restored: dict[str, str],
    overrides: dict[str, object],
    field: str,
) -> None:
    before = (await client.get(RULES, headers=rules_restored)).json()
    response = await client.put(RULES, headers=rules_restored, json=overrides)
    assert response.status_code == 422, response.text
    assert field in _problem(response)["detail"]
    assert (await client.get(RULES, headers=rules_restored)).json() == before


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("POST", "/v1/platform/tenants/4401%0000/deactivate", "code"),
        # Fixed ids: every pytest-xdist worker must collect the same parameters.
        ("DELETE", f"/v1/platform/role-grants/{NOBODY}/platform%00admin", "role"),
        ("POST", "/v1/platform/dead-letters/a%00b/replay", "dead_letter_id"),
        ("GET", f"/v1/tenants/{GZ}/documents/{NOBODY}/versions/{2**31}/content", "version"),
    ],
)
async def test_text_and_numbers_in_paths_are_checked(
    client: Client, login: Login, method: str, url: str, field: str
) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    response = await client.request(method, f"{url}?expires=1&user=u&signature=s", headers=platform)
    assert response.status_code == 422, response.text
    assert _fields(response) == [field]
