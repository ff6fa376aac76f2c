"""Recomputing one region-year's summary rows from the base tables, and replacing them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.statistics.figures import PROVIDERS, SUMMARY
from services.statistics.kinds import provider_kind

JOB = "statistics.refresh"

# (quarter, programme area, metric, dimension) → value
Key = tuple[int, str, str, str]


@dataclass(frozen=True)
class Computed:
    summaries: dict[Key, Decimal]
    providers: dict[str, str]  # provider id → kind


async def compute(session: AsyncSession, tenant: str, year: int) -> Computed:
    """What the base tables say now (the session bound to ``tenant``)."""
    params = {"tenant": tenant, "year": year}
    rows = (await session.execute(SUMMARY, params)).all()
    providers = (await session.execute(PROVIDERS, params)).all()
    return Computed(
        {(int(r.quarter), r.programme_area, r.metric, r.dimension): r.value for r in rows},
        {str(p.provider_id): provider_kind(p.uscc) for p in providers},
    )


async def kept(session: AsyncSession, tenant: str, year: int) -> Computed:
    """What the summary tables hold now."""
    params = {"tenant": tenant, "year": year}
    rows = await session.execute(
        text(
            "SELECT quarter, programme_area, metric, dimension, value FROM statistics_summaries"
            " WHERE tenant_id = :tenant AND fiscal_year = :year"
        ),
        params,
    )
    providers = await session.execute(
        text(
            "SELECT provider_id, kind FROM statistics_providers"
            " WHERE tenant_id = :tenant AND fiscal_year = :year"
        ),
        params,
    )
    return Computed(
        {(int(r.quarter), r.programme_area, r.metric, r.dimension): r.value for r in rows},
        {str(p.provider_id): p.kind for p in providers},
    )


async def refresh(session: AsyncSession, tenant: str, year: int) -> Computed:
    """Replace the region-year's rows with what the base tables say, then sum its province
    again. Running it twice writes the same rows: nothing is ever added to what was there."""
    # One refresh of a region-year at a time; the second waits and then sees the first's rows.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('statistics:' || :tenant), :year)"),
        {"tenant": tenant, "year": year},
    )
    computed = await compute(session, tenant, year)
    before = await kept(session, tenant, year)
    params = {"tenant": tenant, "year": year}
    await session.execute(
        text("DELETE FROM statistics_summaries WHERE tenant_id = :tenant AND fiscal_year = :year"),
        params,
    )
    await session.execute(
        text("DELETE FROM statistics_providers WHERE tenant_id = :tenant AND fiscal_year = :year"),
        params,
    )
    if computed.summaries:
        await session.execute(
            text(
                "INSERT INTO statistics_summaries (tenant_id, fiscal_year, quarter,"
                " programme_area, metric, dimension, value)"
                " VALUES (:tenant, :year, :quarter, :area, :metric, :dimension, :value)"
            ),
            [
                {
                    **params,
                    "quarter": quarter,
                    "area": area,
                    "metric": metric,
                    "dimension": dimension,
                    "value": value,
                }
                for (quarter, area, metric, dimension), value in computed.summaries.items()
            ],
        )
    if computed.providers:
        await session.execute(
            text(
                "INSERT INTO statistics_providers (tenant_id, fiscal_year, provider_id, kind)"
                " VALUES (:tenant, :year, CAST(:provider AS uuid), :kind)"
            ),
            [
                {**params, "provider": provider, "kind": kind}
                for provider, kind in computed.providers.items()
            ],
        )
    await session.execute(text("SELECT statistics_roll_up(:year)"), {"year": year})
    touched = sorted(set(before.providers) | set(computed.providers))
    if touched:
        await session.execute(
            text("SELECT statistics_count_providers(:year, CAST(:providers AS uuid[]))"),
            {"year": year, "providers": touched},
        )
    return computed
