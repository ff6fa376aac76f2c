"""Queries of the tenancy context. Each names its tenant explicitly, on top of RLS."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.tenancy.models import (
    Membership,
    Organisation,
    Provider,
    ProviderRegistration,
    Tenant,
)


async def list_tenants(session: AsyncSession, limit: int, offset: int) -> Sequence[Tenant]:
    return (
        await session.scalars(select(Tenant).order_by(Tenant.code).limit(limit).offset(offset))
    ).all()


async def get_organisation(
    session: AsyncSession, tenant: str, organisation_id: uuid.UUID
) -> Organisation | None:
    return await session.scalar(
        select(Organisation).where(
            Organisation.tenant_id == tenant, Organisation.id == organisation_id
        )
    )


_organisations = Organisation.__table__.c
# Built once: list pages are the hottest reads, and building the statement each time costs as
# much as running it. Rows come back as plain tuples, without ORM identity bookkeeping.
ORGANISATION_PAGE = (
    select(*_organisations)
    .where(_organisations.tenant_id == bindparam("tenant"))
    .order_by(_organisations.kind, _organisations.name, _organisations.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


async def list_organisations(
    session: AsyncSession, tenant: str, limit: int, offset: int
) -> Sequence[Row[Any]]:
    result = await session.execute(
        ORGANISATION_PAGE, {"tenant": tenant, "limit": limit, "offset": offset}
    )
    return result.all()


async def get_membership(
    session: AsyncSession, tenant: str, membership_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.tenant_id == tenant, Membership.id == membership_id)
    )


async def list_memberships(
    session: AsyncSession, tenant: str, limit: int, offset: int
) -> Sequence[Membership]:
    return (
        await session.scalars(
            select(Membership)
            .where(Membership.tenant_id == tenant)
            .order_by(Membership.created_at, Membership.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()


RegistrationRow = tuple[ProviderRegistration, str]


async def get_registration(
    session: AsyncSession,
    tenant: str,
    registration_id: uuid.UUID,
    provider_id: uuid.UUID | None = None,
) -> RegistrationRow | None:
    query = (
        select(ProviderRegistration, Provider.name)
        .join(Provider, Provider.id == ProviderRegistration.provider_id)
        .where(ProviderRegistration.tenant_id == tenant, ProviderRegistration.id == registration_id)
    )
    if provider_id is not None:
        query = query.where(ProviderRegistration.provider_id == provider_id)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def registered_provider_ids(
    session: AsyncSession, tenant: str, status: str
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(ProviderRegistration.provider_id).where(
            ProviderRegistration.tenant_id == tenant, ProviderRegistration.status == status
        )
    )
    return list(dict.fromkeys(rows.all()))


async def list_registrations(
    session: AsyncSession,
    tenant: str | None,
    provider_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[RegistrationRow]:
    query = select(ProviderRegistration, Provider.name).join(
        Provider, Provider.id == ProviderRegistration.provider_id
    )
    if tenant is not None:
        query = query.where(ProviderRegistration.tenant_id == tenant)
    if provider_id is not None:
        query = query.where(ProviderRegistration.provider_id == provider_id)
    if status is not None:
        query = query.where(ProviderRegistration.status == status)
    query = (
        query.order_by(ProviderRegistration.tenant_id, ProviderRegistration.created_at)
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]
