"""Queries of the notifications context.

Region-side queries (webhooks, deliveries) name their tenant explicitly, on top of RLS.

A user's own inbox spans regions, so its queries run in the platform context with one extra
setting, ``app.user_id`` (see ``bind_user``), that opens exactly one narrow RLS clause: a
user's own rows of ``notifications``. Every index leads with ``tenant_id``, so the inbox is
read region by region — a LATERAL probe of ``(tenant_id, user_id, …)`` per region, which
PostgreSQL answers from the index however large the table grows — and merged.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    String,
    any_,
    column,
    func,
    literal,
    select,
    table,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WebhookEndpoint,
)

# The regions, read by code only: this context links to tenancy by ids, not by its models.
_tenants = table("tenants", column("code", String))
_n = Notification.__table__.c

_BIND_USER = text("SELECT set_config('app.user_id', :u, true)")


async def bind_user(session: AsyncSession, user_id: uuid.UUID | None) -> None:
    """Let this transaction read and mark the user's own inbox rows in every region.

    Only the inbox routes call this; everywhere else ``app.user_id`` is unset and the clause
    matches nothing.
    """
    connection = await session.connection()
    await connection.execute(_BIND_USER, {"u": str(user_id) if user_id else ""})


# --- the inbox -------------------------------------------------------------------------------


async def list_inbox(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    unread_only: bool,
    tenant: str | None,
    limit: int,
    offset: int,
) -> Sequence[Notification]:
    per_region = select(Notification).where(
        Notification.tenant_id == _tenants.c.code, Notification.user_id == user_id
    )
    if unread_only:
        per_region = per_region.where(Notification.read_at.is_(None))
    # A page at ``offset`` takes at most offset + limit rows from any one region.
    newest = (
        per_region.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(offset + limit)
        .lateral("newest")
    )
    row = aliased(Notification, newest)
    query = select(row).select_from(_tenants).join(newest, true())
    if tenant is not None:
        query = query.where(_tenants.c.code == tenant)
    query = query.order_by(row.created_at.desc(), row.id.desc()).limit(limit).offset(offset)
    return (await session.scalars(query)).all()


async def unread_by_tenant(session: AsyncSession, user_id: uuid.UUID) -> dict[str, int]:
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.tenant_id == _tenants.c.code,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .scalar_subquery()
    )
    rows = (await session.execute(select(_tenants.c.code, unread.label("n")))).all()
    return {row.code: int(row.n) for row in rows if row.n}


async def find_own(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    """The user's notification with this id, in whichever region it lives."""
    found = (
        select(Notification.tenant_id)
        .where(
            Notification.tenant_id == _tenants.c.code,
            Notification.id == notification_id,
            Notification.user_id == user_id,
        )
        .lateral("found")
    )
    tenant = await session.scalar(
        select(found.c.tenant_id).select_from(_tenants).join(found, true())
    )
    if tenant is None:
        return None
    return await session.scalar(
        select(Notification).where(
            Notification.tenant_id == tenant,
            Notification.id == notification_id,
            Notification.user_id == user_id,
        )
    )


async def mark_read(session: AsyncSession, notification: Notification, at: datetime) -> bool:
    """True when it was unread."""
    result = await session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == notification.tenant_id,
            Notification.id == notification.id,
            Notification.user_id == notification.user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=at)
        .returning(Notification.id)
    )
    return result.first() is not None


async def mark_all_read(
    session: AsyncSession, user_id: uuid.UUID, tenants: Sequence[str], at: datetime
) -> dict[str, int]:
    """Mark the user's unread rows of these regions read; how many, per region."""
    if not tenants:
        return {}
    rows = (
        await session.execute(
            update(Notification)
            .where(
                Notification.tenant_id.in_(list(tenants)),
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
            )
            .values(read_at=at)
            .returning(Notification.tenant_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    marked: dict[str, int] = {}
    for row in rows:
        marked[row.tenant_id] = marked.get(row.tenant_id, 0) + 1
    return marked


# --- preferences -----------------------------------------------------------------------------


async def preferences_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], channel: str
) -> dict[tuple[uuid.UUID, str], bool]:
    """(user, event type) → enabled, for the choices these users made on one channel."""
    if not user_ids:
        return {}
    rows = await session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.user_id.in_(list(user_ids)),
            NotificationPreference.channel == channel,
        )
    )
    return {(p.user_id, p.event_type): p.enabled for p in rows}


# --- webhooks --------------------------------------------------------------------------------


async def subscribed_endpoints(
    session: AsyncSession, tenant: str, event_type: str
) -> Sequence[WebhookEndpoint]:
    return (
        await session.scalars(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.tenant_id == tenant,
                WebhookEndpoint.active.is_(True),
                literal(event_type) == any_(WebhookEndpoint.event_types),
            )
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    ).all()


async def get_endpoint(
    session: AsyncSession, tenant: str, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.tenant_id == tenant, WebhookEndpoint.id == endpoint_id
    )
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def list_endpoints(
    session: AsyncSession, tenant: str, limit: int, offset: int
) -> Sequence[WebhookEndpoint]:
    return (
        await session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.tenant_id == tenant)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()


async def count_endpoints(session: AsyncSession, tenant: str) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.tenant_id == tenant)
        )
        or 0
    )


async def list_deliveries(
    session: AsyncSession, tenant: str, endpoint_id: uuid.UUID, limit: int, offset: int
) -> Sequence[NotificationDelivery]:
    return (
        await session.scalars(
            select(NotificationDelivery)
            .where(
                NotificationDelivery.tenant_id == tenant,
                NotificationDelivery.endpoint_id == endpoint_id,
            )
            .order_by(NotificationDelivery.created_at.desc(), NotificationDelivery.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
