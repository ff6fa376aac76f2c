"""The only reads of credit across regions: the SECURITY DEFINER functions of migration 0006,
owned by the ``sws_credit_reader`` role.

They run inside the caller's ordinary transaction, RLS context and role. ``credit_bars``
answers only for the region the transaction is bound to and ``credit_record`` only for the
provider it acts for (the database refuses anything else), so a bug here cannot widen them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.schemas import Ground, Scope

_BARS = text(
    "SELECT disqualification_id, source_tenant, scope, starts_on, ends_on, ground"
    " FROM credit_bars_during(:provider, :tenant, :first, :last)"
)
_RECORD = text(
    "SELECT disqualification_id, source_tenant, scope, starts_on, ends_on, reason,"
    " legal_basis, decided_at FROM credit_record(:provider)"
)
_REGIONS = text("SELECT tenant_id, status FROM credit_provider_regions(:provider)")


@dataclass(frozen=True)
class BarRow:
    disqualification_id: uuid.UUID
    source_tenant: str
    scope: Scope
    starts_on: date
    ends_on: date
    ground: Ground


@dataclass(frozen=True)
class RecordRow:
    disqualification_id: uuid.UUID
    source_tenant: str
    scope: Scope
    starts_on: date
    ends_on: date
    reason: str
    legal_basis: str
    decided_at: datetime | None


async def bars(
    session: AsyncSession, provider_id: uuid.UUID, tenant: str, day: date, last: date | None = None
) -> list[BarRow]:
    """Confirmed disqualifications of the provider in force in ``tenant`` on ``day`` (or on
    any day from ``day`` to ``last`` inclusive); the session must be bound to ``tenant``."""
    rows = await session.execute(
        _BARS, {"provider": provider_id, "tenant": tenant, "first": day, "last": last or day}
    )
    return [
        BarRow(
            r.disqualification_id,
            r.source_tenant,
            Scope(r.scope),
            r.starts_on,
            r.ends_on,
            Ground(r.ground),
        )
        for r in rows
    ]


async def record(session: AsyncSession, provider_id: uuid.UUID) -> list[RecordRow]:
    """The provider's confirmed disqualifications everywhere, with reasons; the session must
    be bound with this provider's id (``bind_tenant(..., provider_id)``)."""
    rows = await session.execute(_RECORD, {"provider": provider_id})
    return [
        RecordRow(
            r.disqualification_id,
            r.source_tenant,
            Scope(r.scope),
            r.starts_on,
            r.ends_on,
            r.reason,
            r.legal_basis,
            r.decided_at,
        )
        for r in rows
    ]


async def regions(session: AsyncSession, provider_id: uuid.UUID) -> list[str]:
    """The regions where the provider is registered or has applied."""
    rows = await session.execute(_REGIONS, {"provider": provider_id})
    return [r.tenant_id for r in rows]


_FACTS = text(
    "SELECT fact_id, source_tenant, kind, occurred_on, source_kind, summary, details"
    " FROM credit_facts_of(:provider)"
)


@dataclass(frozen=True)
class FactRow:
    fact_id: uuid.UUID
    source_tenant: str
    kind: str
    occurred_on: date
    source_kind: str
    summary: str
    details: dict[str, Any]


async def facts(session: AsyncSession, provider_id: uuid.UUID) -> list[FactRow]:
    """The provider's credit facts in every region, newest first; the session must be bound to
    a region and act for no provider (a government user's request)."""
    rows = await session.execute(_FACTS, {"provider": provider_id})
    return [
        FactRow(
            r.fact_id,
            r.source_tenant,
            r.kind,
            r.occurred_on,
            r.source_kind,
            r.summary,
            dict(r.details or {}),
        )
        for r in rows
    ]
