"""Sending: ``notify()``, what other contexts call to tell people something.

``notify()`` runs inside the caller's transaction and sends nothing: it writes the inbox rows,
one delivery row per email or webhook to send, and one outbox job per delivery. If the caller's
transaction rolls back, none of it happened; once it commits, the relay hands the jobs to the
workers (``services.notifications.tasks``). No function here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import service as identity
from services.kit.audit import Actor, record
from services.kit.jsonsafe import json_safe
from services.kit.outbox import enqueue
from services.notifications import repository, templates
from services.notifications.errors import (
    UnknownRecipient,
)
from services.notifications.models import (
    Notification,
    NotificationDelivery,
)
from services.notifications.schemas import Channel, DeliveryStatus

QUEUE = "notifications"
DELIVER_EMAIL = "notifications.deliver_email"
DELIVER_WEBHOOK = "notifications.deliver_webhook"
JOB_OF_CHANNEL = {Channel.email: DELIVER_EMAIL, Channel.webhook: DELIVER_WEBHOOK}


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
