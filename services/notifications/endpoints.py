"""The webhook endpoints a region registers, and their deliveries. No function here commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.settings import Settings
from services.notifications import repository, templates, webhooks
from services.notifications.errors import (
    EventTypeInvalid,
    WebhookLimitReached,
    WebhookNotFound,
)
from services.notifications.models import (
    NotificationDelivery,
    WebhookEndpoint,
)

MAX_WEBHOOKS_PER_TENANT = 20


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
