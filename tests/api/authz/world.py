"""The world each cell acts in: demo ids, and makers of throwaway objects, so that no cell
changes shared demo data."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import httpx

from tests.api.authz.expected import (
    CIVIL_AFFAIRS_OFFICER,
    EXPERT,
    MINISTRY_VIEWER,
    PLATFORM_ADMIN,
    PROVIDER_ADMIN,
    TENANT_ADMIN,
)
from tests.support.accounts import open_account
from tests.support.client import Client, Headers, Login
from tests.support.demo import GZ, ROLE_LOGINS, SUNSHINE_USCC, registration_id
from tests.support.documents import pdf
from tests.support.planning import Planner
from tests.support.providers import apply_to, sign_up

PASSWORD = "Matrix2026pass"


@dataclass
class World:
    """Demo ids and makers of throwaway objects, so no cell changes shared demo data."""

    client: Client
    login: Login
    city_codes: Iterator[str]
    gz_civil_affairs_id: str
    sunshine_gz_registration_id: str
    scratch_organisation_id: str
    # On 阳光's 广州 registration: one kept by civil affairs, one by 阳光 itself.
    government_document_id: str
    provider_document_id: str
    # The schema owner's connection, for a cell that needs time to have passed.
    admin_db: asyncpg.Connection | None = None

    def planner(self) -> Planner:
        """广州's planners, who make the planning objects a cell needs."""
        return Planner(self.client, self.login, GZ)

    async def as_role(self, role: str) -> Headers:
        return await self.login(ROLE_LOGINS[role])

    async def fresh_tenant(self, active: bool = True) -> str:
        platform = await self.as_role(PLATFORM_ADMIN)
        code = next(self.city_codes)
        response = await self.client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"矩阵市{code}"}
        )
        assert response.status_code == 201, response.text
        if not active:
            response = await self.client.post(
                f"/v1/platform/tenants/{code}/deactivate", headers=platform
            )
            assert response.status_code == 200, response.text
        return code

    async def fresh_user(self) -> tuple[str, str]:
        """A government account with no role yet: (id, login)."""
        admin = await self.as_role(TENANT_ADMIN)
        return await open_account(
            self.client, admin, PASSWORD, prefix="matrix", display_name="矩阵测试"
        )

    async def fresh_expert(self) -> tuple[str, str]:
        """A new account holding the expert role in 广州: (user id, membership id)."""
        user_id, login = await self.fresh_user()
        response = await self.client.post(
            f"/v1/tenants/{GZ}/memberships",
            headers=await self.as_role(TENANT_ADMIN),
            json={"login": login, "role": EXPERT},
        )
        assert response.status_code == 201, response.text
        return user_id, str(response.json()["id"])

    async def fresh_platform_grant(self) -> str:
        user_id, login = await self.fresh_user()
        response = await self.client.post(
            "/v1/platform/role-grants",
            headers=await self.as_role(PLATFORM_ADMIN),
            json={"login": login, "role": MINISTRY_VIEWER},
        )
        assert response.status_code == 204, response.text
        return user_id

    async def pending_registration(self) -> str:
        """A new provider signs up and applies to 广州; its registration waits for a decision."""
        provider = await sign_up(
            self.client,
            self.login,
            PASSWORD,
            name=f"矩阵社工服务中心{uuid.uuid4().hex[:8]}",
            admin_name="矩阵管理员",
        )
        return await apply_to(self.client, provider.admin, GZ)


async def _own_province(client: Client, platform: Headers) -> str:
    """A province of our own, so the tenants cells create collide with no other test."""
    for prefix in random.sample(range(60, 99), 39):
        code = f"{prefix}0000"
        response = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"矩阵省{prefix}"}
        )
        if response.status_code == 201:
            return code[:2]
    raise AssertionError("no free province code")


async def make_world(client: Client, login: Login, admin_db: asyncpg.Connection) -> World:
    """The demo ids the cells read, and a province of the world's own for the cells that
    create regions."""
    platform = await login(ROLE_LOGINS[PLATFORM_ADMIN])
    province = await _own_province(client, platform)
    civil_affairs = await admin_db.fetchval(
        "SELECT id FROM organisations WHERE tenant_id = $1 AND name = '广州市民政局'", GZ
    )
    sunshine = await registration_id(admin_db, GZ, SUNSHINE_USCC)
    scratch = await client.post(
        f"/v1/tenants/{GZ}/organisations",
        headers=await login(ROLE_LOGINS[TENANT_ADMIN]),
        json={
            "kind": "partner_department",
            "name": f"矩阵改名对象{uuid.uuid4().hex[:8]}",
            "sector": "other",
        },
    )
    assert scratch.status_code == 201, scratch.text
    documents = []
    for role in (CIVIL_AFFAIRS_OFFICER, PROVIDER_ADMIN):
        uploaded = await upload_pdf(client, await login(ROLE_LOGINS[role]), sunshine)
        assert uploaded.status_code == 201, uploaded.text
        documents.append(uploaded.json()["id"])
    return World(
        client=client,
        login=login,
        city_codes=iter([f"{province}{city:02d}00" for city in range(1, 100)]),
        gz_civil_affairs_id=str(civil_affairs),
        sunshine_gz_registration_id=sunshine,
        scratch_organisation_id=scratch.json()["id"],
        government_document_id=documents[0],
        provider_document_id=documents[1],
        admin_db=admin_db,
    )


async def upload_pdf(client: Client, h: Headers, registration: str) -> httpx.Response:
    """A small PDF on a provider registration: the one object type both sides may use."""
    return await client.post(
        f"/v1/tenants/{GZ}/documents",
        headers=h,
        params={
            "object_type": "registration",
            "object_id": registration,
            "filename": "材料.pdf",
        },
        content=pdf(),
    )
