"""What other contexts ask of credit: is this provider barred here? And, from delivery, the
facts of a provider's performance (``record_fact``, see ``services.credit.facts``).

``check_eligible`` is what tendering calls when a provider bids (and what any later step that
must refuse a barred provider calls); ``bars`` says which records bar it. Both run in the
caller's transaction, which must be bound to ``tenant`` (every request and job is), and read
other regions' records only through ``credit_bars`` (see ``reader``). Registration in the
region and a valid 统一社会信用代码 are tenancy's and tendering's checks, not these.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import reader
from services.credit.errors import ProviderDisqualified
from services.credit.fact_schemas import FactKind
from services.credit.facts import record_fact
from services.credit.listeners import (
    BarChange,
    BarListener,
    Change,
    register_bar_listener,
    unregister_bar_listener,
)
from services.credit.rules import today
from services.credit.schemas import Ground, Scope
from services.tenancy import service as tenancy

__all__ = [
    "Bar",
    "BarChange",
    "BarListener",
    "Change",
    "FactKind",
    "Ground",
    "ProviderDisqualified",
    "bars",
    "check_eligible",
    "record_fact",
    "register_bar_listener",
    "today",
    "unregister_bar_listener",
]


@dataclass(frozen=True)
class Bar:
    """A confirmed disqualification in force in a region on a day."""

    disqualification_id: uuid.UUID
    source_tenant: str
    source_name: str
    scope: Scope
    starts_on: date
    ends_on: date  # the first day the provider is free again
    ground: Ground = Ground.art77

    @property
    def last_day(self) -> date:
        return self.ends_on - timedelta(days=1)


async def bars(
    session: AsyncSession,
    provider_id: uuid.UUID,
    tenant: str,
    on_day: date | None = None,
    until: date | None = None,
) -> list[Bar]:
    """The bars on ``provider_id`` in ``tenant`` on ``on_day`` (today in China by default) —
    or on any day from ``on_day`` to ``until`` inclusive — longest-lasting first; empty when
    it may take part."""
    rows = await reader.bars(session, provider_id, tenant, on_day or today(), until)
    names: dict[str, str] = {}
    for row in rows:
        if row.source_tenant not in names:
            names[row.source_tenant] = (await tenancy.get_tenant(session, row.source_tenant)).name
    return [
        Bar(
            row.disqualification_id,
            row.source_tenant,
            names[row.source_tenant],
            row.scope,
            row.starts_on,
            row.ends_on,
            row.ground,
        )
        for row in rows
    ]


async def check_eligible(session: AsyncSession, provider_id: uuid.UUID, tenant: str) -> None:
    """Raise ``ProviderDisqualified`` (403 ``provider_disqualified``) when a disqualification
    bars the provider in ``tenant`` today."""
    found = await bars(session, provider_id, tenant)
    if not found:
        return
    longest = found[0]
    raise ProviderDisqualified(
        f"The provider is barred from government procurement here until "
        f"{longest.last_day.isoformat()} inclusive, by a record of {longest.source_name} "
        f"({longest.source_tenant}) with {longest.scope.value} scope.",
        bars=[
            {
                "disqualification_id": str(bar.disqualification_id),
                "source_tenant": bar.source_tenant,
                "source_name": bar.source_name,
                "scope": bar.scope.value,
                "starts_on": bar.starts_on.isoformat(),
                "ends_on": bar.ends_on.isoformat(),
                "last_day": bar.last_day.isoformat(),
            }
            for bar in found
        ],
    )
