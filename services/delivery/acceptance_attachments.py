"""Documents on acceptances: the report (验收书) both sides sign, and what either side attaches.
An acceptance's owner is its contract's provider: that provider's users attach to their own
contracts' acceptances only; the region's government users to any of its acceptances."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import acceptances
from services.documents.service import register_object_type
from services.kit.audit import Actor
from services.kit.objects import ObjectType


async def _acceptance_owner(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    # NotFound for another region's acceptance, or another provider's.
    return (await acceptances.get(session, actor, object_id)).provider_id


register_object_type(ObjectType.acceptance, owner=_acceptance_owner)
