"""The province's supplier library through the API: its finance approver (an account the
province's administrator opens, as the demo seeds none) admits providers for a programme area."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.support.accounts import grant, open_account
from tests.support.client import Client, Login, json_of
from tests.support.demo import GD, ROLE_LOGINS

PASSWORD = "Library2026pass"
PROVINCE_ADMIN = "admin@gd.demo.gov.cn"
PLATFORM_ADMIN = ROLE_LOGINS["platform_admin"]
_APPROVERS: dict[str, str] = {}


async def province_approver(client: Client, login: Login, province: str = GD) -> dict[str, str]:
    """Headers of a finance approver of the province (one account a run), opened by its
    administrator (the platform's, for a province the test made)."""
    if province not in _APPROVERS:
        admin = await login(PROVINCE_ADMIN if province == GD else PLATFORM_ADMIN)
        _, account = await open_account(
            client, admin, PASSWORD, tenant=province, prefix="library", display_name="财政审批"
        )
        await grant(client, admin, province, account, role="finance_approver")
        _APPROVERS[province] = account
    return await login(_APPROVERS[province], PASSWORD)


def entry_body(provider_id: str, *categories: str, **changes: Any) -> dict[str, Any]:
    today = date.today()
    body: dict[str, Any] = {
        "provider_id": provider_id,
        "categories": list(categories) or ["special_groups"],
        "admitted_on": (today - timedelta(days=30)).isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
    }
    body.update(changes)
    return body


async def admit(client: Client, login: Login, provider_id: str, *categories: str) -> dict[str, Any]:
    """The province's finance approver admits the provider for ``categories``."""
    made = await client.post(
        f"/v1/tenants/{GD}/supplier-library",
        headers=await province_approver(client, login),
        json=entry_body(provider_id, *categories),
    )
    return json_of(made, 201)
