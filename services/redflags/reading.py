"""The flags of a scope: the stored rows of its regions, filtered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import NotFound
from services.redflags.indicators import Flag, Indicator, Unit
from services.tenancy import service as tenancy


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


def _escaped(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_FLAGS = """
SELECT tenant_id, ocid, indicator, year, title, value, threshold, unit, supplier, amount,
       instalment
  FROM red_flags
 WHERE tenant_id LIKE :prefix
   AND (CAST(:year AS integer) IS NULL OR year = :year)
   AND (CAST(:indicator AS text) IS NULL OR indicator = :indicator)
 ORDER BY tenant_id, year, ocid, indicator, n
"""


async def red_flags(session: AsyncSession, scope: str, filters: Filters) -> list[Flag]:
    """The stored flags of the regions under ``scope`` ("000000": the nation), filtered. Read
    in every region through the table's public read policy: they are measured from public
    data (services.redflags.measure)."""
    prefix = prefix_of(scope)
    if filters.region is not None:
        inner = prefix_of(filters.region)
        if not inner.startswith(prefix):
            return []
        prefix = inner
    rows = await session.execute(
        text(_FLAGS),
        {
            "prefix": _escaped(prefix) + "%",
            "year": filters.year,
            "indicator": filters.indicator.value if filters.indicator else None,
        },
    )
    return [
        Flag(
            Indicator(r.indicator),
            r.tenant_id,
            r.ocid,
            r.title,
            r.year,
            r.value,
            r.threshold,
            Unit(r.unit),
            r.supplier,
            r.amount,
            r.instalment,
        )
        for r in rows
    ]


async def region_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    names = {}
    for code in sorted(codes):
        try:
            names[code] = (await tenancy.get_tenant(session, code)).name
        except NotFound:
            names[code] = code
    return names
