"""Documents on tendering's objects: a bid's documents are its provider's (and sealed until
the opening); a tender's documents are the buyer's."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents.schemas import ObjectType
from services.documents.service import register_object_check
from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.tendering.models import Bid, Procurement


async def _bid_owner(session: AsyncSession, actor: Actor, object_id: uuid.UUID) -> uuid.UUID | None:
    owner = await session.scalar(
        select(Bid.provider_id).where(Bid.tenant_id == actor.tenant, Bid.id == object_id)
    )
    if owner is None:
        raise NotFound()
    return owner


async def _tender(session: AsyncSession, actor: Actor, object_id: uuid.UUID) -> uuid.UUID | None:
    found = await session.scalar(
        select(Procurement.id).where(
            Procurement.tenant_id == actor.tenant, Procurement.id == object_id
        )
    )
    if found is None:
        raise NotFound()
    return None


register_object_check(ObjectType.bid, _bid_owner)
register_object_check(ObjectType.tender, _tender)
