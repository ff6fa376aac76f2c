"""Preferences: email switched off per event type (the inbox is always on), and what cannot be."""

from __future__ import annotations

from typing import Any

import asyncpg
import dramatiq
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.accounts import grant
from tests.support.client import Client, Login
from tests.support.demo import GZ, city_login
from tests.support.jobs import relay_and_run
from tests.support.mail import MailSink
from tests.support.notifications import deliveries_of, new_user

pytestmark = pytest.mark.usefixtures("demo")


async def test_switching_email_off_stops_the_email_but_not_the_inbox(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    smtp_server: MailSink,
) -> None:
    user_id, email, headers = await new_user(client, login)
    _, control_email, _ = await new_user(client, login)  # keeps the default: email on

    prefs = await client.get("/v1/me/notification-preferences", headers=headers)
    assert prefs.status_code == 200, prefs.text
    by_type = {p["event_type"]: p for p in prefs.json()["items"]}
    assert set(by_type) >= {
        "provider_registration.approved",
        "provider_registration.rejected",
        "membership.granted",
        "document.sealed_opened",
    }
    assert by_type["membership.granted"] == {
        "event_type": "membership.granted",
        "label": "获授角色",
        "inbox": True,
        "email": True,
        "email_default": True,
    }

    changed = await client.put(
        "/v1/me/notification-preferences",
        headers=headers,
        json={"items": [{"event_type": "membership.granted", "email": False}]},
    )
    assert changed.status_code == 200, changed.text
    after = {p["event_type"]: p["email"] for p in changed.json()["items"]}
    assert after["membership.granted"] is False
    assert after["provider_registration.approved"] is True  # others keep theirs
    audit = await admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant_id = '000000'"
        " AND action = 'notification_preferences.updated' AND object_id = $1",
        user_id,
    )
    assert audit == 1

    admin = await login(city_login("tenant_admin"))
    await grant(client, admin, GZ, email)
    await grant(client, admin, GZ, control_email)
    inbox = (await client.get("/v1/me/notifications", headers=headers)).json()["items"]
    assert [n["event_type"] for n in inbox] == ["membership.granted"]
    assert await deliveries_of(admin_db, "email", email) == []
    await relay_and_run(sessionmaker, broker)
    assert len(smtp_server.to(control_email)) == 1  # the worker did run
    assert smtp_server.to(email) == []


@pytest.mark.parametrize(
    ("item", "code", "field_name"),
    [
        ({"event_type": "membership.granted", "inbox": False}, "inbox_always_on", "items[0].inbox"),
        (
            {"event_type": "no.such_event", "email": False},
            "unknown_event_type",
            "items[0].event_type",
        ),
    ],
)
async def test_preferences_refuse_what_cannot_be(
    client: Client, login: Login, item: dict[str, Any], code: str, field_name: str
) -> None:
    _, _, headers = await new_user(client, login)
    response = await client.put(
        "/v1/me/notification-preferences", headers=headers, json={"items": [item]}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert body["errors"][0]["field"] == field_name
