"""Roles held on one object (Casbin domain ``<tenant>/<kind>/<id>``), granted and revoked by
the context that owns the object; the authorizer reads them with the memberships."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.authz.roles import OBJECT_ROLES, Role
from services.tenancy.models import ObjectGrant


async def grant_on_object(
    session: AsyncSession,
    actor: Actor,
    *,
    user_id: uuid.UUID,
    role: Role,
    object_kind: str,
    object_id: uuid.UUID,
) -> None:
    """Grants ``role`` on the object in the actor's tenant; granting it twice is a no-op."""
    if role not in OBJECT_ROLES:
        raise ValueError(f"{role} is not held on objects")
    held = await session.scalar(
        select(ObjectGrant.id).where(
            ObjectGrant.tenant_id == actor.tenant,
            ObjectGrant.object_kind == object_kind,
            ObjectGrant.object_id == object_id,
            ObjectGrant.user_id == user_id,
            ObjectGrant.role == role.value,
        )
    )
    if held is not None:
        return
    grant = ObjectGrant(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        user_id=user_id,
        role=role.value,
        object_kind=object_kind,
        object_id=object_id,
        granted_by=actor.user_id,
    )
    session.add(grant)
    await session.flush()
    await record(
        session,
        actor,
        "object_grant.granted",
        object_kind,
        object_id,
        after={"user_id": user_id, "role": role.value},
    )


async def revoke_on_object(
    session: AsyncSession,
    actor: Actor,
    *,
    user_id: uuid.UUID,
    role: Role,
    object_kind: str,
    object_id: uuid.UUID,
) -> bool:
    """Ends the role on the object; False when it was not held."""
    gone = await session.execute(
        delete(ObjectGrant)
        .where(
            ObjectGrant.tenant_id == actor.tenant,
            ObjectGrant.object_kind == object_kind,
            ObjectGrant.object_id == object_id,
            ObjectGrant.user_id == user_id,
            ObjectGrant.role == role.value,
        )
        .returning(ObjectGrant.id)
    )
    if gone.first() is None:
        return False
    await record(
        session,
        actor,
        "object_grant.revoked",
        object_kind,
        object_id,
        before={"user_id": user_id, "role": role.value},
    )
    return True


async def object_grantees(
    session: AsyncSession, tenant: str, object_kind: str, object_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    """(user id, role) of everyone holding a role on the object."""
    rows = await session.execute(
        select(ObjectGrant.user_id, ObjectGrant.role)
        .where(
            ObjectGrant.tenant_id == tenant,
            ObjectGrant.object_kind == object_kind,
            ObjectGrant.object_id == object_id,
        )
        .order_by(ObjectGrant.created_at)
    )
    return [(user_id, role) for user_id, role in rows.all()]
