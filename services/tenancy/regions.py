"""Tenants (regions by GB/T 2260 code), their organisations and role memberships.

None of these functions commits (the request or job does).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import service as identity
from services.kit.audit import Actor, record
from services.kit.authz.roles import GRANTABLE_BY_TENANT_ADMIN, TENANT_ROLES, Role
from services.kit.errors import InvalidField, NotFound
from services.kit.unique import add_unique
from services.notifications import service as notifications
from services.tenancy import repository
from services.tenancy.codes import (
    Level,
    check_division_code,
    division_level,
    parent_candidates,
)
from services.tenancy.errors import (
    MembershipExists,
    ParentTenantMissing,
    RoleNotGrantable,
    TenantExists,
)
from services.tenancy.models import (
    Membership,
    Organisation,
    Tenant,
)
from services.tenancy.schemas import OrganisationKind


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


TENANT_FIELDS = ("code", "name", "level", "parent_code", "active")
ORGANISATION_FIELDS = ("kind", "sector", "name", "active")


# --- tenants ---------------------------------------------------------------------------------


async def create_tenant(session: AsyncSession, actor: Actor, code: str, name: str) -> Tenant:
    check_division_code(code)
    if await session.get(Tenant, code) is not None:
        raise TenantExists(f"Tenant {code} exists already.", field="code")
    parent_code = None
    for candidate in parent_candidates(code):
        if await session.get(Tenant, candidate) is not None:
            parent_code = candidate
            break
    level = division_level(code)
    if level is not Level.province and parent_code is None:
        raise ParentTenantMissing(
            f"Create the province {code[:2]}0000 (or the city) before {code}.", field="code"
        )
    tenant = Tenant(code=code, name=name, level=level.value, parent_code=parent_code, active=True)
    session.add(tenant)
    await session.flush()
    await record(
        session, actor, "tenant.created", "tenant", code, after=snapshot(tenant, *TENANT_FIELDS)
    )
    return tenant


async def get_tenant(session: AsyncSession, code: str) -> Tenant:
    tenant = await session.get(Tenant, code)
    if tenant is None:
        raise NotFound("No such tenant.")
    return tenant


async def set_tenant_active(session: AsyncSession, actor: Actor, code: str, active: bool) -> Tenant:
    tenant = await session.get(Tenant, code, with_for_update=True)
    if tenant is None:
        raise NotFound("No such tenant.")
    before = snapshot(tenant, *TENANT_FIELDS)
    tenant.active = active
    tenant.deactivated_at = None if active else datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "tenant.activated" if active else "tenant.deactivated",
        "tenant",
        code,
        before=before,
        after=snapshot(tenant, *TENANT_FIELDS),
    )
    return tenant


# --- organisations ---------------------------------------------------------------------------


async def create_organisation(
    session: AsyncSession, actor: Actor, kind: OrganisationKind, name: str, sector: str | None
) -> Organisation:
    if kind is OrganisationKind.partner_department and sector is None:
        raise InvalidField("is required for a partner department", field="sector")
    if kind is not OrganisationKind.partner_department and sector is not None:
        raise InvalidField("applies to partner departments only", field="sector")
    organisation = Organisation(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        kind=kind.value,
        name=name,
        sector=sector,
        active=True,
    )
    await add_unique(
        session, organisation, InvalidField("is used by another organisation here", field="name")
    )
    await record(
        session,
        actor,
        "organisation.created",
        "organisation",
        organisation.id,
        after=snapshot(organisation, *ORGANISATION_FIELDS),
    )
    return organisation


async def get_organisation(
    session: AsyncSession, tenant: str, organisation_id: uuid.UUID
) -> Organisation:
    organisation = await repository.get_organisation(session, tenant, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    return organisation


async def update_organisation(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID, changes: dict[str, Any]
) -> Organisation:
    organisation = await get_organisation(session, actor.tenant, organisation_id)
    before = snapshot(organisation, *ORGANISATION_FIELDS)
    if "sector" in changes and organisation.kind != OrganisationKind.partner_department:
        raise InvalidField("applies to partner departments only", field="sector")
    for name, value in changes.items():
        setattr(organisation, name, value)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise InvalidField("is used by another organisation here", field="name") from None
    await record(
        session,
        actor,
        "organisation.updated",
        "organisation",
        organisation.id,
        before=before,
        after=snapshot(organisation, *ORGANISATION_FIELDS),
    )
    return organisation


# --- memberships -----------------------------------------------------------------------------


async def grant_role(
    session: AsyncSession,
    actor: Actor,
    *,
    login: str,
    role: Role,
    organisation_id: uuid.UUID | None,
    by_platform_admin: bool,
) -> Membership:
    allowed = TENANT_ROLES if by_platform_admin else GRANTABLE_BY_TENANT_ADMIN
    if role not in allowed:
        raise RoleNotGrantable(f"'{role}' cannot be granted in a tenant by you.", field="role")
    if role is Role.province_viewer and division_level(actor.tenant) is not Level.province:
        raise RoleNotGrantable("province_viewer is held in a province's tenant.", field="role")
    user = await identity.find_user(session, login)
    if user is None or not user.active:
        raise InvalidField("no active account has this login", field="login")
    if user.provider_id is not None:
        raise RoleNotGrantable("a provider's account cannot hold a government role", field="login")
    if organisation_id is not None:
        await _organisation_in_tenant(session, actor.tenant, organisation_id)
    membership = Membership(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        user_id=user.id,
        role=role.value,
        organisation_id=organisation_id,
        granted_by=actor.user_id,
    )
    await add_unique(
        session,
        membership,
        MembershipExists("The user holds this role here already.", field="role"),
    )
    await record(
        session,
        actor,
        "membership.granted",
        "membership",
        membership.id,
        after={"user_id": user.id, "role": role.value, "organisation_id": organisation_id},
    )
    await notifications.notify(
        session,
        actor,
        event_type="membership.granted",
        recipients=[user.id],
        context={
            "tenant_name": (await get_tenant(session, actor.tenant)).name,
            "role": role.value,
            "membership_id": membership.id,
            "user_id": user.id,
            "organisation_id": organisation_id,
        },
        tenant=actor.tenant,
    )
    return membership


async def _organisation_in_tenant(
    session: AsyncSession, tenant: str, organisation_id: uuid.UUID
) -> None:
    if await repository.get_organisation(session, tenant, organisation_id) is None:
        raise InvalidField("no such organisation in this tenant", field="organisation_id")


async def revoke_role(
    session: AsyncSession, actor: Actor, membership_id: uuid.UUID, by_platform_admin: bool
) -> None:
    membership = await repository.get_membership(session, actor.tenant, membership_id)
    if membership is None:
        raise NotFound("No such membership.")
    allowed = TENANT_ROLES if by_platform_admin else GRANTABLE_BY_TENANT_ADMIN
    if membership.role not in allowed:
        raise RoleNotGrantable(f"'{membership.role}' cannot be revoked by you.", field="role")
    before = snapshot(membership, "user_id", "role", "organisation_id")
    await session.delete(membership)
    await session.flush()
    await record(session, actor, "membership.revoked", "membership", membership_id, before=before)


async def buying_organisation(session: AsyncSession, tenant: str) -> Organisation | None:
    """The region's civil affairs bureau (民政部门), which buys the services: the buyer
    (采购人) that contracts name; the first registered when a region has several."""
    return await session.scalar(
        select(Organisation)
        .where(
            Organisation.tenant_id == tenant,
            Organisation.kind == OrganisationKind.civil_affairs.value,
        )
        .order_by(Organisation.created_at, Organisation.id)
        .limit(1)
    )
