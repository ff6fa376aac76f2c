"""Documents on contracts: the contract document both sides sign, and what either side
attaches. A contract's provider is its owner: that provider's users attach to their own
contracts only; the region's government users to any of its contracts."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import repository
from services.documents.service import register_object_type
from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.kit.objects import ObjectType


async def _contract_owner(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    contract = await repository.contract(session, actor.tenant, object_id)
    if contract is None:
        raise NotFound()
    return contract.provider_id


register_object_type(ObjectType.contract, owner=_contract_owner)
