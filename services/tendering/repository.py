"""Reads the tendering steps share: a procurement (locked when the step changes it), the
procurements of a region, the rows that hang off one procurement, and an enquiry or a challenge
under its procurement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import NotFound
from services.tendering import models
from services.tendering.errors import WrongState
from services.tendering.models import Challenge, Enquiry, Procurement, Transition
from services.tendering.schemas import Status

# What a supplier files under a procurement and the buyer answers.
Filed = TypeVar("Filed", Challenge, Enquiry)
# Every table whose rows hang off one procurement: (tenant_id, procurement_id) lead them.
Part = TypeVar(
    "Part",
    models.AwardRefusal,
    models.Bid,
    models.BidSecurity,
    models.Challenge,
    models.CommitteeMember,
    models.Enquiry,
    models.Exclusion,
    models.Invitation,
    models.NegotiationRound,
    models.Notice,
    models.Offer,
    models.Score,
    models.SingleSourceJustification,
    models.Transition,
)


def belongs_to(kind: type[Part], procurement: Procurement) -> ColumnElement[bool]:
    """The condition that picks the rows of ``kind`` under this procurement."""
    return and_(kind.tenant_id == procurement.tenant_id, kind.procurement_id == procurement.id)


async def parts(
    session: AsyncSession, kind: type[Part], procurement: Procurement, *order_by: Any
) -> Sequence[Part]:
    """Every row of ``kind`` under this procurement, in the order given."""
    rows = await session.scalars(
        select(kind).where(belongs_to(kind, procurement)).order_by(*order_by)
    )
    return rows.all()


async def procurement(
    session: AsyncSession, tenant: str, procurement_id: uuid.UUID, *, lock: bool = False
) -> Procurement | None:
    query = select(Procurement).where(
        Procurement.tenant_id == tenant, Procurement.id == procurement_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def procurements(
    session: AsyncSession,
    tenant: str,
    *,
    status: str | None,
    method: str | None,
    limit: int,
    offset: int,
) -> Sequence[Procurement]:
    query = select(Procurement).where(Procurement.tenant_id == tenant)
    if status is not None:
        query = query.where(Procurement.status == status)
    if method is not None:
        query = query.where(Procurement.method == method)
    query = query.order_by(Procurement.created_at.desc(), Procurement.id)
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def awaiting_answer(
    session: AsyncSession, kind: type[Filed], procurement: Procurement, filed_id: uuid.UUID
) -> Filed:
    """An enquiry or a challenge of this procurement that is still unanswered, locked: the
    caller holds the procurement's lock already, so two answers to one question queue behind
    each other."""
    what = kind.__name__.lower()
    filed = await session.scalar(
        select(kind).where(belongs_to(kind, procurement), kind.id == filed_id).with_for_update()
    )
    if filed is None:
        raise NotFound(f"No such {what}.")
    if filed.answered_at is not None:
        raise WrongState(f"The {what} has been answered.")
    return filed


async def entered(
    session: AsyncSession, tenant: str, procurement_id: uuid.UUID, status: str
) -> datetime | None:
    """When the procurement last entered ``status`` (its transitions keep every move)."""
    return await session.scalar(
        select(func.max(Transition.at)).where(
            Transition.tenant_id == tenant,
            Transition.procurement_id == procurement_id,
            Transition.to_status == status,
        )
    )


async def continuation_of(session: AsyncSession, failed: Procurement) -> uuid.UUID | None:
    """The negotiation that goes on from this failed tender (74号令 art. 27), if any."""
    return await session.scalar(
        select(Procurement.id).where(
            Procurement.tenant_id == failed.tenant_id, Procurement.continues_from == failed.id
        )
    )


async def failed_from(session: AsyncSession, procurement: Procurement) -> str | None:
    """The status a failed procurement was in when it failed."""
    return await session.scalar(
        select(Transition.from_status)
        .where(belongs_to(Transition, procurement), Transition.to_status == Status.failed.value)
        .order_by(Transition.seq.desc())
        .limit(1)
    )
