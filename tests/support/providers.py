"""Providers of the suite's own: valid credit codes never seen before, signed up through the API."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from stdnum.cn import uscc

from tests.support.accounts import unique_email
from tests.support.client import Client, Headers, Login
from tests.support.demo import GZ


def fresh_uscc(city: str = GZ, kind: str = "2") -> str:
    """A valid 统一社会信用代码 never seen before: a social organisation (registry 5) of
    ``kind`` — 1 a 社会团体, 2 a 民办非企业单位 (社会服务机构) — registered in ``city``."""
    body = f"5{kind}{city}MJ{random.randrange(10**7):07d}"
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True)
class NewProvider:
    """A provider that signed up through the API, and its administrator's login and headers."""

    id: str
    name: str
    admin_login: str
    admin: Headers


async def sign_up(
    client: Client,
    login: Login,
    password: str,
    *,
    name: str | None = None,
    admin_name: str = "机构管理员",
    prefix: str = "provider",
    city: str = GZ,
    kind: str = "2",
) -> NewProvider:
    """A provider of ``city`` signs up once, for every region, with an administrator of its
    own (``prefix`` starts the administrator's login)."""
    admin_login = unique_email(prefix)
    name = name or f"测试社工服务中心{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/v1/providers",
        json={
            "uscc": fresh_uscc(city, kind),
            "name": name,
            "admin_login": admin_login,
            "admin_name": admin_name,
            "admin_password": password,
        },
    )
    assert response.status_code == 201, response.text
    return NewProvider(response.json()["id"], name, admin_login, await login(admin_login, password))


async def apply_to(client: Client, admin: Headers, tenant: str) -> str:
    """The provider applies to work in a region: its registration's id, pending."""
    applied = await client.post(
        f"/v1/tenants/{tenant}/provider-registrations", headers=admin, json={}
    )
    assert applied.status_code == 201, applied.text
    return str(applied.json()["id"])


async def decide_registration(
    client: Client,
    approver: Headers,
    tenant: str,
    registration_id: str,
    decision: str = "approve",
    **body: str,
) -> None:
    """Civil affairs' approver approves (or rejects) a registration."""
    decided = await client.post(
        f"/v1/tenants/{tenant}/provider-registrations/{registration_id}/{decision}",
        headers=approver,
        json=body,
    )
    assert decided.status_code == 200, decided.text
