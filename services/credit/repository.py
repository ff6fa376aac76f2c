"""Queries of the region's own disqualifications. Each names its tenant as well as RLS does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.models import Disqualification


async def get(
    session: AsyncSession, tenant: str, disqualification_id: uuid.UUID, lock: bool = False
) -> Disqualification | None:
    query = select(Disqualification).where(
        Disqualification.tenant_id == tenant, Disqualification.id == disqualification_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def list_(
    session: AsyncSession,
    tenant: str,
    status: str | None,
    provider_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Sequence[Disqualification]:
    query = select(Disqualification).where(Disqualification.tenant_id == tenant)
    if status is not None:
        query = query.where(Disqualification.status == status)
    if provider_id is not None:
        query = query.where(Disqualification.provider_id == provider_id)
    query = (
        query.order_by(Disqualification.created_at.desc(), Disqualification.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(query)).all()
