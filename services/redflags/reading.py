"""The flags of a scope: the published records of its regions, measured."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import NotFound
from services.kit.settings import get_settings
from services.opendata import service as opendata
from services.redflags.indicators import Flag, Indicator, Process, flags
from services.tenancy import service as tenancy
from services.tendering import service as tendering


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    region: str | None = None
    indicator: Indicator | None = None


def prefix_of(code: str) -> str:
    """The codes under a division (GB/T 2260): a province's, a city's, a county's own."""
    if code == "000000":
        return ""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


async def red_flags(session: AsyncSession, scope: str, filters: Filters) -> list[Flag]:
    """The flags of the regions under ``scope`` ("000000": the nation), filtered."""
    prefix = prefix_of(scope)
    if filters.region is not None:
        inner = prefix_of(filters.region)
        if not inner.startswith(prefix):
            return []
        prefix = inner
    records = await opendata.published_records(session, prefix)
    ceilings = await tendering.published_ceilings(session, [r.procurement_id for r in records])
    processes = [
        Process(r.tenant, r.ocid, r.compiled, ceilings.get(r.procurement_id)) for r in records
    ]
    settings = get_settings()
    share = Decimal(settings.red_flag_winner_share_percent) / 100
    found = flags(processes, share, settings.red_flag_winner_min_awards)
    return [
        f
        for f in found
        if (filters.year is None or f.year == filters.year)
        and (filters.indicator is None or f.indicator is filters.indicator)
    ]


async def region_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    names = {}
    for code in sorted(codes):
        try:
            names[code] = (await tenancy.get_tenant(session, code)).name
        except NotFound:
            names[code] = code
    return names
