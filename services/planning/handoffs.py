"""Whom planning tells at each hand-off: the holders of a role in the region of the step."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.notifications import service as notifications
from services.notifications.service import EventType
from services.tenancy import service as tenancy

CIVIL_AFFAIRS = (Role.civil_affairs_officer, Role.civil_affairs_approver)
FINANCE = (Role.finance_officer, Role.finance_approver)


async def notify_holders(
    session: AsyncSession,
    actor: Actor,
    event: EventType,
    roles: Iterable[Role],
    context: dict[str, Any],
    organisation_id: uuid.UUID | None = None,
) -> None:
    """Tell everyone holding one of ``roles`` in the actor's region (in one organisation,
    if named) about ``event``."""
    await notifications.notify(
        session,
        actor,
        event_type=event.name,
        recipients=await tenancy.holders(session, actor.tenant, roles, organisation_id),
        context=context,
        tenant=actor.tenant,
    )
