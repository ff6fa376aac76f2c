"""Each user's inbox, across regions, and their delivery preferences.

The inbox is a person's, across regions: a provider's administrator sees 广州's and 深圳's
notifications in one list. Inbox rows stay tenant-owned (a region's data, under its RLS
policy); the inbox routes run in the platform context and name the signed-in user with
``app.user_id``, which opens one narrow RLS clause — "your own rows of ``notifications``,
to read and to mark read" — and nothing else (see migration 0004 and ``repository``).
Marking read is audited in the chain of the region that owns the row. No function here
commits.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.db import bind_tenant
from services.notifications import repository, templates
from services.notifications.errors import (
    EventTypeInvalid,
    InboxAlwaysOn,
    NotificationNotFound,
)
from services.notifications.models import (
    Notification,
    NotificationPreference,
)
from services.notifications.schemas import Channel, PreferenceIn

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
