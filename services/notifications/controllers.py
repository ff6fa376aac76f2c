"""HTTP routes of the notifications context.

``/v1/me/notifications…`` and ``/v1/me/notification-preferences`` are the signed-in user's
own, across every region (any signed-in user). ``/v1/tenants/{tenant}/webhooks…`` belong to a
region's administrator.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.kit.settings import Settings
from services.kit.types import TenantQuery
from services.notifications import endpoints, inbox
from services.notifications.models import Notification, NotificationDelivery, WebhookEndpoint
from services.notifications.schemas import (
    DeliveryOut,
    DeliveryStatus,
    MarkedOut,
    NotificationOut,
    PreferenceOut,
    PreferencesOut,
    PreferencesUpdate,
    UnreadCountOut,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecret,
)


def notification_out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        tenant_id=n.tenant_id,
        event_id=n.event_id,
        event_type=n.event_type,
        subject=n.subject,
        body=n.body,
        locale=n.locale,
        data=n.data,
        created_at=n.created_at,
        read_at=n.read_at,
    )


def preferences_out(items: list[inbox.Preference]) -> PreferencesOut:
    return PreferencesOut(
        items=[
            PreferenceOut(
                event_type=p.event_type,
                label=p.label,
                inbox=p.inbox,
                email=p.email,
                email_default=p.email_default,
            )
            for p in items
        ]
    )


def webhook_out(endpoint: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        tenant_id=endpoint.tenant_id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        active=endpoint.active,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def webhook_with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookWithSecret:
    out = webhook_out(endpoint)
    return WebhookWithSecret(
        id=out.id,
        tenant_id=out.tenant_id,
        url=out.url,
        description=out.description,
        event_types=out.event_types,
        active=out.active,
        created_at=out.created_at,
        updated_at=out.updated_at,
        secret=secret,
    )


def delivery_out(d: NotificationDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        event_id=d.event_id,
        event_type=d.event_type,
        url=d.address,
        status=DeliveryStatus(d.status),
        attempts=d.attempts,
        response_status=d.response_status,
        last_error=d.last_error,
        created_at=d.created_at,
        sent_at=d.sent_at,
    )


class InboxController(Controller):
    path = "/v1/me"
    tags = ["notifications"]

    @get("/notifications", opt={"authenticated": True})
    async def list_notifications(
        self,
        session: Session,
        actor: CurrentActor,
        unread: FromQuery[bool] = False,
        tenant: TenantQuery = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[NotificationOut]:
        """Your notifications from every region, newest first; ``unread=true`` for the
        unread ones only, ``tenant=<code>`` for one region's."""
        rows = await inbox.list_inbox(
            session, actor, unread_only=unread, tenant=tenant, limit=limit, offset=offset
        )
        return Page(items=[notification_out(n) for n in rows], limit=limit, offset=offset)

    @get("/notifications/unread-count", opt={"authenticated": True})
    async def unread_count(self, session: Session, actor: CurrentActor) -> UnreadCountOut:
        """How many of your notifications are unread, in all and by region."""
        by_tenant = await inbox.unread_count(session, actor)
        return UnreadCountOut(unread=sum(by_tenant.values()), by_tenant=by_tenant)

    @post(
        "/notifications/{notification_id:uuid}/read",
        opt={"authenticated": True},
        status_code=HTTP_200_OK,
    )
    async def mark_read(
        self, session: Session, actor: CurrentActor, notification_id: FromPath[uuid.UUID]
    ) -> NotificationOut:
        """Mark one of your notifications read (again is harmless)."""
        return notification_out(await inbox.mark_read(session, actor, notification_id))

    @post("/notifications/read-all", opt={"authenticated": True}, status_code=HTTP_200_OK)
    async def mark_all_read(
        self, session: Session, actor: CurrentActor, tenant: TenantQuery = None
    ) -> MarkedOut:
        """Mark all your unread notifications read, or one region's (``tenant=<code>``)."""
        return MarkedOut(marked=await inbox.mark_all_read(session, actor, tenant))

    @get("/notification-preferences", opt={"authenticated": True})
    async def get_preferences(self, session: Session, actor: CurrentActor) -> PreferencesOut:
        """For each event type: the inbox (always on) and whether you get an email."""
        if actor.user_id is None:
            raise NotFound()
        return preferences_out(await inbox.preferences(session, actor.user_id))

    @put("/notification-preferences", opt={"authenticated": True})
    async def put_preferences(
        self, session: Session, actor: CurrentActor, data: JSONBody[PreferencesUpdate]
    ) -> PreferencesOut:
        """Switch email on or off per event type; event types not listed keep their setting."""
        return preferences_out(await inbox.update_preferences(session, actor, data.items))


class WebhookController(Controller):
    path = f"{TENANT_PATH}/webhooks"
    tags = ["notifications"]

    @get("/", opt={"permission": "webhook:manage"})
    async def list_webhooks(
        self,
        session: Session,
        actor: CurrentActor,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[WebhookOut]:
        """This region's webhook endpoints (never their secrets)."""
        rows = await endpoints.list_webhooks(session, actor.tenant, limit, offset)
        return Page(items=[webhook_out(e) for e in rows], limit=limit, offset=offset)

    @post("/", opt={"permission": "webhook:manage"})
    async def create_webhook(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        data: JSONBody[WebhookCreate],
    ) -> WebhookWithSecret:
        """Register an endpoint for some event types. The signing secret is in this answer
        and never shown again: store it now (or rotate it later)."""
        settings: Settings = request.app.state.settings
        endpoint, secret = await endpoints.create_webhook(
            session,
            settings,
            actor,
            url=data.url,
            event_types=data.event_types,
            description=data.description,
            active=data.active,
        )
        return webhook_with_secret(endpoint, secret)

    @get("/{webhook_id:uuid}", opt={"permission": "webhook:manage"})
    async def get_webhook(
        self, session: Session, actor: CurrentActor, webhook_id: FromPath[uuid.UUID]
    ) -> WebhookOut:
        return webhook_out(await endpoints.get_webhook(session, actor.tenant, webhook_id))

    @patch("/{webhook_id:uuid}", opt={"permission": "webhook:manage"})
    async def update_webhook(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        webhook_id: FromPath[uuid.UUID],
        data: JSONBody[WebhookUpdate],
    ) -> WebhookOut:
        settings: Settings = request.app.state.settings
        changes = {
            name: getattr(data, name)
            for name in ("url", "event_types", "description", "active")
            if getattr(data, name) is not None
        }
        return webhook_out(
            await endpoints.update_webhook(session, settings, actor, webhook_id, changes)
        )

    @delete("/{webhook_id:uuid}", opt={"permission": "webhook:manage"})
    async def delete_webhook(
        self, session: Session, actor: CurrentActor, webhook_id: FromPath[uuid.UUID]
    ) -> None:
        await endpoints.delete_webhook(session, actor, webhook_id)

    @post(
        "/{webhook_id:uuid}/rotate-secret",
        opt={"permission": "webhook:manage"},
        status_code=HTTP_200_OK,
    )
    async def rotate_secret(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        webhook_id: FromPath[uuid.UUID],
    ) -> WebhookWithSecret:
        """A new signing secret, shown once; deliveries from now on are signed with it."""
        settings: Settings = request.app.state.settings
        endpoint, secret = await endpoints.rotate_secret(session, settings, actor, webhook_id)
        return webhook_with_secret(endpoint, secret)

    @get("/{webhook_id:uuid}/deliveries", opt={"permission": "webhook:manage"})
    async def list_deliveries(
        self,
        session: Session,
        actor: CurrentActor,
        webhook_id: FromPath[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[DeliveryOut]:
        """Recent deliveries to the endpoint, newest first: status, attempts, last error."""
        rows = await endpoints.list_deliveries(session, actor.tenant, webhook_id, limit, offset)
        return Page(items=[delivery_out(d) for d in rows], limit=limit, offset=offset)
