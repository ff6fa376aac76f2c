"""The figures of a scope, from ``statistics_figures`` (migration 0045), shaped for the API.

Only aggregates leave here. Counts of people served below ``SUPPRESS_BELOW`` are withheld at
county level (where they can point at somebody); a street is never a scope of its own.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.money import text as money_text
from services.kit.settings import get_settings
from services.statistics.schemas import (
    AwardsOut,
    ContractsOut,
    Count,
    ProcurementsOut,
    ProvidersOut,
    QualityOut,
    ServiceOut,
    StatisticsOut,
)

Figures = dict[str, dict[str, Decimal]]

_FIGURES = text("SELECT metric, dimension, value FROM statistics_figures(:year, :quarter, :area)")


def level_of(code: str) -> str:
    """GB/T 2260: ``xx0000`` a province, ``xxxx00`` a city, anything else a county."""
    if code == "000000":
        return "national"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


async def figures(
    session: AsyncSession, year: int, quarter: int | None, area: str | None
) -> Figures:
    """metric → dimension → value, for the region the session is bound to and those under it."""
    found: Figures = defaultdict(dict)
    rows = await session.execute(_FIGURES, {"year": year, "quarter": quarter, "area": area})
    for metric, dimension, value in rows:
        found[metric][dimension] = Decimal(value)
    return found


def _share(part: Decimal, whole: Decimal) -> float | None:
    return None if not whole else round(float(part / whole), 4)


def _count(value: Decimal, suppress: bool, threshold: int) -> Count:
    if suppress and value < threshold:
        return Count(None, suppressed=True)
    return Count(int(value))


def _group_counts(groups: dict[str, Decimal], suppress: bool, threshold: int) -> dict[str, Count]:
    """Each target group's count, small ones withheld. With one group withheld and the total
    shown, that group would be the total less the others: the next smallest is withheld too
    (complementary suppression), so no withheld count can be worked out."""
    shown = {key: _count(value, suppress, threshold) for key, value in sorted(groups.items())}
    hidden = [key for key, count in shown.items() if count.suppressed]
    if len(hidden) == 1:
        others = sorted((value, key) for key, value in groups.items() if key not in hidden)
        if others:
            shown[others[0][1]] = Count(None, suppressed=True)
    return shown


def shaped(
    scope: str, year: int, quarter: int | None, area: str | None, found: Figures
) -> StatisticsOut:
    level = level_of(scope)

    def total(metric: str) -> Decimal:
        return sum(found.get(metric, {}).values(), Decimal(0))

    def ints(metric: str) -> dict[str, int]:
        return {key: int(value) for key, value in sorted(found.get(metric, {}).items())}

    suppress = level == "county"
    threshold = get_settings().statistics_suppress_below
    procurements = total("procurements")
    reviewed = total("procurements_reviewed")
    budget_awarded, awarded = total("budget_awarded"), total("awarded_value")
    contracted, paid = total("contracted_value"), total("paid")
    acceptances = found.get("acceptances", {})
    passed, failed = acceptances.get("pass", Decimal(0)), acceptances.get("fail", Decimal(0))
    providers = found.get("providers", {})
    return StatisticsOut(
        scope="national" if level == "national" else scope,
        level=level,
        year=year,
        quarter=quarter,
        programme_area=area,
        budget_approved=money_text(total("budget_approved")),
        budget_by_funding_source={
            key: money_text(value) for key, value in sorted(found["budget_approved"].items())
        }
        if "budget_approved" in found
        else {},
        procurements=ProcurementsOut(
            total=int(procurements),
            by_method=ints("procurements"),
            failed=int(total("procurements_failed")),
            reviewed=int(reviewed),
            open_tender_share=_share(
                found.get("procurements", {}).get("open_tender", Decimal(0)), procurements
            ),
            failed_share=_share(total("procurements_failed"), procurements),
            average_valid_bids=_share(total("valid_bids"), reviewed),
            single_valid_bid_share=_share(total("single_valid_bid"), reviewed),
        ),
        awards=AwardsOut(
            budget_awarded=money_text(budget_awarded),
            awarded_value=money_text(awarded),
            savings=money_text(budget_awarded - awarded),
            savings_rate=_share(budget_awarded - awarded, budget_awarded),
        ),
        contracts=ContractsOut(
            count=int(total("contracts")),
            contracted_value=money_text(contracted),
            paid=money_text(paid),
            disbursement_rate=_share(paid, contracted),
        ),
        service=ServiceOut(
            people_served=_count(total("people_served"), suppress, threshold),
            people_served_by_target_group=_group_counts(
                found.get("people_served", {}), suppress, threshold
            ),
            service_hours=str(total("service_hours")),
            service_hours_by_staff_level={
                key: str(value) for key, value in sorted(found.get("service_hours", {}).items())
            },
        ),
        quality=QualityOut(
            acceptances_passed=int(passed),
            acceptances_failed=int(failed),
            acceptance_pass_rate=_share(passed, passed + failed),
            evaluation_grades=ints("evaluations"),
        ),
        providers=ProvidersOut(
            by_kind={key: int(value) for key, value in sorted(providers.items())},
            cross_region=int(total("providers_cross_region")),
        ),
        bars_in_force=ints("bars_in_force"),
    )
