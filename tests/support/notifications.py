"""Notifications as the suite makes them happen: accounts that receive them, and their rows."""

from __future__ import annotations

import uuid

import asyncpg

from tests.support.accounts import grant, open_account
from tests.support.client import Client, Headers, Login
from tests.support.demo import GZ, city_login
from tests.support.providers import NewProvider, apply_to, decide_registration

PASSWORD = "Notify2026pass"


async def new_user(client: Client, login: Login, city: str = GZ) -> tuple[str, str, Headers]:
    """An account opened by the city's admin: (id, login, its headers)."""
    admin = await login(city_login("tenant_admin", city))
    user_id, email = await open_account(
        client, admin, PASSWORD, tenant=city, prefix="notify-user", display_name="通知测试用户"
    )
    return user_id, email, await login(email, PASSWORD)


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


async def register_and_decide(
    client: Client, login: Login, provider: NewProvider, city: str, approve: bool, note: str
) -> str:
    """The provider applies to ``city`` and its approver decides, with a note: the
    registration's id."""
    registration_id = await apply_to(client, provider.admin, city)
    approver = await login(city_login("civil_affairs_approver", city))
    decision = "approve" if approve else "reject"
    await decide_registration(client, approver, city, registration_id, decision, note=note)
    return registration_id


async def delivered_sends(admin_db: asyncpg.Connection, delivery_id: uuid.UUID) -> int:
    """How many times the audit chain records a delivery as sent."""
    return int(
        await admin_db.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND object_id = $2"
            " AND action = 'notification_delivery.sent'",
            GZ,
            str(delivery_id),
        )
    )
