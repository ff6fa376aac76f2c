"""Reads of a contract's amendments, their versions and their signatures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.amendment_models import Amendment, AmendmentSignature, AmendmentVersion
from services.contracts.models import Contract
from services.contracts.schemas import AmendmentKind, AmendmentStatus


async def amendment(
    session: AsyncSession, contract: Contract, amendment_id: uuid.UUID, *, lock: bool = False
) -> Amendment | None:
    query = select(Amendment).where(
        Amendment.tenant_id == contract.tenant_id,
        Amendment.contract_id == contract.id,
        Amendment.id == amendment_id,
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def of_contract(
    session: AsyncSession, contract: Contract, *, statuses: Sequence[AmendmentStatus] = ()
) -> Sequence[Amendment]:
    """The contract's amendments, oldest first; only those in ``statuses`` when given."""
    query = select(Amendment).where(
        Amendment.tenant_id == contract.tenant_id, Amendment.contract_id == contract.id
    )
    if statuses:
        query = query.where(Amendment.status.in_([s.value for s in statuses]))
    rows = await session.scalars(query.order_by(Amendment.created_at, Amendment.id))
    return rows.all()


async def versions(session: AsyncSession, amendment: Amendment) -> Sequence[AmendmentVersion]:
    rows = await session.scalars(
        select(AmendmentVersion)
        .where(
            AmendmentVersion.tenant_id == amendment.tenant_id,
            AmendmentVersion.amendment_id == amendment.id,
        )
        .order_by(AmendmentVersion.version)
    )
    return rows.all()


async def current(session: AsyncSession, amendment: Amendment) -> AmendmentVersion:
    found = await session.scalar(
        select(AmendmentVersion).where(
            AmendmentVersion.tenant_id == amendment.tenant_id,
            AmendmentVersion.amendment_id == amendment.id,
            AmendmentVersion.version == amendment.version,
        )
    )
    assert found is not None, "an amendment always has its current version"
    return found


async def signatures(session: AsyncSession, amendment: Amendment) -> Sequence[AmendmentSignature]:
    rows = await session.scalars(
        select(AmendmentSignature)
        .where(
            AmendmentSignature.tenant_id == amendment.tenant_id,
            AmendmentSignature.amendment_id == amendment.id,
        )
        .order_by(AmendmentSignature.signed_at, AmendmentSignature.id)
    )
    return rows.all()


async def supplementary_total(
    session: AsyncSession, contract: Contract, *, excluding: uuid.UUID | None = None
) -> Decimal:
    """What every supplementary amendment of the contract not withdrawn adds (drafted, being
    signed or in effect), ``excluding`` one being revised."""
    query = select(func.coalesce(func.sum(Amendment.amount), 0)).where(
        Amendment.tenant_id == contract.tenant_id,
        Amendment.contract_id == contract.id,
        Amendment.kind == AmendmentKind.supplementary_purchase.value,
        Amendment.status != AmendmentStatus.withdrawn.value,
    )
    if excluding is not None:
        query = query.where(Amendment.id != excluding)
    total = await session.scalar(query)
    return Decimal(total or 0)
