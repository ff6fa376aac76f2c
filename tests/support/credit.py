"""Providers and disqualifications made through the API by the roles that make them."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from stdnum.cn import uscc

from services.credit.rules import add_years, today
from tests.support.accounts import unique_email
from tests.support.client import Login
from tests.support.demo import GZ, SZ, city_login

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]
PASSWORD = "Credit2026pass"
DEMO_CITIES = (GZ, SZ)


def fresh_uscc() -> str:
    """A valid 统一社会信用代码 of a 社会服务机构 (type 52), never seen before."""
    body = f"52{GZ}MJ{random.randrange(10**7):07d}"
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True)
class NewProvider:
    id: str
    name: str
    admin_login: str


async def new_provider(
    client: Client,
    login: Login,
    approved_in: tuple[str, ...] = (GZ,),
    pending_in: tuple[str, ...] = (),
) -> NewProvider:
    """A provider signs up, applies to regions, and civil affairs approves where asked (only
    the demo cities have an approver)."""
    admin_login = unique_email("credit-provider")
    name = f"信用测试社工服务中心{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/v1/providers",
        json={
            "uscc": fresh_uscc(),
            "name": name,
            "admin_login": admin_login,
            "admin_name": "信用测试管理员",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    provider_id = response.json()["id"]
    admin = await login(admin_login, PASSWORD)
    for tenant in (*approved_in, *pending_in):
        applied = await client.post(
            f"/v1/tenants/{tenant}/provider-registrations", headers=admin, json={}
        )
        assert applied.status_code == 201, applied.text
        if tenant in approved_in:
            assert tenant in DEMO_CITIES, "only the demo cities have an approver"
            approved = await client.post(
                f"/v1/tenants/{tenant}/provider-registrations/{applied.json()['id']}/approve",
                headers=await login(city_login("civil_affairs_approver", tenant)),
                json={},
            )
            assert approved.status_code == 200, approved.text
    return NewProvider(provider_id, name, admin_login)


def record_body(provider_id: str, scope: str = "province", **changes: Any) -> dict[str, Any]:
    start = today()
    body: dict[str, Any] = {
        "provider_id": provider_id,
        "scope": scope,
        "starts_on": start.isoformat(),
        "ends_on": add_years(start, 2).isoformat(),
        "reason": "提供虚假材料谋取中标（行政处罚决定书穗民罚〔2026〕12号）",
        "legal_basis": "《中华人民共和国政府采购法》第七十七条第一款第（一）项",
    }
    body.update({k: v.isoformat() if isinstance(v, date) else v for k, v in changes.items()})
    return body


async def record(
    client: Client,
    headers: Headers,
    provider_id: str,
    scope: str = "province",
    tenant: str = GZ,
    **changes: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/tenants/{tenant}/disqualifications",
        headers=headers,
        json=record_body(provider_id, scope, **changes),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def decide(
    client: Client,
    headers: Headers,
    disqualification_id: str,
    action: str = "confirm",
    tenant: str = GZ,
    **body: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/tenants/{tenant}/disqualifications/{disqualification_id}/{action}",
        headers=headers,
        json=body,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def confirmed(
    client: Client,
    login: Login,
    provider_id: str,
    scope: str = "province",
    tenant: str = GZ,
    **changes: Any,
) -> dict[str, Any]:
    """Recorded by the city's officer and confirmed by its approver."""
    recorded = await record(
        client,
        await login(city_login("civil_affairs_officer", tenant)),
        provider_id,
        scope,
        tenant,
        **changes,
    )
    return await decide(
        client,
        await login(city_login("civil_affairs_approver", tenant)),
        recorded["id"],
        tenant=tenant,
    )
