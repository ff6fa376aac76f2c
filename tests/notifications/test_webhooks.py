"""Webhooks end to end: a real receiver (an HTTP server in a thread that checks every signature),
the broker, the relay and a dramatiq worker; management, limits and the regions kept apart.
The tests run in a region of their own, so no other test's events reach this module's receiver."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import dramatiq
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.jobs import outward_retries
from services.kit.settings import Settings
from services.notifications import delivery, endpoints, sending, webhooks
from services.notifications.errors import WebhookUrlRefused
from services.notifications.schemas import DeliveryStatus
from tests.support.accounts import grant, open_account
from tests.support.client import Client, Headers, Login, answer
from tests.support.demo import GZ, ROLE_LOGINS, SZ, city_login
from tests.support.jobs import drain, eventually, relay_all, running_worker
from tests.support.notifications import PASSWORD
from tests.support.webhooks import Hit, Receiver, receiver_verifies, serving_receiver

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with serving_receiver() as state:
        yield state


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
    _, email = await open_account(
        client, platform, PASSWORD, tenant=code, prefix="notify-admin", display_name="通知市管理员"
    )
    await grant(client, platform, code, email, "tenant_admin")
    return Region(code, await login(email, PASSWORD))


async def _account_in(client: Client, region: Region, prefix: str, display_name: str) -> str:
    """A new account of the region, opened by its administrator: its login."""
    _, email = await open_account(
        client, region.admin, PASSWORD, tenant=region.code, prefix=prefix, display_name=display_name
    )
    return email


# --- delivery -------------------------------------------------------------------------------------


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

    email = await _account_in(client, region, "notify-hooked", "挂钩用户")
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
    assert failed["actor_name"] == sending.DELIVER_WEBHOOK

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
    email = await _account_in(client, region, "notify-off", "关闭测试")
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


# --- management -----------------------------------------------------------------------------------


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
    for _ in range(endpoints.MAX_WEBHOOKS_PER_TENANT - existing):
        response = await client.post(base, headers=region.admin, json={**body, "active": False})
        assert response.status_code == 201, response.text
    refused = await client.post(base, headers=region.admin, json=body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "webhook_limit_reached"


# --- isolation: another region's endpoint is no endpoint ------------------------------------------


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
