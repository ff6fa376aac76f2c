"""Tenants, organisations, role memberships, providers and their registrations.

Other contexts call these functions; none of them commits (the request or job does).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import service as identity
from services.identity.models import User
from services.kit.audit import Actor, record
from services.kit.authz.roles import GRANTABLE_BY_TENANT_ADMIN, TENANT_ROLES, Role
from services.kit.errors import InvalidField, NotFound
from services.kit.settings import Settings
from services.notifications import service as notifications
from services.tenancy import repository
from services.tenancy.codes import (
    Level,
    check_division_code,
    check_uscc,
    division_level,
    parent_candidates,
    provider_kind,
)
from services.tenancy.errors import (
    MembershipExists,
    ParentTenantMissing,
    ProviderExists,
    RegistrationDecided,
    RegistrationExists,
    RoleNotGrantable,
    TenantExists,
)
from services.tenancy.models import (
    Membership,
    Organisation,
    Provider,
    ProviderRegistration,
    Tenant,
)
from services.tenancy.schemas import OrganisationKind, RegistrationStatus


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
    try:
        async with session.begin_nested():
            session.add(organisation)
    except IntegrityError:
        raise InvalidField("is used by another organisation here", field="name") from None
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
    try:
        async with session.begin_nested():
            session.add(membership)
    except IntegrityError:
        raise MembershipExists("The user holds this role here already.", field="role") from None
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


# --- providers -------------------------------------------------------------------------------


async def sign_up_provider(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    *,
    uscc: str,
    name: str,
    admin_login: str,
    admin_name: str,
    admin_password: str,
) -> tuple[Provider, User]:
    code = check_uscc(uscc)
    if await session.scalar(select(Provider).where(Provider.uscc == code)) is not None:
        raise ProviderExists("This 统一社会信用代码 is registered already.", field="uscc")
    provider = Provider(id=uuid.uuid4(), uscc=code, name=name, kind=provider_kind(code).value)
    session.add(provider)
    await session.flush()
    await record(
        session,
        actor,
        "provider.created",
        "provider",
        provider.id,
        after=snapshot(provider, "uscc", "name", "kind"),
    )
    admin = await identity.create_user(
        session,
        settings,
        actor,
        login=admin_login,
        display_name=admin_name,
        password=admin_password,
        provider_id=provider.id,
        provider_role=Role.provider_admin,
        login_field="admin_login",
        password_field="admin_password",
    )
    return provider, admin


async def add_provider_user(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    *,
    login: str,
    display_name: str,
    password: str,
) -> User:
    if actor.provider_id is None:
        raise NotFound("You do not act for a provider.")
    return await identity.create_user(
        session,
        settings,
        actor,
        login=login,
        display_name=display_name,
        password=password,
        provider_id=actor.provider_id,
        provider_role=Role.provider_staff,
    )


async def get_provider(session: AsyncSession, provider_id: uuid.UUID) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound("No such provider.")
    return provider


async def apply_for_registration(
    session: AsyncSession, actor: Actor, note: str | None
) -> tuple[ProviderRegistration, str]:
    if actor.provider_id is None:
        raise NotFound("You do not act for a provider.")
    provider = await get_provider(session, actor.provider_id)
    registration = ProviderRegistration(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        provider_id=provider.id,
        status=RegistrationStatus.pending.value,
        note=note,
    )
    try:
        async with session.begin_nested():
            session.add(registration)
    except IntegrityError:
        raise RegistrationExists("The provider is registered in this tenant already.") from None
    await record(
        session,
        actor,
        "provider_registration.applied",
        "provider_registration",
        registration.id,
        after={"provider_id": provider.id, "status": "pending"},
    )
    return registration, provider.name


async def get_registration(
    session: AsyncSession, actor: Actor, registration_id: uuid.UUID
) -> tuple[ProviderRegistration, str]:
    """A provider's users see only their own provider's registration; others a 404."""
    row = await repository.get_registration(
        session, actor.tenant, registration_id, provider_id=actor.provider_id
    )
    if row is None:
        raise NotFound("No such registration.")
    return row


async def decide_registration(
    session: AsyncSession,
    actor: Actor,
    registration_id: uuid.UUID,
    approve: bool,
    note: str | None,
) -> tuple[ProviderRegistration, str]:
    registration, provider_name = await get_registration(session, actor, registration_id)
    if registration.status != RegistrationStatus.pending:
        raise RegistrationDecided(f"The registration is {registration.status} already.")
    registration.status = (
        RegistrationStatus.approved if approve else RegistrationStatus.rejected
    ).value
    registration.decided_by = actor.user_id
    registration.decided_at = datetime.now(UTC)
    if note is not None:
        registration.note = note
    await session.flush()
    await record(
        session,
        actor,
        f"provider_registration.{registration.status}",
        "provider_registration",
        registration.id,
        before={"status": "pending"},
        after={"status": registration.status, "note": note},
    )
    admins = await identity.provider_users(session, registration.provider_id, Role.provider_admin)
    await notifications.notify(
        session,
        actor,
        event_type=f"provider_registration.{registration.status}",
        recipients=[admin.id for admin in admins],
        context={
            "tenant_name": (await get_tenant(session, actor.tenant)).name,
            "provider_name": provider_name,
            "note": registration.note,
            "registration_id": registration.id,
            "provider_id": registration.provider_id,
        },
        tenant=actor.tenant,
    )
    return registration, provider_name


async def provider_registration_id(
    session: AsyncSession, tenant: str, provider_id: uuid.UUID
) -> uuid.UUID | None:
    """The provider's registration in this tenant (whatever its status), if it applied."""
    rows = await repository.list_registrations(session, tenant, provider_id, None, 1, 0)
    return rows[0][0].id if rows else None


# --- who holds a role ------------------------------------------------------------------------


async def holders(
    session: AsyncSession,
    tenant: str,
    roles: Iterable[Role],
    organisation_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """The users holding any of ``roles`` here (in one organisation, if named): whom to tell
    when work reaches them."""
    query = select(Membership.user_id).where(
        Membership.tenant_id == tenant, Membership.role.in_([role.value for role in roles])
    )
    if organisation_id is not None:
        query = query.where(Membership.organisation_id == organisation_id)
    return list(dict.fromkeys((await session.scalars(query.order_by(Membership.user_id))).all()))


async def organisations_of(
    session: AsyncSession, tenant: str, user_id: uuid.UUID, role: Role
) -> list[uuid.UUID]:
    """The organisations in which ``user_id`` holds ``role`` here."""
    rows = await session.scalars(
        select(Membership.organisation_id).where(
            Membership.tenant_id == tenant,
            Membership.user_id == user_id,
            Membership.role == role.value,
            Membership.organisation_id.is_not(None),
        )
    )
    return [org for org in rows.all() if org is not None]


async def roles_in(session: AsyncSession, tenant: str, user_id: uuid.UUID) -> set[Role]:
    """The roles ``user_id`` holds in ``tenant``."""
    rows = await session.scalars(
        select(Membership.role).where(Membership.tenant_id == tenant, Membership.user_id == user_id)
    )
    return {Role(role) for role in rows.all()}


async def is_registered(session: AsyncSession, tenant: str, provider_id: uuid.UUID) -> bool:
    """Whether the provider's registration here is approved: it may take part."""
    rows = await repository.list_registrations(
        session, tenant, provider_id, RegistrationStatus.approved.value, 1, 0
    )
    return bool(rows)


async def provider_admins(session: AsyncSession, provider_id: uuid.UUID) -> list[uuid.UUID]:
    """Whom to tell at a provider: its administrators."""
    return [
        user.id for user in await identity.provider_users(session, provider_id, Role.provider_admin)
    ]
