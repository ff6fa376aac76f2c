"""The inbox: events from real actions (a registration decided in 广州) reach the right people,
in one inbox across regions, read and marked by its owner only — down to RLS."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from tests.support.accounts import unique_email
from tests.support.client import Client, Login, answer
from tests.support.demo import GZ, ROLE_LOGINS, SZ, city_login
from tests.support.notifications import PASSWORD, register_and_decide
from tests.support.providers import sign_up

pytestmark = pytest.mark.usefixtures("demo")


# --- who is told ----------------------------------------------------------------------------------


async def test_a_rejected_provider_is_told_why(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    provider = await sign_up(client, login, PASSWORD)
    await register_and_decide(client, login, provider, GZ, False, "缺少年检报告")
    [item] = (await client.get("/v1/me/notifications", headers=provider.admin)).json()["items"]
    assert item["event_type"] == "provider_registration.rejected"
    assert item["subject"] == "【广州市】服务机构登记未通过"
    assert "缺少年检报告" in item["body"]
    audit = await admin_db.fetchrow(
        "SELECT after FROM audit_log WHERE tenant_id = $1 AND action = 'notification.created'"
        " AND object_id = $2",
        GZ,
        item["event_id"],
    )
    assert audit is not None
    assert json.loads(audit["after"])["event_type"] == "provider_registration.rejected"


async def test_only_the_providers_administrators_are_notified(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    provider = await sign_up(client, login, PASSWORD)
    staff_login = unique_email("notify-staff")
    added = await client.post(
        "/v1/me/provider/users",
        headers=provider.admin,
        json={"login": staff_login, "display_name": "社工", "password": PASSWORD},
    )
    assert added.status_code == 201, added.text
    await register_and_decide(client, login, provider, GZ, True, "同意")
    staff = await login(staff_login, PASSWORD)
    assert (await client.get("/v1/me/notifications", headers=staff)).json()["items"] == []
    assert len((await client.get("/v1/me/notifications", headers=provider.admin)).json()["items"])


# --- the inbox across regions ---------------------------------------------------------------------


async def test_one_inbox_across_regions_newest_first_with_unread_counts(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    provider = await sign_up(client, login, PASSWORD)
    await register_and_decide(client, login, provider, GZ, True, "广州同意")
    await register_and_decide(client, login, provider, SZ, True, "深圳同意")
    me = provider.admin

    items = (await client.get("/v1/me/notifications", headers=me)).json()["items"]
    assert [(n["tenant_id"], n["subject"]) for n in items] == [
        (SZ, "【深圳市】服务机构登记已通过"),
        (GZ, "【广州市】服务机构登记已通过"),
    ]
    count = (await client.get("/v1/me/notifications/unread-count", headers=me)).json()
    assert count == {"unread": 2, "by_tenant": {GZ: 1, SZ: 1}}

    page = await client.get("/v1/me/notifications", headers=me, params={"limit": 1, "offset": 1})
    assert [n["id"] for n in page.json()["items"]] == [items[1]["id"]]
    only_gz = await client.get("/v1/me/notifications", headers=me, params={"tenant": GZ})
    assert [n["id"] for n in only_gz.json()["items"]] == [items[1]["id"]]

    read = await client.post(f"/v1/me/notifications/{items[1]['id']}/read", headers=me)
    assert read.status_code == 200, read.text
    read_at = read.json()["read_at"]
    assert read_at is not None
    again = await client.post(f"/v1/me/notifications/{items[1]['id']}/read", headers=me)
    assert again.json()["read_at"] == read_at  # reading twice changes nothing
    audits = await admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'notification.read'"
        " AND object_id = $2",
        GZ,
        items[1]["id"],
    )
    assert audits == 1  # in the chain of the region that owns the row

    unread = await client.get("/v1/me/notifications", headers=me, params={"unread": "true"})
    assert [n["id"] for n in unread.json()["items"]] == [items[0]["id"]]
    marked = await client.post("/v1/me/notifications/read-all", headers=me)
    assert marked.status_code == 200, marked.text
    assert marked.json() == {"marked": 1}
    count = (await client.get("/v1/me/notifications/unread-count", headers=me)).json()
    assert count == {"unread": 0, "by_tenant": {}}
    assert (await client.post("/v1/me/notifications/read-all", headers=me)).json() == {"marked": 0}


async def test_mark_all_read_in_one_region_leaves_the_others(client: Client, login: Login) -> None:
    provider = await sign_up(client, login, PASSWORD)
    await register_and_decide(client, login, provider, GZ, True, "同意")
    await register_and_decide(client, login, provider, SZ, True, "同意")
    marked = await client.post(
        "/v1/me/notifications/read-all", headers=provider.admin, params={"tenant": SZ}
    )
    assert marked.json() == {"marked": 1}
    count = await client.get("/v1/me/notifications/unread-count", headers=provider.admin)
    assert count.json() == {"unread": 1, "by_tenant": {GZ: 1}}


async def test_a_user_never_sees_or_marks_another_users_notifications(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    owner = await sign_up(client, login, PASSWORD)
    other = await sign_up(client, login, PASSWORD)
    await register_and_decide(client, login, owner, GZ, True, "同意")
    [theirs] = (await client.get("/v1/me/notifications", headers=owner.admin)).json()["items"]

    for headers in (other.admin, await login(city_login("tenant_admin"))):
        listed = (await client.get("/v1/me/notifications", headers=headers)).json()["items"]
        assert theirs["id"] not in {n["id"] for n in listed}
        foreign = await client.post(f"/v1/me/notifications/{theirs['id']}/read", headers=headers)
        missing = await client.post(f"/v1/me/notifications/{uuid.uuid4()}/read", headers=headers)
        assert foreign.status_code == 404, foreign.text
        assert answer(foreign) == answer(missing)
        await client.post("/v1/me/notifications/read-all", headers=headers)
    read_at = await admin_db.fetchval(
        "SELECT read_at FROM notifications WHERE id = $1", uuid.UUID(theirs["id"])
    )
    assert read_at is None


async def test_rls_opens_only_the_users_own_inbox_rows(
    client: Client, login: Login, admin_db: asyncpg.Connection, app_db: asyncpg.Connection
) -> None:
    """Below the API: the app role, in the platform context with app.user_id named, sees its
    own rows in every region and nothing else; without it, nothing."""
    provider = await sign_up(client, login, PASSWORD)
    await register_and_decide(client, login, provider, GZ, True, "同意")
    await register_and_decide(client, login, provider, SZ, True, "同意")
    user_id = await admin_db.fetchval("SELECT id FROM users WHERE email = $1", provider.admin_login)
    assert await admin_db.fetchval(
        "SELECT count(*) FROM notifications WHERE user_id <> $1", user_id
    )

    async with app_db.transaction():
        await app_db.execute("SELECT set_config('app.tenant_id', '000000', true)")
        assert await app_db.fetchval("SELECT count(*) FROM notifications") == 0
        await app_db.execute("SELECT set_config('app.user_id', $1, true)", str(user_id))
        rows = await app_db.fetch("SELECT tenant_id, user_id FROM notifications")
        assert sorted(r["tenant_id"] for r in rows) == [GZ, SZ]
        assert {r["user_id"] for r in rows} == {user_id}
        # Deliveries and webhooks are not opened by the clause.
        assert await app_db.fetchval("SELECT count(*) FROM notification_deliveries") == 0
        assert await app_db.fetchval("SELECT count(*) FROM webhook_endpoints") == 0
        updated = await app_db.execute(
            "UPDATE notifications SET read_at = now() WHERE user_id <> $1", user_id
        )
        assert updated == "UPDATE 0"
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with app_db.transaction():
            await app_db.execute("SELECT set_config('app.tenant_id', '000000', true)")
            await app_db.execute("SELECT set_config('app.user_id', $1, true)", str(user_id))
            other = await admin_db.fetchval(
                "SELECT id FROM users WHERE email = $1", ROLE_LOGINS["tenant_admin"]
            )
            await app_db.execute(
                "UPDATE notifications SET user_id = $1 WHERE user_id = $2", other, user_id
            )
