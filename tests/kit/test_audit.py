"""The audit log: every change recorded, readable by tenant admins, and tamper-evident."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from services.kit.settings import Settings
from tests.support.client import Client, Login
from tests.support.demo import GZ, ROLE_LOGINS, SZ


async def _fresh_county(client: Client, login: Login) -> str:
    """A county of 广州市 of its own, so tampering with its chain harms no other test."""
    platform = await login(ROLE_LOGINS["platform_admin"])
    for _ in range(50):
        code = f"4401{random.randrange(20, 100):02d}"
        response = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"测试区{code}"}
        )
        if response.status_code == 201:
            return code
    raise AssertionError("no free county code")


async def _three_changes(client: Client, login: Login, tenant: str) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    for name in ("民政局", "财政局", "残联"):
        kind = {"民政局": "civil_affairs", "财政局": "finance"}.get(name, "partner_department")
        body = {"kind": kind, "name": name}
        if kind == "partner_department":
            body["sector"] = "disabled_persons_federation"
        response = await client.post(
            f"/v1/tenants/{tenant}/organisations", headers=platform, json=body
        )
        assert response.status_code == 201, response.text


def _verify_command(settings: Settings, tenant: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "services.entry.cli", "verify-audit", tenant],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_change_is_audited_with_actor_request_and_before_after(
    client: Client, login: Login
) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    created = await client.post(
        f"/v1/tenants/{GZ}/organisations",
        headers={**admin, "X-Request-ID": "audit-test-1"},
        json={
            "kind": "partner_department",
            "name": f"团委{random.randrange(10**6)}",
            "sector": "youth_league",
        },
    )
    assert created.status_code == 201
    org_id = created.json()["id"]
    renamed = await client.patch(
        f"/v1/tenants/{GZ}/organisations/{org_id}",
        headers=admin,
        json={"name": f"共青团{random.randrange(10**6)}"},
    )
    assert renamed.status_code == 200
    entries = (
        await client.get(f"/v1/tenants/{GZ}/audit?limit=200&after_seq=0", headers=admin)
    ).json()
    while len(entries) == 200:  # page to the end of the chain
        more = (
            await client.get(
                f"/v1/tenants/{GZ}/audit?limit=200&after_seq={entries[-1]['seq']}", headers=admin
            )
        ).json()
        if not more:
            break
        entries = more
    mine = [e for e in entries if e["object_id"] == org_id]
    assert [e["action"] for e in mine] == ["organisation.created", "organisation.updated"]
    assert mine[0]["request_id"] == "audit-test-1"
    me = (await client.get("/v1/me", headers=admin)).json()["user"]["id"]
    assert mine[0]["actor_id"] == me
    assert mine[1]["before"]["name"] == created.json()["name"]
    assert mine[1]["after"]["name"] == renamed.json()["name"]


async def test_tenant_audit_is_for_its_tenant_admin_only(client: Client, login: Login) -> None:
    officer = await login(ROLE_LOGINS["civil_affairs_officer"])
    assert (await client.get(f"/v1/tenants/{GZ}/audit", headers=officer)).status_code == 403
    admin = await login(ROLE_LOGINS["tenant_admin"])
    assert (await client.get(f"/v1/tenants/{SZ}/audit", headers=admin)).status_code == 403


async def test_an_intact_chain_verifies(client: Client, login: Login, settings: Settings) -> None:
    tenant = await _fresh_county(client, login)
    await _three_changes(client, login, tenant)
    result = _verify_command(settings, tenant)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tenant}: ok, 3 entries" in result.stdout


async def _tamper(admin_db: asyncpg.Connection, sql: str, *args: object) -> None:
    # Only a superuser switching triggers off can do this; the app role cannot at all.
    async with admin_db.transaction():
        await admin_db.execute("SET LOCAL session_replication_role = replica")
        await admin_db.execute(sql, *args)


Verified = subprocess.CompletedProcess[str]
TamperedThenVerified = Callable[[str], Awaitable[Verified]]


@pytest.fixture
def verified_after(
    client: Client, login: Login, settings: Settings, admin_db: asyncpg.Connection
) -> TamperedThenVerified:
    """What verify-audit says of a fresh county's three changes once ``sql`` (its one parameter
    the county) has tampered with them."""

    async def verify(sql: str) -> Verified:
        tenant = await _fresh_county(client, login)
        await _three_changes(client, login, tenant)
        await _tamper(admin_db, sql, tenant)
        return _verify_command(settings, tenant)

    return verify


async def test_an_edited_entry_is_named(verified_after: TamperedThenVerified) -> None:
    result = await verified_after(
        """UPDATE audit_log SET after = jsonb_set(after, '{name}', '"假"')
                               WHERE tenant_id = $1 AND seq = 2"""
    )
    assert result.returncode == 1
    assert "BROKEN at entry 2" in result.stdout and "edited" in result.stdout


async def test_a_deleted_entry_is_named(verified_after: TamperedThenVerified) -> None:
    result = await verified_after("DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 2")
    assert result.returncode == 1
    assert "BROKEN at entry 2" in result.stdout and "missing" in result.stdout


async def test_a_cut_off_tail_is_named(verified_after: TamperedThenVerified) -> None:
    result = await verified_after("DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 3")
    assert result.returncode == 1
    assert "BROKEN at entry 3" in result.stdout


async def test_even_the_owner_cannot_rewrite_history(
    admin_db: asyncpg.Connection,
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await admin_db.execute("UPDATE audit_log SET action = 'x' WHERE tenant_id = $1", GZ)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await admin_db.execute("DELETE FROM audit_log WHERE tenant_id = $1", GZ)
