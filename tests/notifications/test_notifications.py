"""Notifications end to end: the real SMTP server (aiosmtpd), a real webhook receiver (an HTTP
server in a thread that checks every signature), PostgreSQL, the broker, the relay and a
dramatiq worker.

Events come from real actions — a registration approved in 广州, a role granted — so the
wiring in tenancy is under test too. Webhook tests run in a region of their own, so no other
test's events reach this module's receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import dramatiq
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from stdnum.cn import uscc

from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.jobs import outward_retries, run_once
from services.kit.settings import Settings
from services.notifications import delivery, templates, webhooks
from services.notifications import service as notifications
from services.notifications import tasks as notification_tasks
from services.notifications.errors import ContextIncomplete, UnknownEventType, UnknownRecipient
from services.notifications.schemas import DeliveryStatus
from tests.support.accounts import unique_email
from tests.support.client import Login
from tests.support.demo import GZ, ROLE_LOGINS, SZ, city_login
from tests.support.jobs import drain, eventually, relay_all, running_worker
from tests.support.mail import MailSink
from tests.support.notifications import (
    PASSWORD,
    deliveries_of,
    grant,
    new_user,
    one_email_delivery,
)

pytestmark = pytest.mark.usefixtures("demo")

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]
REQUEST_FIELDS = {"instance", "request_id"}


def answer(response: httpx.Response) -> dict[str, Any]:
    return {k: v for k, v in response.json().items() if k not in REQUEST_FIELDS}


# --- a real webhook receiver -------------------------------------------------------------------


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


def receiver_verifies(secret: str, header: str, body: bytes) -> bool:
    """The receiver's own check, written from the documented scheme (not the platform's code):
    HMAC-SHA256 over "<t>." + body, hex, and a timestamp within five minutes."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in fields or "v1" not in fields or abs(time.time() - int(fields["t"])) > 300:
        return False
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), fields["v1"])


@dataclass
class Receiver:
    """POST /ok/<name> answers 200, /fail/<name> answers 500; every request is kept with
    whether its signature verified against the secret registered for its path."""

    base_url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            secret = state.secrets.get(self.path, "")
            signature = self.headers.get("X-SWS-Signature", "")
            hit = Hit(
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
                bool(secret) and receiver_verifies(secret, signature, body),
            )
            with state.lock:
                state.hits.append(hit)
            status = 200 if self.path.startswith("/ok/") and hit.verified else 500
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# --- the world ---------------------------------------------------------------------------------


def fresh_uscc(city: str = GZ) -> str:
    body = f"52{city}MJ{random.randrange(10**7):07d}"
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True)
class NewProvider:
    id: str
    admin_login: str
    admin: Headers
    name: str


async def new_provider(client: Client, login: Login) -> NewProvider:
    admin_login = unique_email("notify-provider")
    name = f"通知测试社工服务中心{uuid.uuid4().hex[:6]}"
    response = await client.post(
        "/v1/providers",
        json={
            "uscc": fresh_uscc(),
            "name": name,
            "admin_login": admin_login,
            "admin_name": "通知测试管理员",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    return NewProvider(response.json()["id"], admin_login, await login(admin_login, PASSWORD), name)


async def register_and_decide(
    client: Client, login: Login, provider: NewProvider, city: str, approve: bool, note: str
) -> str:
    applied = await client.post(
        f"/v1/tenants/{city}/provider-registrations", headers=provider.admin, json={}
    )
    assert applied.status_code == 201, applied.text
    registration_id = applied.json()["id"]
    decided = await client.post(
        f"/v1/tenants/{city}/provider-registrations/{registration_id}/"
        + ("approve" if approve else "reject"),
        headers=await login(city_login("civil_affairs_approver", city)),
        json={"note": note},
    )
    assert decided.status_code == 200, decided.text
    return str(registration_id)


@dataclass(frozen=True)
class Region:
    code: str
    admin: Headers


@pytest.fixture(scope="module")
async def region(client: Client, login: Login) -> Region:
    """A city of our own with its own administrator: its events reach only our receiver."""
    platform = await login(ROLE_LOGINS["platform_admin"])
    for number in random.sample(range(20, 100), 80):
        code = f"44{number:02d}00"
        created = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"通知市{number}"}
        )
        if created.status_code == 201:
            break
    else:
        raise AssertionError("no free city code under 440000")
    email = unique_email("notify-admin")
    response = await client.post(
        f"/v1/tenants/{code}/users",
        headers=platform,
        json={"login": email, "display_name": "通知市管理员", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    await grant(client, platform, code, email, "tenant_admin")
    return Region(code, await login(email, PASSWORD))


async def deliver_everything(
    sessionmaker: async_sessionmaker[AsyncSession], broker: dramatiq.Broker
) -> None:
    """Relay every committed outbox row and let a real worker run the jobs to the end."""
    with running_worker(broker) as worker:
        await relay_all(sessionmaker, broker)
        await drain(broker, worker)


# --- approving a registration: inbox and one email ---------------------------------------------


async def test_an_approved_provider_is_told_in_its_inbox_and_by_one_email(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    smtp_server: MailSink,
    settings: Settings,
) -> None:
    provider = await new_provider(client, login)
    await register_and_decide(client, login, provider, GZ, True, "材料齐全，准予登记")

    inbox = await client.get("/v1/me/notifications", headers=provider.admin)
    assert inbox.status_code == 200, inbox.text
    [item] = inbox.json()["items"]
    assert item["event_type"] == "provider_registration.approved"
    assert item["tenant_id"] == GZ
    assert item["subject"] == "【广州市】服务机构登记已通过"
    assert provider.name in item["body"] and "材料齐全，准予登记" in item["body"]
    assert item["locale"] == "zh-CN" and item["read_at"] is None
    assert item["data"]["provider_id"] == provider.id

    # Nothing leaves before the worker runs; then exactly one email.
    [row] = await deliveries_of(admin_db, "email", provider.admin_login)
    assert row["status"] == "pending"
    assert smtp_server.to(provider.admin_login) == []
    await deliver_everything(sessionmaker, broker)
    [mail] = smtp_server.to(provider.admin_login)
    assert mail.message["Subject"] == "【广州市】服务机构登记已通过"
    assert mail.message["Message-ID"] == f"<{row['id']}@sws.localhost>"
    assert mail.message["X-SWS-Event-Id"] == item["event_id"]
    assert "材料齐全，准予登记" in mail.text and provider.name in mail.text
    assert "通知设置" in mail.text  # how to switch these emails off

    # The relay sends the job again (its row looked unsent): the job's key absorbs it.
    key = notifications.message_key(row["id"])
    await admin_db.execute("UPDATE outbox SET sent_at = NULL WHERE message_key = $1", key)
    await deliver_everything(sessionmaker, broker)
    assert len(smtp_server.to(provider.admin_login)) == 1

    # The job runs again under another key (as if its own commit was lost after the send):
    # the delivery row, committed as sent, stops a second email.
    ran = await run_once(
        notification_tasks.deliver_email,
        notifications.DELIVER_EMAIL,
        GZ,
        f"{key}:again",
        {"delivery_id": str(row["id"])},
        None,
        sessionmaker,
    )
    assert ran
    assert len(smtp_server.to(provider.admin_login)) == 1
    [row] = await deliveries_of(admin_db, "email", provider.admin_login)
    assert (row["status"], row["attempts"]) == ("sent", 1)
    assert row["sent_at"] is not None
    sent_audits = await admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND object_id = $2"
        " AND action = 'notification_delivery.sent'",
        GZ,
        str(row["id"]),
    )
    assert sent_audits == 1


async def test_a_rejected_provider_is_told_why(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    provider = await new_provider(client, login)
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
    provider = await new_provider(client, login)
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


# --- the at-least-once window, and an attempt in flight ----------------------------------------


async def test_a_crash_between_claim_and_record_resends_with_the_same_message_id(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    smtp_server: MailSink,
    settings: Settings,
) -> None:
    email, row = await one_email_delivery(client, login, admin_db)
    # A worker claimed it long ago and died: whether the server got it is unknown.
    await admin_db.execute(
        "UPDATE notification_deliveries SET status = 'sending', attempts = 1,"
        " claimed_at = now() - interval '1 hour' WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )
    status = await delivery.deliver(sessionmaker, settings, GZ, row["id"])
    assert status is DeliveryStatus.sent
    [mail] = smtp_server.to(email)
    assert mail.message["Message-ID"] == f"<{row['id']}@sws.localhost>"  # receivers dedupe
    assert await delivery.deliver(sessionmaker, settings, GZ, row["id"]) is DeliveryStatus.sent
    assert len(smtp_server.to(email)) == 1
    attempts = await admin_db.fetchval(
        "SELECT attempts FROM notification_deliveries WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )
    assert attempts == 2


async def test_an_attempt_in_flight_is_not_doubled(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp_server: MailSink,
    settings: Settings,
) -> None:
    email, row = await one_email_delivery(client, login, admin_db)
    await admin_db.execute(
        "UPDATE notification_deliveries SET status = 'sending', attempts = 1,"
        " claimed_at = now() WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )
    with pytest.raises(dramatiq.Retry) as retry:
        await delivery.deliver(sessionmaker, settings, GZ, row["id"])
    lease_ms = settings.notification_lease_seconds * 1000
    assert retry.value.delay is not None and 0 < retry.value.delay <= lease_ms + 100
    assert smtp_server.to(email) == []
    # The attempt "in flight" was made up: free the row, or a later worker waits out the lease.
    await admin_db.execute(
        "UPDATE notification_deliveries SET status = 'pending', attempts = 0, claimed_at = NULL"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )


async def test_a_refused_smtp_server_fails_the_attempt_for_a_retry(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    from dataclasses import replace

    from tests.support.network import free_port

    _, row = await one_email_delivery(client, login, admin_db)
    nowhere = replace(settings, smtp_port=free_port())  # nothing listens there
    with pytest.raises(delivery.DeliveryFailed):
        await delivery.deliver(sessionmaker, nowhere, GZ, row["id"])
    failed = await admin_db.fetchrow(
        "SELECT status, attempts, last_error FROM notification_deliveries"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert "SMTP" in failed["last_error"]
    # The retry, with the server back, sends it.
    assert await delivery.deliver(sessionmaker, settings, GZ, row["id"]) is DeliveryStatus.sent


async def test_without_smtp_host_mail_is_written_to_the_mail_directory(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    tmp_path: Any,
) -> None:
    from dataclasses import replace

    email, row = await one_email_delivery(client, login, admin_db)
    local = replace(settings, smtp_host="", mail_dir=str(tmp_path))
    assert await delivery.deliver(sessionmaker, local, GZ, row["id"]) is DeliveryStatus.sent
    written = (tmp_path / f"{row['id']}.eml").read_text()
    assert f"To: {email}" in written and f"Message-ID: <{row['id']}@sws.localhost>" in written


# --- preferences -------------------------------------------------------------------------------


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
    await deliver_everything(sessionmaker, broker)
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


# --- templates: zh-CN, English fallback, mistakes of the caller --------------------------------


def test_messages_are_in_chinese_with_times_in_beijing() -> None:
    message = templates.render(
        "membership.granted", {"tenant_name": "广州市", "role": "civil_affairs_approver"}
    )
    assert message.locale == "zh-CN"
    assert message.subject == "【广州市】您已获授“民政部门审批人”角色"
    opened = templates.render(
        "document.sealed_opened",
        {
            "tenant_name": "广州市",
            "document_title": "投标文件（阳光社工）",
            "opened_at": datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        },
    )
    assert "2026年12月01日 10:00" in opened.body  # 02:00 UTC is 10:00 in Beijing
    english = templates.render(
        "membership.granted", {"tenant_name": "Guangzhou", "role": "expert"}, locale="en"
    )
    assert english.subject == "[Guangzhou] You now hold the role expert reviewer"


@pytest.fixture
def english_only_event() -> Iterator[str]:
    name = "test.english_only"
    templates.register(
        templates.EventType(
            name=name,
            label={templates.EN: "Test event"},
            templates={templates.EN: ("[{tenant_name}] Test {thing}", "Only English: {thing}")},
        )
    )
    yield name
    templates.unregister(name)


async def test_an_event_without_chinese_text_falls_back_to_english(
    client: Client,
    login: Login,
    sessionmaker: async_sessionmaker[AsyncSession],
    english_only_event: str,
) -> None:
    user_id, _, headers = await new_user(client, login)
    async with transaction(sessionmaker, GZ) as session:
        await notifications.notify(
            session,
            Actor(None, GZ, "test-fallback"),
            event_type=english_only_event,
            recipients=[uuid.UUID(user_id)],
            context={"tenant_name": "广州市", "thing": "fallback"},
            tenant=GZ,
        )
    [item] = (await client.get("/v1/me/notifications", headers=headers)).json()["items"]
    assert item["locale"] == "en"
    assert item["subject"] == "[广州市] Test fallback"
    assert item["body"] == "Only English: fallback"


@pytest.mark.parametrize(
    ("event_type", "context", "recipients", "error"),
    [
        ("no.such_event", {"tenant_name": "广州市"}, "user", UnknownEventType),
        ("membership.granted", {"tenant_name": "广州市"}, "user", ContextIncomplete),
        ("membership.granted", {"role": "expert"}, "user", ContextIncomplete),
        (
            "membership.granted",
            {"tenant_name": "广州市", "role": "expert"},
            "nobody",
            UnknownRecipient,
        ),
    ],
    ids=["unknown event type", "missing role", "missing tenant name", "unknown recipient"],
)
async def test_notify_refuses_a_callers_mistake_before_writing_anything(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    event_type: str,
    context: dict[str, Any],
    recipients: str,
    error: type[Exception],
) -> None:
    user_id, _, _ = await new_user(client, login)
    recipient = uuid.UUID(user_id) if recipients == "user" else uuid.uuid4()
    async with sessionmaker() as session, session.begin():
        from services.kit.db import bind_tenant

        await bind_tenant(session, GZ)
        with pytest.raises(error):
            await notifications.notify(
                session,
                Actor(None, GZ, "test-mistake"),
                event_type=event_type,
                recipients=[recipient],
                context=context,
                tenant=GZ,
            )
        await session.rollback()
    assert (
        await admin_db.fetchval(
            "SELECT count(*) FROM notifications WHERE user_id = $1", uuid.UUID(user_id)
        )
        == 0
    )


# --- the inbox across regions ------------------------------------------------------------------


async def test_one_inbox_across_regions_newest_first_with_unread_counts(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    provider = await new_provider(client, login)
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
    provider = await new_provider(client, login)
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
    owner = await new_provider(client, login)
    other = await new_provider(client, login)
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
    provider = await new_provider(client, login)
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


# --- webhooks ----------------------------------------------------------------------------------


async def register_webhook(
    client: Client, region: Region, receiver: Receiver, path: str, *event_types: str
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/tenants/{region.code}/webhooks",
        headers=region.admin,
        json={"url": receiver.base_url + path, "event_types": list(event_types)},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secrets[path] = created["secret"]
    return created


@pytest.fixture
async def cleanup_webhooks(client: Client, region: Region) -> AsyncIterator[None]:
    """Leave the region without endpoints, so a later event goes nowhere."""
    yield
    listed = await client.get(f"/v1/tenants/{region.code}/webhooks", headers=region.admin)
    for endpoint in listed.json()["items"]:
        await client.delete(
            f"/v1/tenants/{region.code}/webhooks/{endpoint['id']}", headers=region.admin
        )


@pytest.mark.usefixtures("cleanup_webhooks")
async def test_webhooks_are_signed_delivered_and_a_failing_one_is_retried_to_dead_letters(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    receiver: Receiver,
    region: Region,
    settings: Settings,
) -> None:
    ok_path, fail_path = f"/ok/{uuid.uuid4().hex}", f"/fail/{uuid.uuid4().hex}"
    good = await register_webhook(client, region, receiver, ok_path, "membership.granted")
    bad = await register_webhook(client, region, receiver, fail_path, "membership.granted")
    # Subscribed to another event type: gets nothing.
    quiet_path = f"/ok/{uuid.uuid4().hex}"
    await register_webhook(client, region, receiver, quiet_path, "document.sealed_opened")

    email = unique_email("notify-hooked")
    created = await client.post(
        f"/v1/tenants/{region.code}/users",
        headers=region.admin,
        json={"login": email, "display_name": "挂钩用户", "password": PASSWORD},
    )
    assert created.status_code == 201, created.text
    membership = (await grant(client, region.admin, region.code, email, "finance_officer")).json()
    assert receiver.at(ok_path) == []  # nothing before the worker

    with running_worker(broker) as worker:
        await relay_all(sessionmaker, broker)
        [hit] = await eventually(lambda: _hits(receiver, ok_path))
        failed = await eventually(lambda: _dead_letter_of(admin_db, region.code, bad["id"]))
        await drain(broker, worker)

    assert hit.verified
    assert hit.headers["x-sws-event-type"] == "membership.granted"
    assert hit.headers["content-type"].startswith("application/json")
    event = hit.json
    assert event["id"] == hit.headers["x-sws-event-id"]
    assert event["type"] == "membership.granted" and event["tenant"] == region.code
    assert event["data"]["membership_id"] == membership["id"]
    assert event["data"]["role"] == "finance_officer"
    assert receiver.at(quiet_path) == []
    # The receiver's own check refuses a tampered body or a wrong secret.
    signature = hit.headers["x-sws-signature"]
    assert not receiver_verifies(receiver.secrets[ok_path], signature, hit.body + b" ")
    assert not receiver_verifies("whsec_wrong", signature, hit.body)
    assert webhooks.verify(receiver.secrets[ok_path], signature, hit.body)

    # The failing endpoint: the first try and every retry, the same event each time.
    attempts = receiver.at(fail_path)
    tries = outward_retries(settings).max_retries + 1
    assert len(attempts) == tries
    assert {a.headers["x-sws-event-id"] for a in attempts} == {event["id"]}
    assert all(a.verified for a in attempts)  # it answered 500 although the signature was fine
    assert failed["actor_name"] == notifications.DELIVER_WEBHOOK

    # Its administrator sees what happened to each endpoint.
    listed = await client.get(
        f"/v1/tenants/{region.code}/webhooks/{bad['id']}/deliveries", headers=region.admin
    )
    [bad_delivery] = listed.json()["items"]
    assert bad_delivery["status"] == "failed"
    assert bad_delivery["attempts"] == tries
    assert bad_delivery["response_status"] == 500
    assert "HTTP 500" in bad_delivery["last_error"]
    listed = await client.get(
        f"/v1/tenants/{region.code}/webhooks/{good['id']}/deliveries", headers=region.admin
    )
    [good_delivery] = listed.json()["items"]
    assert (good_delivery["status"], good_delivery["attempts"]) == ("sent", 1)
    assert good_delivery["response_status"] == 200


async def _hits(receiver: Receiver, path: str) -> list[Hit]:
    return receiver.at(path)


async def _dead_letter_of(
    admin_db: asyncpg.Connection, tenant: str, endpoint_id: str
) -> asyncpg.Record | None:
    return await admin_db.fetchrow(
        "SELECT l.* FROM dead_letters l JOIN notification_deliveries d"
        " ON l.message_key = 'notification-delivery:' || d.id::text"
        " WHERE d.tenant_id = $1 AND d.endpoint_id = $2",
        tenant,
        uuid.UUID(endpoint_id),
    )


@pytest.mark.usefixtures("cleanup_webhooks")
async def test_a_switched_off_endpoint_gets_nothing_queued_for_it(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    receiver: Receiver,
    region: Region,
    settings: Settings,
) -> None:
    path = f"/ok/{uuid.uuid4().hex}"
    endpoint = await register_webhook(client, region, receiver, path, "membership.granted")
    email = unique_email("notify-off")
    await client.post(
        f"/v1/tenants/{region.code}/users",
        headers=region.admin,
        json={"login": email, "display_name": "关闭测试", "password": PASSWORD},
    )
    await grant(client, region.admin, region.code, email)
    switched = await client.patch(
        f"/v1/tenants/{region.code}/webhooks/{endpoint['id']}",
        headers=region.admin,
        json={"active": False},
    )
    assert switched.status_code == 200, switched.text
    row_id = await admin_db.fetchval(
        "SELECT id FROM notification_deliveries WHERE tenant_id = $1 AND endpoint_id = $2",
        region.code,
        uuid.UUID(endpoint["id"]),
    )
    status = await delivery.deliver(sessionmaker, settings, region.code, row_id)
    assert status is DeliveryStatus.cancelled
    assert receiver.at(path) == []


async def test_webhook_management_shows_the_secret_once_and_audits_every_change(
    client: Client, admin_db: asyncpg.Connection, region: Region, cleanup_webhooks: None
) -> None:
    base = f"/v1/tenants/{region.code}/webhooks"
    created = await client.post(
        base,
        headers=region.admin,
        json={
            "url": "https://hooks.example.org/sws",
            "event_types": ["provider_registration.approved", "membership.granted"],
            "description": "区政务系统",
        },
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    secret = endpoint["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert endpoint["event_types"] == ["membership.granted", "provider_registration.approved"]

    shown = await client.get(f"{base}/{endpoint['id']}", headers=region.admin)
    assert shown.status_code == 200 and "secret" not in shown.json()
    listed = await client.get(base, headers=region.admin)
    assert endpoint["id"] in {e["id"] for e in listed.json()["items"]}
    assert all("secret" not in e for e in listed.json()["items"])
    stored = await admin_db.fetchval(
        "SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1", uuid.UUID(endpoint["id"])
    )
    assert secret not in stored  # encrypted at rest

    patched = await client.patch(
        f"{base}/{endpoint['id']}",
        headers=region.admin,
        json={"event_types": ["document.sealed_opened"], "description": "改"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["event_types"] == ["document.sealed_opened"]
    rotated = await client.post(f"{base}/{endpoint['id']}/rotate-secret", headers=region.admin)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] not in (secret, None)
    deleted = await client.delete(f"{base}/{endpoint['id']}", headers=region.admin)
    assert deleted.status_code == 204, deleted.text
    gone = await client.get(f"{base}/{endpoint['id']}", headers=region.admin)
    assert gone.status_code == 404

    audit = await admin_db.fetch(
        "SELECT action, before::text AS before, after::text AS after FROM audit_log"
        " WHERE tenant_id = $1 AND object_id = $2 ORDER BY seq",
        region.code,
        endpoint["id"],
    )
    assert [a["action"] for a in audit] == [
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
        "webhook.deleted",
    ]
    everything = " ".join(f"{a['before']} {a['after']}" for a in audit)
    assert secret not in everything and rotated.json()["secret"] not in everything


@pytest.mark.parametrize(
    ("body", "code", "field_name"),
    [
        ({"url": "http://hooks.example.org/x"}, "webhook_url_refused", "url"),
        ({"url": "ftp://127.0.0.1/x"}, "webhook_url_refused", "url"),
        ({"url": "https://user:pw@hooks.example.org/x"}, "webhook_url_refused", "url"),
        ({"url": "not a url"}, "webhook_url_refused", "url"),
        ({"event_types": ["no.such_event"]}, "unknown_event_type", "event_types[0]"),
        ({"event_types": []}, "validation_failed", "event_types"),
    ],
)
async def test_webhook_registration_refuses_bad_input(
    client: Client, region: Region, body: dict[str, Any], code: str, field_name: str
) -> None:
    payload = {"url": "https://hooks.example.org/x", "event_types": ["membership.granted"]}
    payload.update(body)
    response = await client.post(
        f"/v1/tenants/{region.code}/webhooks", headers=region.admin, json=payload
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == field_name


@pytest.mark.parametrize(
    ("url", "production", "allowed"),
    [
        ("https://hooks.example.org/sws", True, True),
        ("https://hooks.example.org:8443/sws?x=1", True, True),
        ("http://hooks.example.org/sws", True, False),
        ("http://127.0.0.1:9000/sws", True, False),
        ("https://127.0.0.1/sws", True, False),
        ("https://10.1.2.3/sws", True, False),
        ("https://localhost/sws", True, False),
        ("http://127.0.0.1:9000/sws", False, True),
        ("http://localhost:9000/sws", False, True),
        ("http://[::1]:9000/sws", False, True),
        ("http://10.1.2.3/sws", False, False),
        ("https://hooks.example.org/sws#frag", False, False),
    ],
)
def test_only_https_in_production_and_loopback_http_outside(
    url: str, production: bool, allowed: bool
) -> None:
    from services.notifications.errors import WebhookUrlRefused

    if allowed:
        assert webhooks.check_url(url, production=production) == url
    else:
        with pytest.raises(WebhookUrlRefused):
            webhooks.check_url(url, production=production)


async def test_a_region_has_at_most_twenty_endpoints(
    client: Client, region: Region, cleanup_webhooks: None
) -> None:
    base = f"/v1/tenants/{region.code}/webhooks"
    body = {"url": "https://hooks.example.org/many", "event_types": ["membership.granted"]}
    existing = len((await client.get(base, headers=region.admin)).json()["items"])
    for _ in range(notifications.MAX_WEBHOOKS_PER_TENANT - existing):
        response = await client.post(base, headers=region.admin, json={**body, "active": False})
        assert response.status_code == 201, response.text
    refused = await client.post(base, headers=region.admin, json=body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "webhook_limit_reached"


# --- isolation: another region's endpoint is no endpoint ---------------------------------------


@pytest.fixture(scope="module")
async def shenzhen_webhook(client: Client, login: Login) -> AsyncIterator[str]:
    admin = await login(city_login("tenant_admin", SZ))
    created = await client.post(
        f"/v1/tenants/{SZ}/webhooks",
        headers=admin,
        json={
            "url": "https://hooks.example.org/shenzhen",
            "event_types": ["membership.granted"],
            "active": False,
        },
    )
    assert created.status_code == 201, created.text
    yield created.json()["id"]
    await client.delete(f"/v1/tenants/{SZ}/webhooks/{created.json()['id']}", headers=admin)


WEBHOOK_ROUTES = [
    ("GET", "", None),
    ("PATCH", "", {"description": "越权"}),
    ("DELETE", "", None),
    ("POST", "/rotate-secret", None),
    ("GET", "/deliveries", None),
]


@pytest.mark.parametrize(
    ("method", "suffix", "body"), WEBHOOK_ROUTES, ids=[f"{m} {s}" for m, s, _ in WEBHOOK_ROUTES]
)
async def test_another_regions_webhook_looks_like_no_webhook(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    shenzhen_webhook: str,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    gz_admin = await login(city_login("tenant_admin"))
    base = f"/v1/tenants/{GZ}/webhooks/"
    foreign = await client.request(
        method, base + shenzhen_webhook + suffix, headers=gz_admin, json=body
    )
    missing = await client.request(
        method, base + str(uuid.uuid4()) + suffix, headers=gz_admin, json=body
    )
    assert foreign.status_code == 404, foreign.text
    assert answer(foreign) == answer(missing)
    # And through 深圳's own path, 广州's administrator holds no role at all.
    cross = await client.request(
        method,
        f"/v1/tenants/{SZ}/webhooks/{shenzhen_webhook}{suffix}",
        headers=gz_admin,
        json=body,
    )
    assert cross.status_code == 403, cross.text
    assert cross.json()["code"] == "forbidden"
    row = await admin_db.fetchrow(
        "SELECT description, secret_encrypted FROM webhook_endpoints WHERE id = $1",
        uuid.UUID(shenzhen_webhook),
    )
    assert row is not None and row["description"] is None


async def test_a_regions_webhook_list_holds_only_its_own(
    client: Client, login: Login, shenzhen_webhook: str
) -> None:
    for city in (GZ, SZ):
        listed = await client.get(
            f"/v1/tenants/{city}/webhooks", headers=await login(city_login("tenant_admin", city))
        )
        assert listed.status_code == 200, listed.text
        assert {e["tenant_id"] for e in listed.json()["items"]} <= {city}
        assert (shenzhen_webhook in {e["id"] for e in listed.json()["items"]}) == (city == SZ)
    sz_create = await client.post(
        f"/v1/tenants/{SZ}/webhooks",
        headers=await login(city_login("tenant_admin")),
        json={"url": "https://hooks.example.org/x", "event_types": ["membership.granted"]},
    )
    assert sz_create.status_code == 403
