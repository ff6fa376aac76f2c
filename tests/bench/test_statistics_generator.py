"""The national-scale statistics generator (``make bench``, part 8) at a tiny scale, in the test
database: what it sums into the summaries and the province rollups is what a raw GROUP BY over
the procurements it generated gives, for one region and for all it made, and removing it leaves
every table it wrote as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import pytest

from bench import statistics as stats
from services.kit.settings import Settings

SCALE = stats.Scale(provinces=2, cities=1, counties=1, procurements=60, providers=50)
COUNTY = "500101"
TABLES = (
    "tenants",
    "projects",
    "procurements",
    "statistics_summaries",
    "statistics_providers",
    "statistics_provider_regions",
    "statistics_province_rollups",
    "statistics_dirty",
)
Figures = dict[tuple[str, str], Decimal]


@pytest.fixture
async def owner(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own: the generator keeps temporary tables in it."""
    connection = await asyncpg.connect(settings.admin_database_url.replace("+asyncpg", ""))
    yield connection
    await connection.close()


async def _counts(db: asyncpg.Connection) -> dict[str, int]:
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def _raw(db: asyncpg.Connection, prefix: str) -> Figures:
    """The procurement figures straight from the generated procurements and their projects."""
    rows = await db.fetch(
        "SELECT x.method, count(*) AS n, count(*) FILTER (WHERE x.status = 'failed') AS failed,"
        " sum(x.awarded_price) AS awarded,"
        " sum(x.budget_amount) FILTER (WHERE x.awarded_price IS NOT NULL) AS budget"
        " FROM procurements x JOIN projects p ON p.tenant_id = x.tenant_id"
        " AND p.id = x.project_id"
        " WHERE p.fiscal_year = $1 AND x.tenant_id LIKE $2 AND x.ocid LIKE $3"
        " GROUP BY x.method",
        stats.YEAR,
        prefix + "%",
        stats.OCID + "%",
    )
    figures: Figures = {}
    for r in rows:
        figures[("procurements", r["method"])] = Decimal(r["n"])
        if r["failed"]:
            figures[("procurements_failed", r["method"])] = Decimal(r["failed"])
        for metric, value in (("awarded_value", r["awarded"]), ("budget_awarded", r["budget"])):
            if value is not None:
                figures[(metric, "")] = figures.get((metric, ""), Decimal(0)) + value
    return figures


async def _figures(app: asyncpg.Connection, scope: str) -> Figures:
    """The procurement figures as the API reads them: statistics_figures, bound to ``scope``."""
    async with app.transaction():
        await app.execute("SELECT set_config('app.tenant_id', $1, true)", scope)
        rows = await app.fetch("SELECT * FROM statistics_figures($1, NULL, NULL)", stats.YEAR)
    return {
        (r["metric"], r["dimension"]): r["value"]
        for r in rows
        if r["metric"] in ("procurements", "procurements_failed", "awarded_value", "budget_awarded")
    }


async def test_the_generator_sums_what_a_group_by_gives_and_removes_itself(
    owner: asyncpg.Connection, app_db: asyncpg.Connection
) -> None:
    before = await _counts(owner)
    assert await stats.generate(owner, SCALE) is not None
    try:
        made = await _counts(owner)
        assert made["tenants"] - before["tenants"] == SCALE.regions == 6
        assert made["procurements"] - before["procurements"] == SCALE.procurements
        # Asked again at the same scale, it finds its rows and makes nothing.
        assert await stats.generate(owner, SCALE) is None
        assert await _counts(owner) == made

        # One region: a county's own summaries.
        county = await _raw(owner, COUNTY)
        assert county[("procurements", "open_tender")] > 0
        assert sum(v for (m, _), v in county.items() if m == "procurements") < SCALE.procurements
        assert await _figures(app_db, COUNTY) == county
        # All it generated: each province from its rollup, the provinces added up.
        national: Figures = {}
        for prefix in SCALE.prefixes:
            province = await _raw(owner, str(prefix))
            assert await _figures(app_db, f"{prefix}0000") == province
            for key, value in province.items():
                national[key] = national.get(key, Decimal(0)) + value
        assert national == await _raw(owner, "")
        assert sum(v for (m, _), v in national.items() if m == "procurements") == 60
    finally:
        await stats.remove(owner)
    assert await _counts(owner) == before
    assert await owner.fetchval("SELECT to_regclass('bench_regions')") is None
