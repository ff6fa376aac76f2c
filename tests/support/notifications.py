"""Notifications as the suite makes them happen: accounts that receive them, and their rows."""

from __future__ import annotations

import asyncpg
import httpx

from tests.support.accounts import unique_email
from tests.support.client import Client, Headers, Login
from tests.support.demo import GZ, city_login

PASSWORD = "Notify2026pass"


async def new_user(client: Client, login: Login, city: str = GZ) -> tuple[str, str, Headers]:
    """An account opened by the city's admin: (id, login, its headers)."""
    email = unique_email("notify-user")
    response = await client.post(
        f"/v1/tenants/{city}/users",
        headers=await login(city_login("tenant_admin", city)),
        json={"login": email, "display_name": "通知测试用户", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], email, await login(email, PASSWORD)


async def grant(
    client: Client, headers: Headers, city: str, email: str, role: str = "expert"
) -> httpx.Response:
    response = await client.post(
        f"/v1/tenants/{city}/memberships", headers=headers, json={"login": email, "role": role}
    )
    assert response.status_code == 201, response.text
    return response


async def deliveries_of(
    admin_db: asyncpg.Connection, channel: str, address: str
) -> list[asyncpg.Record]:
    return list(
        await admin_db.fetch(
            "SELECT * FROM notification_deliveries WHERE channel = $1 AND address = $2"
            " ORDER BY created_at",
            channel,
            address,
        )
    )


async def one_email_delivery(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> tuple[str, asyncpg.Record]:
    """A new user granted a role in 广州: the one email that tells them, not yet sent."""
    _, email, _ = await new_user(client, login)
    await grant(client, await login(city_login("tenant_admin")), GZ, email)
    [row] = await deliveries_of(admin_db, "email", email)
    return email, row
