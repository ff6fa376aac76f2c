"""Evidence (证据材料) attaches to a disqualification: the region's civil affairs keeps it.

A provider cannot attach to (or learn of) another region's or its own record this way: for
anyone but civil affairs the object does not exist.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import repository
from services.documents.service import register_object_type
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.errors import NotFound
from services.kit.objects import ObjectType
from services.tenancy import service as tenancy

CIVIL_AFFAIRS = frozenset({Role.civil_affairs_officer, Role.civil_affairs_approver})


async def _disqualification(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    if actor.user_id is None or actor.provider_id is not None:
        raise NotFound()
    if await repository.get(session, actor.tenant, object_id) is None:
        raise NotFound()
    if not (await tenancy.roles_in(session, actor.tenant, actor.user_id)) & CIVIL_AFFAIRS:
        raise NotFound()
    return None


register_object_type(ObjectType.disqualification, owner=_disqualification)
