"""``statistics-rebuild``: every summary recomputed from the base tables, and what differed.

Each region and fiscal year (those with projects, budgets or rows kept) is computed as the job
would, compared with what was kept, and replaced. A difference means an event was missed or a
summary was changed by hand: it is printed, and the command ends with 1.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.db import transaction
from services.statistics.refresh import Computed, kept, refresh

_YEARS = text("""
SELECT fiscal_year FROM projects WHERE tenant_id = :tenant
UNION SELECT fiscal_year FROM budgets WHERE tenant_id = :tenant
UNION SELECT fiscal_year FROM statistics_summaries WHERE tenant_id = :tenant
UNION SELECT fiscal_year FROM statistics_providers WHERE tenant_id = :tenant
UNION SELECT extract(year FROM starts_on)::int FROM disqualifications WHERE tenant_id = :tenant
ORDER BY 1
""")


def differences(before: Computed, after: Computed) -> list[str]:
    found = []
    for key in sorted(set(before.summaries) | set(after.summaries)):
        was, now = before.summaries.get(key), after.summaries.get(key)
        if was != now:
            quarter, area, metric, dimension = key
            found.append(
                f"{metric}[{dimension}] Q{quarter} {area or '-'}: kept {was}, base tables {now}"
            )
    for provider in sorted(set(before.providers) | set(after.providers)):
        was_kind, now_kind = before.providers.get(provider), after.providers.get(provider)
        if was_kind != now_kind:
            found.append(f"provider {provider}: kept {was_kind}, base tables {now_kind}")
    return found


async def rebuild(
    sessionmaker: async_sessionmaker[AsyncSession],
    regions: list[str],
    say: Callable[[str], None] = print,
) -> int:
    """Rebuild ``regions`` (every region when empty); the number of region-years that
    differed."""
    if not regions:
        async with sessionmaker() as session:
            regions = list(await session.scalars(text("SELECT code FROM tenants ORDER BY code")))
    differing = 0
    for region in regions:
        async with transaction(sessionmaker, region) as session:
            years = [int(y) for y in await session.scalars(_YEARS, {"tenant": region})]
            for year in years:
                before = await kept(session, region, year)
                after = await refresh(session, region, year)
                found = differences(before, after)
                if found:
                    differing += 1
                    say(f"{region} {year}: {len(found)} difference(s)")
                    for line in found:
                        say(f"  {line}")
                else:
                    say(f"{region} {year}: ok")
    return differing
