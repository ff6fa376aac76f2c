"""Disqualifications made through the API by the roles that make them, of providers made for
the purpose."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.credit.rules import add_years, today
from tests.support.client import Client, Headers, Login, json_of
from tests.support.demo import GZ, SZ, city_login
from tests.support.providers import NewProvider, apply_to, decide_registration, sign_up

PASSWORD = "Credit2026pass"
DEMO_CITIES = (GZ, SZ)


async def new_provider(
    client: Client,
    login: Login,
    approved_in: tuple[str, ...] = (GZ,),
    pending_in: tuple[str, ...] = (),
) -> NewProvider:
    """A provider signs up, applies to regions, and civil affairs approves where asked (only
    the demo cities have an approver)."""
    provider = await sign_up(
        client,
        login,
        PASSWORD,
        name=f"信用测试社工服务中心{uuid.uuid4().hex[:8]}",
        admin_name="信用测试管理员",
        prefix="credit-provider",
    )
    for tenant in (*approved_in, *pending_in):
        registration_id = await apply_to(client, provider.admin, tenant)
        if tenant in approved_in:
            assert tenant in DEMO_CITIES, "only the demo cities have an approver"
            approver = await login(city_login("civil_affairs_approver", tenant))
            await decide_registration(client, approver, tenant, registration_id)
    return provider


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
    return json_of(response, 201)


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
    return json_of(response)


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
