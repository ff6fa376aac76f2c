"""Who holds a role where: the people to tell, the organisations of a user, a provider's
admins, whether a provider is registered in a region."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import service as identity
from services.kit.authz.roles import Role
from services.tenancy import repository
from services.tenancy.models import (
    Membership,
)
from services.tenancy.schemas import RegistrationStatus

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


async def registered_providers(session: AsyncSession, tenant: str) -> list[uuid.UUID]:
    """Every provider whose registration here is approved (the region's supplier library),
    in id order."""
    rows = await repository.registered_provider_ids(
        session, tenant, RegistrationStatus.approved.value
    )
    return sorted(rows, key=str)


async def provider_admins(session: AsyncSession, provider_id: uuid.UUID) -> list[uuid.UUID]:
    """Whom to tell at a provider: its administrators."""
    return [
        user.id for user in await identity.provider_users(session, provider_id, Role.provider_admin)
    ]
