"""Reads the contracts steps share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.models import Contract, Instalment, Signature, Suspension, YearShare


async def contract(
    session: AsyncSession,
    tenant: str,
    contract_id: uuid.UUID,
    *,
    lock: bool = False,
    projects: Sequence[uuid.UUID] | None = None,
) -> Contract | None:
    """A contract of ``tenant``; with ``projects``, only one of those projects."""
    query = select(Contract).where(Contract.tenant_id == tenant, Contract.id == contract_id)
    if projects is not None:
        query = query.where(Contract.project_id.in_(projects))
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def of_procurement(
    session: AsyncSession, tenant: str, procurement_id: uuid.UUID, *, lock: bool = False
) -> Contract | None:
    """The procurement's live contract: a refused or void one is history."""
    query = select(Contract).where(
        Contract.tenant_id == tenant,
        Contract.procurement_id == procurement_id,
        Contract.status.not_in(("refused", "void")),
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def contracts(
    session: AsyncSession,
    tenant: str,
    *,
    limit: int,
    offset: int,
    projects: Sequence[uuid.UUID] | None = None,
) -> Sequence[Contract]:
    query = (
        select(Contract)
        .where(
            Contract.tenant_id == tenant,
            *([Contract.project_id.in_(projects)] if projects is not None else []),
        )
        .order_by(Contract.created_at.desc(), Contract.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(query)).all()


async def instalments(session: AsyncSession, contract: Contract) -> Sequence[Instalment]:
    rows = await session.scalars(
        select(Instalment)
        .where(Instalment.tenant_id == contract.tenant_id, Instalment.contract_id == contract.id)
        .order_by(Instalment.seq)
    )
    return rows.all()


async def of_provider(session: AsyncSession, provider_id: uuid.UUID) -> Sequence[Contract]:
    """A provider's contracts in every region (row-level security lets a provider's
    transaction read these rows, and no other region's), newest first."""
    rows = await session.scalars(
        select(Contract)
        .where(Contract.provider_id == provider_id)
        .order_by(Contract.created_at.desc(), Contract.tenant_id, Contract.id)
    )
    return rows.all()


async def signatures(session: AsyncSession, contract: Contract) -> Sequence[Signature]:
    rows = await session.scalars(
        select(Signature)
        .where(Signature.tenant_id == contract.tenant_id, Signature.contract_id == contract.id)
        .order_by(Signature.signed_at, Signature.id)
    )
    return rows.all()


async def suspensions(session: AsyncSession, contract: Contract) -> Sequence[Suspension]:
    rows = await session.scalars(
        select(Suspension)
        .where(Suspension.tenant_id == contract.tenant_id, Suspension.contract_id == contract.id)
        .order_by(Suspension.starts_at, Suspension.id)
    )
    return rows.all()


def in_force(suspension: Suspension, now: datetime) -> bool:
    """Not lifted, and (finance's order) its last day not over."""
    return suspension.lifted_at is None and (suspension.ends_at is None or suspension.ends_at > now)


async def year_shares(session: AsyncSession, contract: Contract) -> Sequence[YearShare]:
    rows = await session.scalars(
        select(YearShare)
        .where(YearShare.tenant_id == contract.tenant_id, YearShare.contract_id == contract.id)
        .order_by(YearShare.fiscal_year)
    )
    return rows.all()


async def suspended(session: AsyncSession, contract: Contract, now: datetime) -> bool:
    """Whether a suspension of the contract is in force at ``now``."""
    return any(in_force(s, now) for s in await suspensions(session, contract))
