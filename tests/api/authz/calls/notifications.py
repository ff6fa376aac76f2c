"""Calls of the notifications routes: one's own inbox and preferences, a region's webhooks."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import TENANT_ADMIN, WH, T
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ


async def _fresh_webhook(w: World) -> str:
    """A switched-off endpoint in 广州: later events there are not sent to it."""
    response = await w.client.post(
        f"/v1/tenants/{GZ}/webhooks",
        headers=await w.as_role(TENANT_ADMIN),
        json={
            "url": "https://hooks.example.org/sws",
            "event_types": ["membership.granted"],
            "active": False,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


_shared_webhooks: dict[int, str] = {}


async def _webhook(w: World) -> str:
    """One endpoint for the cells that read or change one (a region has at most 20)."""
    if id(w) not in _shared_webhooks:
        _shared_webhooks[id(w)] = await _fresh_webhook(w)
    return _shared_webhooks[id(w)]


plain("GET /v1/me/notifications")
plain("GET /v1/me/notifications/unread-count")


# The inbox's own paths are tested in tests/notifications/test_inbox.py; here a random id is
# the handler's 404.
@calls("POST /v1/me/notifications/{notification_id}/read", 404)
async def _mark_read(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(f"/v1/me/notifications/{uuid.uuid4()}/read", headers=h)


plain("POST /v1/me/notifications/read-all")
plain("GET /v1/me/notification-preferences")


@calls("PUT /v1/me/notification-preferences")
async def _set_preferences(w: World, h: Headers) -> httpx.Response:
    # Email on is the default for this event type: the demo users' mail is unchanged.
    body = {"items": [{"event_type": "membership.granted", "email": True}]}
    return await w.client.put("/v1/me/notification-preferences", headers=h, json=body)


plain(f"GET {T}/webhooks")


@calls(f"POST {T}/webhooks", 201)
async def _create_webhook(w: World, h: Headers) -> httpx.Response:
    body = {
        "url": "https://hooks.example.org/matrix",
        "event_types": ["provider_registration.approved"],
        "active": False,
    }
    return await w.client.post(f"/v1/tenants/{GZ}/webhooks", headers=h, json=body)


plain(f"GET {WH}", webhook_id=_webhook)


@calls(f"PATCH {WH}")
async def _update_webhook(w: World, h: Headers) -> httpx.Response:
    return await w.client.patch(
        f"/v1/tenants/{GZ}/webhooks/{await _webhook(w)}",
        headers=h,
        json={"description": f"矩阵{uuid.uuid4().hex[:8]}"},
    )


@calls(f"DELETE {WH}", 204)
async def _delete_webhook(w: World, h: Headers) -> httpx.Response:
    webhook_id = await _fresh_webhook(w)
    response = await w.client.delete(f"/v1/tenants/{GZ}/webhooks/{webhook_id}", headers=h)
    if response.status_code != 204:  # refused: do not leave it behind
        await w.client.delete(
            f"/v1/tenants/{GZ}/webhooks/{webhook_id}", headers=await w.as_role(TENANT_ADMIN)
        )
    return response


plain(f"POST {WH}/rotate-secret", webhook_id=_webhook)
plain(f"GET {WH}/deliveries", webhook_id=_webhook)
