"""Tenants, role grants and their propagation, and providers across regions."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from services.entry.api import create_app
from services.kit.settings import Settings
from tests.support.accounts import open_account, unique_email
from tests.support.client import Client, Login
from tests.support.demo import GD, GZ, ROLE_LOGINS, SZ
from tests.support.providers import fresh_uscc

PASSWORD = "Secret12345"


@pytest.fixture(scope="module")
async def second_process(settings: Settings) -> AsyncIterator[Client]:
    """Another API instance with its own enforcer and LISTEN connection, like a second pod."""
    async with AsyncTestClient(app=create_app(settings)) as other:
        yield other


async def _eventually(check: Callable[[], Awaitable[bool]], within: float = 1.0) -> float:
    """Seconds until check() held; fails if it did not hold within the limit."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > within:
            raise AssertionError(f"not in force within {within} s")
        await asyncio.sleep(0.02)


async def _account(client: Client, login: Login) -> str:
    """A new account in 广州, with no role yet: its login."""
    _, email = await open_account(client, await login(ROLE_LOGINS["tenant_admin"]), PASSWORD)
    return email


async def _headers(client: Client, who: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json={"login": who, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_grant_and_revoke_take_effect_in_another_process_within_a_second(
    client: Client, second_process: Client, login: Login
) -> None:
    email = await _account(client, login)
    newcomer = await _headers(client, email)
    orgs = f"/v1/tenants/{GZ}/organisations"
    assert (await second_process.get(orgs, headers=newcomer)).status_code == 403

    admin = await login(ROLE_LOGINS["tenant_admin"])
    granted = await client.post(
        f"/v1/tenants/{GZ}/memberships",
        headers=admin,
        json={"login": email, "role": "civil_affairs_officer"},
    )
    assert granted.status_code == 201, granted.text

    async def allowed() -> bool:
        return (await second_process.get(orgs, headers=newcomer)).status_code == 200

    await _eventually(allowed)
    revoked = await client.delete(
        f"/v1/tenants/{GZ}/memberships/{granted.json()['id']}", headers=admin
    )
    assert revoked.status_code == 204

    async def denied() -> bool:
        return (await second_process.get(orgs, headers=newcomer)).status_code == 403

    await _eventually(denied)


async def test_tenant_admin_cannot_grant_platform_or_provider_roles(
    client: Client, login: Login
) -> None:
    email = await _account(client, login)
    admin = await login(ROLE_LOGINS["tenant_admin"])
    for role in ("platform_admin", "ministry_viewer", "province_viewer", "provider_admin"):
        response = await client.post(
            f"/v1/tenants/{GZ}/memberships", headers=admin, json={"login": email, "role": role}
        )
        assert response.status_code == 422, role
        assert response.json()["code"] == "role_not_grantable"


async def _granted_in_gz(client: Client, login: Login, who: str, role: str) -> httpx.Response:
    """广州's administrator grants ``role`` to the account ``who``: the answer."""
    return await client.post(
        f"/v1/tenants/{GZ}/memberships",
        headers=await login(ROLE_LOGINS["tenant_admin"]),
        json={"login": who, "role": role},
    )


async def test_a_provider_account_cannot_hold_a_government_role(
    client: Client, login: Login
) -> None:
    response = await _granted_in_gz(client, login, ROLE_LOGINS["provider_admin"], "expert")
    assert response.status_code == 422


async def test_granting_the_same_role_twice_is_a_conflict(client: Client, login: Login) -> None:
    response = await _granted_in_gz(client, login, ROLE_LOGINS["expert"], "expert")
    assert response.status_code == 409


async def test_a_membership_names_an_organisation_of_its_own_tenant(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
) -> None:
    email = await _account(client, login)
    admin = await login(ROLE_LOGINS["tenant_admin"])
    shenzhen_org = await admin_db.fetchval(
        "SELECT id FROM organisations WHERE tenant_id = $1 LIMIT 1", SZ
    )
    response = await client.post(
        f"/v1/tenants/{GZ}/memberships",
        headers=admin,
        json={"login": email, "role": "finance_officer", "organisation_id": str(shenzhen_org)},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "organisation_id"


async def test_province_viewer_is_granted_by_platform_admin_in_a_province(
    client: Client, login: Login
) -> None:
    email = await _account(client, login)
    platform = await login(ROLE_LOGINS["platform_admin"])
    in_city = await client.post(
        f"/v1/tenants/{GZ}/memberships",
        headers=platform,
        json={"login": email, "role": "province_viewer"},
    )
    assert in_city.status_code == 422
    in_province = await client.post(
        f"/v1/tenants/{GD}/memberships",
        headers=platform,
        json={"login": email, "role": "province_viewer"},
    )
    assert in_province.status_code == 201


# --- tenants ---------------------------------------------------------------------------------


async def test_platform_admin_creates_a_county_under_its_city(client: Client, login: Login) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    for _ in range(50):
        code = f"4403{random.randrange(1, 100):02d}"
        response = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": "测试区"}
        )
        if response.status_code != 409:
            break
    assert response.status_code == 201, response.text
    assert response.json() == {
        "code": code,
        "name": "测试区",
        "level": "county",
        "parent_code": SZ,
        "active": True,
    }
    again = await client.post(
        "/v1/platform/tenants", headers=platform, json={"code": code, "name": "测试区"}
    )
    assert again.status_code == 409 and again.json()["code"] == "tenant_exists"


async def test_a_region_without_its_parent_is_refused(client: Client, login: Login) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    response = await client.post(
        "/v1/platform/tenants", headers=platform, json={"code": "450100", "name": "南宁市"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "parent_tenant_missing"


async def test_only_platform_admins_create_tenants(client: Client, login: Login) -> None:
    for role in ("tenant_admin", "ministry_viewer", "province_viewer"):
        response = await client.post(
            "/v1/platform/tenants",
            headers=await login(ROLE_LOGINS[role]),
            json={"code": "440199", "name": "x"},
        )
        assert response.status_code == 403, role


async def test_a_deactivated_tenant_stops_its_users(
    client: Client, second_process: Client, login: Login
) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    # 440118 is the county of tests/tendering/test_method_approval_authority.py, which must
    # stay active; tests/kit/test_audit.py draws 440120–440199.
    for _ in range(50):
        code = f"4401{random.choice([n for n in range(1, 20) if n != 18]):02d}"
        created = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": "停用测试区"}
        )
        if created.status_code == 201:
            break
    email = await _account(client, login)
    granted = await client.post(
        f"/v1/tenants/{code}/memberships",
        headers=platform,
        json={"login": email, "role": "tenant_admin"},
    )
    assert granted.status_code == 201
    county_admin = await _headers(client, email)
    orgs = f"/v1/tenants/{code}/organisations"

    async def works() -> bool:
        return (await second_process.get(orgs, headers=county_admin)).status_code == 200

    await _eventually(works)
    off = await client.post(f"/v1/platform/tenants/{code}/deactivate", headers=platform)
    assert off.status_code == 200 and off.json()["active"] is False

    async def stopped() -> bool:
        response = await second_process.get(orgs, headers=county_admin)
        return response.status_code == 403 and response.json()["code"] == "tenant_inactive"

    await _eventually(stopped)
    on = await client.post(f"/v1/platform/tenants/{code}/activate", headers=platform)
    assert on.status_code == 200
    await _eventually(works)


async def test_unknown_tenant_is_404(client: Client, login: Login) -> None:
    response = await client.get(
        "/v1/tenants/659999/organisations", headers=await login(ROLE_LOGINS["platform_admin"])
    )
    assert response.status_code == 404


# --- providers -------------------------------------------------------------------------------


async def _sign_up(client: Client) -> tuple[dict[str, str], str]:
    email = unique_email("provider")
    response = await client.post(
        "/v1/providers",
        json={
            "uscc": fresh_uscc(SZ),
            "name": f"测试社工服务中心{random.randrange(10**6)}",
            "admin_login": email,
            "admin_name": "负责人",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "private_non_enterprise"
    return response.json(), email


async def test_provider_signs_up_once_and_works_in_two_regions(
    client: Client, login: Login
) -> None:
    provider, email = await _sign_up(client)
    admin = await _headers(client, email)
    for tenant in (GZ, SZ):
        applied = await client.post(
            f"/v1/tenants/{tenant}/provider-registrations", headers=admin, json={"note": "申请登记"}
        )
        assert applied.status_code == 201, applied.text
        assert applied.json()["status"] == "pending"
        approver = await login(
            ROLE_LOGINS["civil_affairs_approver"]
            if tenant == GZ
            else ROLE_LOGINS["civil_affairs_approver"].replace("@gz.", "@sz.")
        )
        decided = await client.post(
            f"/v1/tenants/{tenant}/provider-registrations/{applied.json()['id']}/approve",
            headers=approver,
            json={"note": "同意"},
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "approved"
        again = await client.post(
            f"/v1/tenants/{tenant}/provider-registrations/{applied.json()['id']}/reject",
            headers=approver,
            json={},
        )
        assert again.status_code == 409
    mine = (await client.get("/v1/me/registrations", headers=admin)).json()["items"]
    assert sorted(r["tenant_id"] for r in mine) == [GZ, SZ]
    assert {r["provider_id"] for r in mine} == {provider["id"]}


async def test_provider_staff_see_but_do_not_apply(client: Client) -> None:
    _, email = await _sign_up(client)
    admin = await _headers(client, email)
    staff_email = unique_email("staff")
    added = await client.post(
        "/v1/me/provider/users",
        headers=admin,
        json={"login": staff_email, "display_name": "社工", "password": PASSWORD},
    )
    assert added.status_code == 201
    assert added.json()["provider_role"] == "provider_staff"
    staff = await _headers(client, staff_email)
    applied = await client.post(f"/v1/tenants/{GZ}/provider-registrations", headers=staff, json={})
    assert applied.status_code == 403
    assert (await client.get("/v1/me/registrations", headers=staff)).status_code == 200


async def test_applying_twice_in_one_region_is_a_conflict(client: Client) -> None:
    _, email = await _sign_up(client)
    admin = await _headers(client, email)
    url = f"/v1/tenants/{GZ}/provider-registrations"
    assert (await client.post(url, headers=admin, json={})).status_code == 201
    again = await client.post(url, headers=admin, json={})
    assert again.status_code == 409 and again.json()["code"] == "registration_exists"


async def test_signup_with_a_bad_uscc_names_the_field_and_creates_nothing(
    client: Client,
    admin_db: asyncpg.Connection,
) -> None:
    before = await admin_db.fetchval("SELECT count(*) FROM providers")
    email = unique_email("bad")
    response = await client.post(
        "/v1/providers",
        json={
            "uscc": "51440100MJL000010R",
            "name": "x",
            "admin_login": email,
            "admin_name": "x",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "uscc"
    assert await admin_db.fetchval("SELECT count(*) FROM providers") == before
    assert await admin_db.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0


async def test_signup_with_a_weak_password_creates_nothing(
    client: Client,
    admin_db: asyncpg.Connection,
) -> None:
    code = fresh_uscc(SZ)
    response = await client.post(
        "/v1/providers",
        json={
            "uscc": code,
            "name": "x",
            "admin_login": unique_email(),
            "admin_name": "x",
            "admin_password": "short",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "admin_password"
    assert await admin_db.fetchval("SELECT count(*) FROM providers WHERE uscc = $1", code) == 0


async def test_the_same_uscc_cannot_sign_up_twice(client: Client) -> None:
    response = await client.post(
        "/v1/providers",
        json={
            "uscc": "51440100MJL000010Q",
            "name": "冒名",
            "admin_login": unique_email(),
            "admin_name": "x",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 409 and response.json()["code"] == "provider_exists"


async def test_one_account_works_in_two_regions_by_path(
    client: Client, second_process: Client, login: Login
) -> None:
    email = await _account(client, login)
    platform = await login(ROLE_LOGINS["platform_admin"])
    for tenant, role in ((GZ, "finance_officer"), (SZ, "civil_affairs_officer")):
        granted = await client.post(
            f"/v1/tenants/{tenant}/memberships",
            headers=platform,
            json={"login": email, "role": role},
        )
        assert granted.status_code == 201, granted.text
    both = await _headers(client, email)

    def reads_both(process: Client) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            codes = [
                (await process.get(f"/v1/tenants/{t}/organisations", headers=both)).status_code
                for t in (GZ, SZ)
            ]
            return codes == [200, 200]

        return check

    await _eventually(reads_both(second_process))
    await _eventually(reads_both(client))
    gz = (await client.get(f"/v1/tenants/{GZ}/organisations", headers=both)).json()["items"]
    assert {o["tenant_id"] for o in gz} == {GZ}

    # /v1/me shows the roles in force in the answering process: both, within a second.
    async def me_shows_both() -> bool:
        roles = (await client.get("/v1/me", headers=both)).json()["roles"]
        return {(r["role"], r["domain"]) for r in roles} == {
            ("finance_officer", GZ),
            ("civil_affairs_officer", SZ),
        }

    await _eventually(me_shows_both)
    # Each role applies in its own region only: registrations are civil affairs' business.
    assert (
        await client.get(f"/v1/tenants/{GZ}/provider-registrations", headers=both)
    ).status_code == 403
    assert (
        await client.get(f"/v1/tenants/{SZ}/provider-registrations", headers=both)
    ).status_code == 200
