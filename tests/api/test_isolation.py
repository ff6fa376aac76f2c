"""Tenant isolation through the API: 广州 (440100) never sees or touches 深圳 (440300).

An object of another tenant must be indistinguishable from one that does not exist: the
same 404 with the same body, so ids cannot be probed across tenants. A provider sees only its
own provider's registrations, in every region it works in.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.accounts import unique_email
from tests.support.client import Client, Login, answer
from tests.support.demo import (
    GZ,
    PENGCHENG_USCC,
    ROLE_LOGINS,
    SUNSHINE_USCC,
    SZ,
    city_login,
    registration_id,
)
from tests.support.providers import apply_to, sign_up

PASSWORD = "Isolation2026pass"


@dataclass(frozen=True)
class ShenzhenIds:
    """Objects of 深圳, read with the owner's connection (RLS does not hide them from it)."""

    organisation: str
    membership: str
    sunshine_registration: str
    pending_registration: str


async def _pending_registration_in(client: Client, login: Login, city: str) -> str:
    """A new provider applies to ``city``; the registration is pending, so an approve that
    slipped through would change it (and we would see)."""
    provider = await sign_up(
        client,
        login,
        PASSWORD,
        name=f"隔离测试社工站{uuid.uuid4().hex[:8]}",
        admin_name="隔离测试",
        prefix="iso-provider",
        city=city,
    )
    return await apply_to(client, provider.admin, city)


@pytest.fixture(scope="module")
async def sz(client: Client, login: Login, admin_db: asyncpg.Connection) -> ShenzhenIds:
    organisation = await admin_db.fetchval(
        "SELECT id FROM organisations WHERE tenant_id = $1 AND name = '深圳市民政局'", SZ
    )
    membership = await admin_db.fetchval(
        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.tenant_id = $1 AND u.email = $2",
        SZ,
        city_login("expert", SZ),
    )
    assert organisation and membership
    return ShenzhenIds(
        organisation=str(organisation),
        membership=str(membership),
        sunshine_registration=await registration_id(admin_db, SZ, SUNSHINE_USCC),
        pending_registration=await _pending_registration_in(client, login, SZ),
    )


# --- another tenant's object is a 404, the same as no object at all ----------------------------

Request = Callable[[Client, dict[str, str], str], Awaitable[httpx.Response]]


def _get(path: str) -> Request:
    async def call(c: Client, h: dict[str, str], id_: str) -> httpx.Response:
        return await c.get(path.format(id=id_), headers=h)

    return call


def _send(method: str, path: str, body: dict[str, Any] | None = None) -> Request:
    async def call(c: Client, h: dict[str, str], id_: str) -> httpx.Response:
        return await c.request(method, path.format(id=id_), headers=h, json=body)

    return call


G = f"/v1/tenants/{GZ}"
# (route, who in 广州 may do it there, the request, which 深圳 object it is aimed at)
BY_ID = [
    ("GET organisation", "tenant_admin", _get(G + "/organisations/{id}"), "organisation"),
    (
        "PATCH organisation",
        "tenant_admin",
        _send("PATCH", G + "/organisations/{id}", {"name": "越权改名"}),
        "organisation",
    ),
    ("DELETE membership", "tenant_admin", _send("DELETE", G + "/memberships/{id}"), "membership"),
    (
        "GET registration",
        "civil_affairs_officer",
        _get(G + "/provider-registrations/{id}"),
        "sunshine_registration",
    ),
    (
        "approve registration",
        "civil_affairs_approver",
        _send("POST", G + "/provider-registrations/{id}/approve", {"note": "越权"}),
        "pending_registration",
    ),
    (
        "reject registration",
        "civil_affairs_approver",
        _send("POST", G + "/provider-registrations/{id}/reject", {"note": "越权"}),
        "pending_registration",
    ),
]


@pytest.mark.parametrize(
    ("who", "request_", "target"), [c[1:] for c in BY_ID], ids=[c[0] for c in BY_ID]
)
async def test_another_tenants_object_looks_like_no_object(
    client: Client,
    login: Login,
    sz: ShenzhenIds,
    who: str,
    request_: Request,
    target: str,
) -> None:
    headers = await login(ROLE_LOGINS[who])
    foreign = await request_(client, headers, getattr(sz, target))
    missing = await request_(client, headers, str(uuid.uuid4()))
    assert foreign.status_code == 404, foreign.text
    assert missing.status_code == 404, missing.text
    assert answer(foreign) == answer(missing)


async def test_shenzhen_objects_are_untouched(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sz: ShenzhenIds,
) -> None:
    """After every attempt above (run them again here, in any order), 深圳 is as it was."""
    for _, who, request_, target in BY_ID:
        await request_(client, await login(ROLE_LOGINS[who]), getattr(sz, target))
    name = await admin_db.fetchval(
        "SELECT name FROM organisations WHERE tenant_id = $1 AND id = $2",
        SZ,
        uuid.UUID(sz.organisation),
    )
    assert name == "深圳市民政局"
    assert (
        await admin_db.fetchval(
            "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND id = $2",
            SZ,
            uuid.UUID(sz.membership),
        )
        == 1
    )
    status = await admin_db.fetchval(
        "SELECT status FROM provider_registrations WHERE tenant_id = $1 AND id = $2",
        SZ,
        uuid.UUID(sz.pending_registration),
    )
    assert status == "pending"


# --- lists in 广州 hold 广州's rows only ---------------------------------------------------------


async def all_pages(client: Client, path: str, headers: dict[str, str]) -> list[Any]:
    items: list[Any] = []
    while True:
        response = await client.get(
            path, headers=headers, params={"limit": 200, "offset": len(items)}
        )
        assert response.status_code == 200, response.text
        page = response.json()["items"]
        items += page
        if len(page) < 200:
            return items


async def _ids(admin_db: asyncpg.Connection, table: str, tenant: str) -> set[str]:
    rows = await admin_db.fetch(f"SELECT id FROM {table} WHERE tenant_id = $1", tenant)
    return {str(row["id"]) for row in rows}


@pytest.mark.parametrize(
    ("path", "table", "who"),
    [
        ("organisations", "organisations", "tenant_admin"),
        ("memberships", "memberships", "tenant_admin"),
        ("provider-registrations", "provider_registrations", "civil_affairs_officer"),
    ],
)
async def test_lists_hold_only_their_own_tenants_rows(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sz: ShenzhenIds,
    path: str,
    table: str,
    who: str,
) -> None:
    items = await all_pages(client, f"/v1/tenants/{GZ}/{path}", await login(ROLE_LOGINS[who]))
    listed = {item["id"] for item in items}
    assert {item["tenant_id"] for item in items} == {GZ}
    assert listed == await _ids(admin_db, table, GZ)  # all of 广州's, and so none of 深圳's
    assert not listed & await _ids(admin_db, table, SZ)


async def test_audit_list_holds_only_its_own_tenants_chain(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    headers = await login(ROLE_LOGINS["tenant_admin"])
    hashes: list[str] = []
    after = 0
    while True:
        response = await client.get(
            f"/v1/tenants/{GZ}/audit", headers=headers, params={"after_seq": after, "limit": 200}
        )
        assert response.status_code == 200, response.text
        entries = response.json()
        if not entries:
            break
        hashes += [entry["hash"] for entry in entries]
        after = entries[-1]["seq"]
    chain = {
        row["hash"]: row["tenant_id"]
        for row in await admin_db.fetch(
            "SELECT hash, tenant_id FROM audit_log WHERE tenant_id = ANY($1::text[])", [GZ, SZ]
        )
    }
    assert hashes
    assert {chain.get(h) for h in hashes} == {GZ}


# --- a 广州 user in 深圳's paths is refused ------------------------------------------------------

S = f"/v1/tenants/{SZ}"
SR = S + "/provider-registrations"
ADMIN, OFFICER, APPROVER = "tenant_admin", "civil_affairs_officer", "civil_affairs_approver"
NEW_USER = {"login": unique_email("cross"), "display_name": "越权", "password": PASSWORD}
GRANT = {"login": ROLE_LOGINS["expert"], "role": "expert"}
CROSS = [
    ("GET", S + "/tendering-rules", OFFICER, None),
    ("PUT", S + "/tendering-rules", APPROVER, {"open_tender_min_days": 30}),
    ("GET", S + "/organisations", OFFICER, None),
    ("POST", S + "/organisations", ADMIN, {"kind": "finance", "name": "越权财政局"}),
    ("GET", S + "/organisations/{organisation}", OFFICER, None),
    ("PATCH", S + "/organisations/{organisation}", ADMIN, {"name": "越权改名"}),
    ("GET", S + "/memberships", ADMIN, None),
    ("POST", S + "/memberships", ADMIN, GRANT),
    ("DELETE", S + "/memberships/{membership}", ADMIN, None),
    ("POST", S + "/users", ADMIN, NEW_USER),
    ("GET", S + "/audit", ADMIN, None),
    ("GET", SR, OFFICER, None),
    ("GET", SR + "/{sunshine_registration}", OFFICER, None),
    ("POST", SR + "/{pending_registration}/approve", APPROVER, {}),
    ("POST", SR + "/{pending_registration}/reject", APPROVER, {}),
]


@pytest.mark.parametrize(
    ("method", "path", "who", "body"), CROSS, ids=[f"{c[0]} {c[1]}-{c[2]}" for c in CROSS]
)
async def test_a_guangzhou_user_is_refused_in_shenzhen(
    client: Client,
    login: Login,
    sz: ShenzhenIds,
    method: str,
    path: str,
    who: str,
    body: dict[str, Any] | None,
) -> None:
    """Each user below is entitled to the route in 广州; in 深圳 they hold no role at all."""
    url = path.format(**vars(sz))
    response = await client.request(method, url, headers=await login(ROLE_LOGINS[who]), json=body)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "forbidden"


# --- a provider sees its own provider's rows only ----------------------------------------------

PROVIDERS = {
    "sunshine": (SUNSHINE_USCC, "admin@sunshine.demo.org.cn", "staff@sunshine.demo.org.cn"),
    "pengcheng": (PENGCHENG_USCC, "admin@pengcheng.demo.org.cn", "staff@pengcheng.demo.org.cn"),
}
PROVIDER_USERS = [
    (name, who) for name, (_, admin, staff) in PROVIDERS.items() for who in (admin, staff)
]


async def _provider_id(admin_db: asyncpg.Connection, name: str) -> str:
    return str(
        await admin_db.fetchval("SELECT id FROM providers WHERE uscc = $1", PROVIDERS[name][0])
    )


@pytest.mark.parametrize(("provider", "who"), PROVIDER_USERS, ids=[w for _, w in PROVIDER_USERS])
async def test_provider_lists_only_its_own_registration_in_a_city(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sz: ShenzhenIds,  # a pending registration of another provider exists in 深圳 too
    provider: str,
    who: str,
) -> None:
    headers = await login(who)
    uscc_code = PROVIDERS[provider][0]
    for city in (GZ, SZ):
        items = await all_pages(client, f"/v1/tenants/{city}/provider-registrations", headers)
        assert [item["id"] for item in items] == [await registration_id(admin_db, city, uscc_code)]
        assert items[0]["provider_id"] == await _provider_id(admin_db, provider)


@pytest.mark.parametrize(("provider", "who"), PROVIDER_USERS, ids=[w for _, w in PROVIDER_USERS])
async def test_provider_cannot_read_another_providers_registration(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    provider: str,
    who: str,
) -> None:
    other = PROVIDERS["pengcheng" if provider == "sunshine" else "sunshine"][0]
    other_registration = await registration_id(admin_db, GZ, other)
    headers = await login(who)
    path = f"/v1/tenants/{GZ}/provider-registrations/"
    theirs = await client.get(path + other_registration, headers=headers)
    missing = await client.get(path + str(uuid.uuid4()), headers=headers)
    assert theirs.status_code == 404, theirs.text
    assert answer(theirs) == answer(missing)


async def test_provider_cannot_read_its_own_registration_through_another_city(
    client: Client, login: Login, sz: ShenzhenIds
) -> None:
    """阳光's 深圳 registration is its own, but not 广州's: the path's tenant decides."""
    headers = await login(PROVIDERS["sunshine"][1])
    path = f"/v1/tenants/{GZ}/provider-registrations/"
    own_elsewhere = await client.get(path + sz.sunshine_registration, headers=headers)
    missing = await client.get(path + str(uuid.uuid4()), headers=headers)
    assert own_elsewhere.status_code == 404, own_elsewhere.text
    assert answer(own_elsewhere) == answer(missing)


@pytest.mark.parametrize(("provider", "who"), PROVIDER_USERS, ids=[w for _, w in PROVIDER_USERS])
async def test_my_registrations_shows_both_cities_and_nothing_else(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    provider: str,
    who: str,
) -> None:
    response = await client.get("/v1/me/registrations", headers=await login(who))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    uscc_code = PROVIDERS[provider][0]
    assert {item["tenant_id"] for item in items} == {GZ, SZ}
    assert {item["provider_id"] for item in items} == {await _provider_id(admin_db, provider)}
    assert {item["id"] for item in items} == {
        await registration_id(admin_db, GZ, uscc_code),
        await registration_id(admin_db, SZ, uscc_code),
    }
