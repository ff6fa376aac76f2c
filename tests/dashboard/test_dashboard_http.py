"""The dashboard over plain HTTP: a public HTML page that lets only this server's scripts run,
and its files (ECharts among them) served from the package, never from elsewhere."""

from __future__ import annotations

import re

from services.dashboard.bundle import VENDOR
from tests.support.client import Client


async def test_the_page_is_html_with_a_strict_content_security_policy(client: Client) -> None:
    response = await client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = {
        directive.split(" ", 1)[0]: directive.split(" ", 1)[1]
        for directive in response.headers["content-security-policy"].split("; ")
    }
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    assert not re.search(r"\son[a-z]+=", html), "an inline event handler"
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert "/dashboard/static/vendor/echarts.min.js" in sources
    assert all(src.startswith("/dashboard/static/") or src == "data:," for src in sources)


async def test_the_page_needs_no_token_and_is_not_in_the_api_schema(client: Client) -> None:
    assert (
        await client.get("/dashboard", headers={"Authorization": "Bearer x"})
    ).status_code == 200
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/dashboard")]


async def test_echarts_is_served_from_the_package_as_javascript(client: Client) -> None:
    response = await client.get("/dashboard/static/vendor/echarts.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in {
        "text/javascript",
        "application/javascript",
    }
    assert response.content == (VENDOR / "echarts.min.js").read_bytes()
    assert b"echarts" in response.content[:2000].lower()
    licence = await client.get("/dashboard/static/vendor/LICENSE")
    assert licence.status_code == 200 and b"Apache License" in licence.content
    script = await client.get("/dashboard/static/dashboard.js")
    assert script.status_code == 200
    assert script.headers["content-type"].split(";")[0].endswith("javascript")


async def test_a_missing_file_is_a_problem_json_404(client: Client) -> None:
    for path in ("/dashboard/static/nothing.js", "/dashboard/static/../routes.py"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
