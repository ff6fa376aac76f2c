"""Notifications: ``notify()`` for other contexts, each user's inbox and preferences, and the
webhook endpoints a region registers.

``notify()`` runs inside the caller's transaction and sends nothing: it writes the inbox rows,
one delivery row per email or webhook to send, and one outbox job per delivery. If the caller's
transaction rolls back, none of it happened; once it commits, the relay hands the jobs to the
workers (``services.notifications.tasks``). No function here commits.

The inbox is a person's, across regions: a provider's administrator sees 广州's and 深圳's
notifications in one list. Inbox rows stay tenant-owned (a region's data, under its RLS
policy); the inbox routes run in the platform context and name the signed-in user with
``app.user_id``, which opens one narrow RLS clause — "your own rows of ``notifications``,
to read and to mark read" — and nothing else (see migration 0004 and ``repository``).
Marking read is audited in the chain of the region that owns the row.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import service as identity
from services.kit.audit import Actor, record
from services.kit.db import bind_tenant
from services.kit.jsonsafe import json_safe
from services.kit.outbox import enqueue
from services.kit.settings import Settings
from services.notifications import repository, templates, webhooks
from services.notifications.errors import (
    EventTypeInvalid,
    InboxAlwaysOn,
    NotificationNotFound,
    UnknownRecipient,
    WebhookLimitReached,
    WebhookNotFound,
)
from services.notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WebhookEndpoint,
)
from services.notifications.schemas import Channel, DeliveryStatus, PreferenceIn

QUEUE = "notifications"
DELIVER_EMAIL = "notifications.deliver_email"
DELIVER_WEBHOOK = "notifications.deliver_webhook"
JOB_OF_CHANNEL = {Channel.email: DELIVER_EMAIL, Channel.webhook: DELIVER_WEBHOOK}
MAX_WEBHOOKS_PER_TENANT = 20


def message_key(delivery_id: uuid.UUID) -> str:
    return f"notification-delivery:{delivery_id}"


@dataclass(frozen=True)
class Notified:
    event_id: uuid.UUID
    notifications: list[Notification]
    deliveries: list[NotificationDelivery]


async def notify(
    session: AsyncSession,
    actor: Actor,
    *,
    event_type: str,
    recipients: Sequence[uuid.UUID],
    context: Mapping[str, Any],
    tenant: str,
) -> Notified:
    """Notify ``recipients`` of an event in ``tenant``, inside the caller's transaction.

    Each recipient gets an inbox row; those whose preferences (or the event type's default)
    say so and who have an email address also get an email; every active webhook endpoint of
    the tenant subscribed to ``event_type`` gets a POST. Emails and POSTs are outbox jobs: they
    leave only after the caller commits. The session must be bound to ``tenant``.

    Raises ``UnknownEventType``, ``ContextIncomplete`` or ``UnknownRecipient`` — mistakes of
    the caller — before writing anything.
    """
    event = templates.event_type(event_type)
    message = templates.render(event_type, context)
    data: dict[str, Any] = json_safe(dict(context))
    user_ids = list(dict.fromkeys(recipients))
    users = {user.id: user for user in await identity.users_by_ids(session, user_ids)}
    unknown = [str(user_id) for user_id in user_ids if user_id not in users]
    if unknown:
        raise UnknownRecipient(f"no account has the id(s) {', '.join(unknown)}")
    emails_wanted = await repository.preferences_of(session, user_ids, Channel.email.value)
    event_id = uuid.uuid4()
    now = datetime.now(UTC)

    notifications: list[Notification] = []
    deliveries: list[NotificationDelivery] = []
    for user_id in user_ids:
        notification = Notification(
            tenant_id=tenant,
            id=uuid.uuid4(),
            user_id=user_id,
            event_id=event_id,
            event_type=event_type,
            subject=message.subject,
            body=message.body,
            locale=message.locale,
            data=data,
            created_at=now,
        )
        notifications.append(notification)
        user = users[user_id]
        if (
            user.email
            and user.active
            and emails_wanted.get((user_id, event_type), event.email_by_default)
        ):
            deliveries.append(
                _delivery(tenant, event_id, event_type, Channel.email, user.email, now)
            )
            deliveries[-1].notification_id = notification.id
    payload = {
        "id": str(event_id),
        "type": event_type,
        "tenant": tenant,
        "created_at": now.isoformat(),
        "data": data,
    }
    for endpoint in await repository.subscribed_endpoints(session, tenant, event_type):
        delivery = _delivery(tenant, event_id, event_type, Channel.webhook, endpoint.url, now)
        delivery.endpoint_id = endpoint.id
        delivery.payload = payload
        deliveries.append(delivery)

    session.add_all(notifications)
    await session.flush()
    session.add_all(deliveries)
    await session.flush()
    in_tenant = Actor(actor.user_id, tenant, actor.request_id, actor.provider_id)
    for delivery in deliveries:
        await enqueue(
            session,
            in_tenant,
            JOB_OF_CHANNEL[Channel(delivery.channel)],
            {"delivery_id": str(delivery.id)},
            queue_name=QUEUE,
            message_key=message_key(delivery.id),
            # Each sends an email or a webhook POST (up to WEBHOOK_TIMEOUT_SECONDS): alone,
            # so one slow receiver does not hold a batch of others, and they go in parallel.
            batchable=False,
        )
    await record(
        session,
        in_tenant,
        "notification.created",
        "notification_event",
        event_id,
        after={
            "event_type": event_type,
            "recipients": [str(user_id) for user_id in user_ids],
            "emails": sum(d.channel == Channel.email for d in deliveries),
            "webhooks": sum(d.channel == Channel.webhook for d in deliveries),
        },
    )
    return Notified(event_id, notifications, deliveries)


def _delivery(
    tenant: str,
    event_id: uuid.UUID,
    event_type: str,
    channel: Channel,
    address: str,
    now: datetime,
) -> NotificationDelivery:
    return NotificationDelivery(
        tenant_id=tenant,
        id=uuid.uuid4(),
        event_id=event_id,
        event_type=event_type,
        channel=channel.value,
        address=address,
        status=DeliveryStatus.pending.value,
        attempts=0,
        created_at=now,
    )


# --- the inbox -------------------------------------------------------------------------------


@asynccontextmanager
async def _in_region(session: AsyncSession, actor: Actor, tenant: str) -> AsyncIterator[Actor]:
    """Act in ``tenant``'s RLS context for a moment (to append to its audit chain), then go
    back to the request's own."""
    await bind_tenant(session, tenant)
    try:
        yield Actor(actor.user_id, tenant, actor.request_id, actor.provider_id)
    finally:
        await bind_tenant(session, actor.tenant, actor.provider_id)


async def list_inbox(
    session: AsyncSession,
    actor: Actor,
    *,
    unread_only: bool,
    tenant: str | None,
    limit: int,
    offset: int,
) -> Sequence[Notification]:
    """The signed-in user's notifications from every region, newest first."""
    user_id = _signed_in(actor)
    await repository.bind_user(session, user_id)
    return await repository.list_inbox(
        session, user_id, unread_only=unread_only, tenant=tenant, limit=limit, offset=offset
    )


async def unread_count(session: AsyncSession, actor: Actor) -> dict[str, int]:
    user_id = _signed_in(actor)
    await repository.bind_user(session, user_id)
    return await repository.unread_by_tenant(session, user_id)


async def mark_read(
    session: AsyncSession, actor: Actor, notification_id: uuid.UUID
) -> Notification:
    """Mark one of the user's own notifications read; someone else's is a 404."""
    user_id = _signed_in(actor)
    await repository.bind_user(session, user_id)
    notification = await repository.find_own(session, user_id, notification_id)
    if notification is None:
        raise NotificationNotFound()
    if notification.read_at is None:
        at = datetime.now(UTC)
        if await repository.mark_read(session, notification, at):
            notification.read_at = at
            async with _in_region(session, actor, notification.tenant_id) as in_region:
                await record(
                    session,
                    in_region,
                    "notification.read",
                    "notification",
                    notification.id,
                    before={"read_at": None},
                    after={"read_at": at},
                )
    return notification


async def mark_all_read(session: AsyncSession, actor: Actor, tenant: str | None) -> int:
    """Mark every unread notification read (of one region, when given); how many."""
    user_id = _signed_in(actor)
    await repository.bind_user(session, user_id)
    unread = await repository.unread_by_tenant(session, user_id)
    regions = [code for code in unread if tenant is None or code == tenant]
    at = datetime.now(UTC)
    marked = await repository.mark_all_read(session, user_id, regions, at)
    for code, count in sorted(marked.items()):
        async with _in_region(session, actor, code) as in_region:
            await record(
                session,
                in_region,
                "notification.all_read",
                "user",
                user_id,
                after={"marked": count, "read_at": at},
            )
    return sum(marked.values())


def _signed_in(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:  # the guard lets no anonymous request reach the inbox
        raise NotificationNotFound()
    return actor.user_id


# --- preferences -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    event_type: str
    label: str
    email: bool
    email_default: bool
    inbox: bool = True


async def preferences(session: AsyncSession, user_id: uuid.UUID) -> list[Preference]:
    """Every event type with the user's choices, defaults where they made none."""
    chosen = await repository.preferences_of(session, [user_id], Channel.email.value)
    return [
        Preference(
            event_type=event.name,
            label=event.label.get(templates.DEFAULT_LOCALE, event.label.get(templates.EN, "")),
            email=chosen.get((user_id, event.name), event.email_by_default),
            email_default=event.email_by_default,
        )
        for event in sorted(templates.CATALOG.values(), key=lambda e: e.name)
    ]


async def update_preferences(
    session: AsyncSession, actor: Actor, items: Iterable[PreferenceIn]
) -> list[Preference]:
    user_id = _signed_in(actor)
    changes: dict[str, bool] = {}
    for index, item in enumerate(items):
        if item.event_type not in templates.CATALOG:
            raise EventTypeInvalid(
                f"no such event type: {item.event_type!r}", field=f"items[{index}].event_type"
            )
        if item.inbox is False:
            raise InboxAlwaysOn(
                "the inbox cannot be switched off; switch email off instead",
                field=f"items[{index}].inbox",
            )
        if item.email is not None:
            changes[item.event_type] = item.email
    current = {p.event_type: p.email for p in await preferences(session, user_id)}
    changed = {k: v for k, v in changes.items() if current[k] != v}
    if changes:
        statement = insert(NotificationPreference).values(
            [
                {
                    "user_id": user_id,
                    "event_type": event_type,
                    "channel": Channel.email.value,
                    "enabled": enabled,
                }
                for event_type, enabled in sorted(changes.items())
            ]
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "event_type", "channel"],
                set_={"enabled": statement.excluded.enabled, "updated_at": func.now()},
            )
        )
    if changed:
        await record(
            session,
            actor,
            "notification_preferences.updated",
            "user",
            user_id,
            before={f"{k}.email": current[k] for k in sorted(changed)},
            after={f"{k}.email": v for k, v in sorted(changed.items())},
        )
    return await preferences(session, user_id)


# --- webhook endpoints -----------------------------------------------------------------------

WEBHOOK_FIELDS = ("url", "description", "event_types", "active")


def _webhook_snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {name: getattr(endpoint, name) for name in WEBHOOK_FIELDS}


def _event_types(names: Sequence[str]) -> list[str]:
    for index, name in enumerate(names):
        if name not in templates.CATALOG:
            raise EventTypeInvalid(f"no such event type: {name!r}", field=f"event_types[{index}]")
    return sorted(set(names))


async def create_webhook(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    active: bool,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; the signing secret is returned here and never again."""
    checked_url = webhooks.check_url(url, production=settings.is_production)
    subscribed = _event_types(event_types)
    # Serialises creations in one region, so the limit holds under concurrent requests.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('webhook_endpoints:' || :t))"),
        {"t": actor.tenant},
    )
    if await repository.count_endpoints(session, actor.tenant) >= MAX_WEBHOOKS_PER_TENANT:
        raise WebhookLimitReached(
            f"A region may register at most {MAX_WEBHOOKS_PER_TENANT} webhook endpoints."
        )
    secret = webhooks.new_secret()
    now = datetime.now(UTC)
    endpoint = WebhookEndpoint(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        url=checked_url,
        description=description,
        event_types=subscribed,
        secret_encrypted=webhooks.encrypt_secret(settings, secret),
        active=active,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    await record(
        session,
        actor,
        "webhook.created",
        "webhook_endpoint",
        endpoint.id,
        after=_webhook_snapshot(endpoint),
    )
    return endpoint, secret


async def list_webhooks(
    session: AsyncSession, tenant: str, limit: int, offset: int
) -> Sequence[WebhookEndpoint]:
    return await repository.list_endpoints(session, tenant, limit, offset)


async def get_webhook(
    session: AsyncSession, tenant: str, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = await repository.get_endpoint(session, tenant, endpoint_id, for_update=for_update)
    if endpoint is None:
        raise WebhookNotFound()
    return endpoint


async def update_webhook(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    endpoint_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> WebhookEndpoint:
    endpoint = await get_webhook(session, actor.tenant, endpoint_id, for_update=True)
    before = _webhook_snapshot(endpoint)
    if "url" in changes:
        endpoint.url = webhooks.check_url(changes["url"], production=settings.is_production)
    if "event_types" in changes:
        endpoint.event_types = _event_types(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "active" in changes:
        endpoint.active = bool(changes["active"])
    after = _webhook_snapshot(endpoint)
    if after != before:
        endpoint.updated_at = datetime.now(UTC)
        await session.flush()
        await record(
            session,
            actor,
            "webhook.updated",
            "webhook_endpoint",
            endpoint.id,
            before=before,
            after=after,
        )
    return endpoint


async def rotate_secret(
    session: AsyncSession, settings: Settings, actor: Actor, endpoint_id: uuid.UUID
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, in force for every delivery attempted from now on."""
    endpoint = await get_webhook(session, actor.tenant, endpoint_id, for_update=True)
    secret = webhooks.new_secret()
    endpoint.secret_encrypted = webhooks.encrypt_secret(settings, secret)
    endpoint.updated_at = datetime.now(UTC)
    await session.flush()
    await record(session, actor, "webhook.secret_rotated", "webhook_endpoint", endpoint.id)
    return endpoint, secret


async def delete_webhook(session: AsyncSession, actor: Actor, endpoint_id: uuid.UUID) -> None:
    """Remove the endpoint and its delivery history; queued deliveries to it are dropped."""
    endpoint = await get_webhook(session, actor.tenant, endpoint_id, for_update=True)
    before = _webhook_snapshot(endpoint)
    await session.delete(endpoint)
    await session.flush()
    await record(session, actor, "webhook.deleted", "webhook_endpoint", endpoint_id, before=before)


async def list_deliveries(
    session: AsyncSession, tenant: str, endpoint_id: uuid.UUID, limit: int, offset: int
) -> Sequence[NotificationDelivery]:
    await get_webhook(session, tenant, endpoint_id)
    return await repository.list_deliveries(session, tenant, endpoint_id, limit, offset)
