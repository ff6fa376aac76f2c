"""Providers (social organisations, one account across regions), their users and their
registrations in each region.

None of these functions commits (the request or job does).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import service as identity
from services.identity.service import User
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import NotFound
from services.kit.settings import Settings
from services.kit.unique import add_unique
from services.notifications import service as notifications
from services.tenancy import repository
from services.tenancy.codes import (
    check_uscc,
    provider_kind,
)
from services.tenancy.errors import (
    ProviderExists,
    RegistrationDecided,
    RegistrationExists,
)
from services.tenancy.models import (
    Provider,
    ProviderRegistration,
)
from services.tenancy.regions import get_tenant, snapshot
from services.tenancy.schemas import RegistrationStatus

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
    await add_unique(
        session,
        registration,
        RegistrationExists("The provider is registered in this tenant already."),
    )
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
