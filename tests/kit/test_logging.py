"""One JSON line per request with its context, and never a secret in it."""

from __future__ import annotations

import json

import pytest

from tests.support.client import Client
from tests.support.demo import GZ, ROLE_LOGINS

SECRET_PASSWORD = "NeverLogMe12345"


def _request_lines(captured: str) -> list[dict[str, object]]:
    lines = []
    for raw in captured.splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if record.get("event") == "request":
            lines.append(record)
    return lines


async def test_request_line_has_context_and_no_secrets(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    await client.post(
        "/v1/auth/login", json={"login": ROLE_LOGINS["tenant_admin"], "password": SECRET_PASSWORD}
    )
    good = await client.post(
        "/v1/auth/login", json={"login": ROLE_LOGINS["tenant_admin"], "password": "Demo2026pass"}
    )
    token = good.json()["access_token"]
    refresh = good.json()["refresh_token"]
    await client.get(
        f"/v1/tenants/{GZ}/organisations",
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "log-test-7"},
    )
    captured = capsys.readouterr()
    output = captured.out + captured.err
    for secret in (SECRET_PASSWORD, "Demo2026pass", token, refresh):
        assert secret not in output
    lines = _request_lines(output)
    listed = [line for line in lines if line.get("request_id") == "log-test-7"]
    assert len(listed) == 1
    line = listed[0]
    assert line["route"] == "/v1/tenants/{tenant}/organisations"
    assert line["tenant"] == GZ
    assert line["status"] == 200
    assert line["user"]
    assert isinstance(line["latency_ms"], float)
