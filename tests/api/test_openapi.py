"""The OpenAPI document describes the errors as they are, and its pages need no internet."""

from __future__ import annotations

import re
from typing import Any

from tests.support.client import Client
from tests.support.openapi import operations

PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}


async def _document(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_every_error_is_documented_as_problem_json(client: Client) -> None:
    document = await _document(client)
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert {"instance", "request_id", "errors"} <= set(problem["properties"])
    assert problem["properties"]["errors"]["items"]["required"] == ["field", "message"]
    every = operations(document)
    assert len(every) > 100
    for method, path, operation in every:
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                    method,
                    path,
                    status,
                )


async def test_each_operation_lists_the_errors_it_can_give(
    client: Client,
) -> None:
    document = await _document(client)
    paths = document["paths"]

    def statuses(method: str, path: str) -> set[str]:
        return {s for s in paths[path][method]["responses"] if s.startswith("4")}

    # Public, takes a body, throttled; no bearer token asked for.
    assert statuses("post", "/v1/auth/login") == {"400", "401", "413", "415", "422", "429"}
    assert "Retry-After" in paths["/v1/auth/login"]["post"]["responses"]["429"]["headers"]
    assert paths["/v1/auth/login"]["post"]["security"] == []
    assert statuses("get", "/v1/notices") == {"422"}
    # Guarded, no path ids, no parameters.
    assert statuses("get", "/v1/me") == {"401", "403"}
    assert "security" not in paths["/v1/me"]["get"]  # the document-wide bearer requirement
    # Guarded, path ids, a body, a state that can conflict.
    line = "/v1/tenants/{tenant}/budgets/{budget_id}/lines/{line_id}"
    assert statuses("put", line) == {"400", "401", "403", "404", "409", "413", "415", "422"}
    # A region's code that is not six digits is 422; a malformed UUID matches no route (404).
    assert statuses("delete", line) == {"401", "403", "404", "409", "422"}
    # Every operation reads the database: each says what an outage answers.
    for path, item in paths.items():
        for method, operation in item.items():
            assert "Retry-After" in operation["responses"]["503"]["headers"], (method, path)
    # Reads that refuse while a seal is closed.
    assert "409" in statuses("get", "/v1/tenants/{tenant}/documents/{document_id}/download")
    assert "409" in statuses("get", "/v1/tenants/{tenant}/procurements/{procurement_id}/bids")
    # An upload takes the raw file and may be too large.
    upload = paths["/v1/tenants/{tenant}/documents"]["post"]
    assert set(upload["requestBody"]["content"]) == {"application/octet-stream"}
    assert {"413", "422"} <= statuses("post", "/v1/tenants/{tenant}/documents")
    assert "503" in upload["responses"]  # the document store is out of reach


async def test_enforced_limits_are_in_the_schemas(client: Client) -> None:
    schemas = (await _document(client))["components"]["schemas"]

    def bounds(schema: str, field: str) -> tuple[Any, Any]:
        prop = schemas[schema]["properties"][field]
        return prop.get("minimum"), prop.get("maximum")

    assert bounds("ProjectCreate", "service_months") == (1, 60)
    assert bounds("ProjectUpdate", "service_months") == (1, 60)
    assert bounds("ProjectCreate", "estimated_beneficiaries") == (1, 100_000_000)
    assert bounds("DeclarationCreate", "estimated_beneficiaries") == (1, 100_000_000)
    assert bounds("AssessmentIn", "sample_size") == (1, 10_000_000)


async def test_unknown_schema_page_is_a_problem_json_404(
    client: Client,
) -> None:
    for path in ("/schema/nothing-here", "/schema/redoc", "/schema/nothing.json"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
        assert response.json()["instance"] == path


async def test_documentation_page_loads_nothing_from_elsewhere(
    client: Client,
) -> None:
    for page in ("/schema", "/schema/swagger"):
        response = await client.get(page)
        assert response.status_code == 200
        html = response.text
        sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
        assert sources, html[:500]
        assert all(src.startswith("/schema/assets/") for src in sources), sources
        for src in sources:
            asset = await client.get(src)
            assert asset.status_code == 200, src
            assert len(asset.content) > 1000, src
    for renderer in ("/schema/rapidoc", "/schema/elements"):
        assert (await client.get(renderer)).status_code == 404
