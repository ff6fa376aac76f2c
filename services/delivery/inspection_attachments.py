"""Documents on inspections and rectifications. An inspection's evidence is a government
object's: the region's government users attach it, no provider. A rectification belongs to
the provider ordered to act: that provider attaches what it did, to its own ones only."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import rectifications
from services.delivery.inspection_models import Inspection
from services.documents.service import register_object_type
from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.kit.objects import ObjectType


async def _inspection_owner(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    found = await session.scalar(
        select(Inspection.id).where(
            Inspection.tenant_id == actor.tenant, Inspection.id == object_id
        )
    )
    if found is None:
        raise NotFound()
    return None  # a government object: no provider may attach to it


async def _rectification_owner(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    return (await rectifications.get(session, actor.tenant, object_id)).provider_id


register_object_type(ObjectType.inspection, owner=_inspection_owner)
register_object_type(ObjectType.rectification, owner=_rectification_owner)
