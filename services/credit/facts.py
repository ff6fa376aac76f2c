"""信用事实: the facts of a provider's performance that later purchases may lawfully rely on.

Delivery's steps record them through ``credit.service.record_fact`` in their own transaction:
an acceptance passed or failed, an evaluation's grade, a breach, a rectification left overdue.
The region that records a fact owns it. Its own civil affairs lists them; any region's civil
affairs reads a provider's facts everywhere only through ``credit_facts_of`` (see
``reader``); a provider reads its own through its ``provider_own_rows`` policy.

A fact carries no personal information: ``summary`` is one short sentence about the provider
and the object, ``details`` a flat map of codes, counts and amounts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.fact_schemas import FactKind
from services.credit.models import CreditFact
from services.credit.rules import today
from services.kit.audit import Actor, record

SUMMARY_MAX = 500
DETAILS_MAX = 20


def _flat(details: Mapping[str, Any]) -> dict[str, Any]:
    """Codes, counts and amounts only: a nested value could hide a list of people."""
    if len(details) > DETAILS_MAX:
        raise ValueError(f"a fact's details hold at most {DETAILS_MAX} values")
    flat: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, Decimal):
            value = f"{value:f}"
        elif isinstance(value, uuid.UUID | date):
            value = str(value)
        elif value is not None and not isinstance(value, str | int | float | bool):
            raise ValueError(f"detail {key!r} must be a plain value, not {type(value).__name__}")
        flat[str(key)] = value
    return flat


async def record_fact(
    session: AsyncSession,
    actor: Actor,
    *,
    provider_id: uuid.UUID,
    kind: FactKind | str,
    source_kind: str,
    source_id: uuid.UUID,
    summary: str,
    details: Mapping[str, Any],
    occurred_on: date | None = None,
) -> CreditFact:
    """Record a fact in the actor's region (today in China unless ``occurred_on``). Recording
    the same kind for the same source again returns the first: jobs may run twice."""
    kind = FactKind(kind)
    found = await session.scalar(
        select(CreditFact).where(
            CreditFact.tenant_id == actor.tenant,
            CreditFact.kind == kind.value,
            CreditFact.source_kind == source_kind,
            CreditFact.source_id == source_id,
        )
    )
    if found is not None:
        return found
    fact = CreditFact(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        provider_id=provider_id,
        kind=kind.value,
        occurred_on=occurred_on or today(),
        source_kind=source_kind,
        source_id=source_id,
        summary=summary.strip()[:SUMMARY_MAX],
        details=_flat(details),
        recorded_by=actor.user_id,
    )
    session.add(fact)
    await session.flush()
    await record(
        session,
        actor,
        "credit_fact.recorded",
        "credit_fact",
        fact.id,
        after={
            "provider_id": provider_id,
            "kind": kind.value,
            "source_kind": source_kind,
            "source_id": source_id,
            "summary": fact.summary,
            "details": fact.details,
        },
    )
    return fact


async def of_region(
    session: AsyncSession,
    tenant: str,
    provider_id: uuid.UUID | None,
    kind: FactKind | None,
    limit: int,
    offset: int,
) -> Sequence[CreditFact]:
    query = select(CreditFact).where(CreditFact.tenant_id == tenant)
    if provider_id is not None:
        query = query.where(CreditFact.provider_id == provider_id)
    if kind is not None:
        query = query.where(CreditFact.kind == kind.value)
    query = (
        query.order_by(CreditFact.occurred_on.desc(), CreditFact.created_at.desc(), CreditFact.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(query)).all()


async def chosen(
    session: AsyncSession, tenant: str, provider_id: uuid.UUID, fact_ids: Sequence[uuid.UUID]
) -> list[CreditFact]:
    """The region's facts of the provider among ``fact_ids``, oldest first."""
    rows = await session.scalars(
        select(CreditFact)
        .where(
            CreditFact.tenant_id == tenant,
            CreditFact.provider_id == provider_id,
            CreditFact.id.in_(list(fact_ids)),
        )
        .order_by(CreditFact.occurred_on, CreditFact.id)
    )
    return list(rows.all())


async def own(session: AsyncSession, provider_id: uuid.UUID) -> Sequence[CreditFact]:
    """A provider's facts in every region: its transaction is bound with its id, and the
    ``provider_own_rows`` policy lets exactly those rows through."""
    rows = await session.scalars(
        select(CreditFact)
        .where(CreditFact.provider_id == provider_id)
        .order_by(CreditFact.occurred_on.desc(), CreditFact.tenant_id, CreditFact.id)
    )
    return rows.all()
