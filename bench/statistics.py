"""Statistics at national scale: 3,030 regions, 1,000,000 procurements (issue 14).

The generator writes, in SQL (generate_series, with triggers off for the load), 30 provinces
of 10 cities and 90 counties each, five projects a region, the procurements, and the summary
rows the refresh job would keep for them (the procurement figures summed from the generated
procurements, the other figures filled in at the same density), then rolls up each province
through ``statistics_roll_up``. A second run finds them and reuses them.

Timed: ``statistics_figures`` as the API calls it (the app role, bound to '000000' for the
nation, to a province for its rollup), beside a raw GROUP BY over the base tables (procurements
joined to projects) answering the procurement figures alone for the same scope.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from services.kit.settings import Settings

YEAR = 2026
FIRST_PROVINCE = 50  # province prefixes of the bench's own (50-79), clear of the seed's 43
AREAS = 5
ROUNDS, RAW_ROUNDS = 200, 5
NATIONAL_TARGET_MS, PROVINCE_TARGET_MS = 100.0, 50.0
PROVINCE = "500000"
OCID = "bench-stat-"
NOBODY = "00000000-0000-0000-0000-000000000000"
# The generated providers' ids: this prefix and a 12-digit number.
PROVIDER_IDS = "00000000-0000-4000-8000-"


@dataclass(frozen=True)
class Scale:
    """How much to generate: ``provinces`` provinces from 50 on, each with ``cities`` cities
    of ``counties`` counties, and ``procurements`` spread over all their regions."""

    provinces: int = 30
    cities: int = 10
    counties: int = 9
    procurements: int = 1_000_000
    providers: int = 30_000

    @property
    def regions(self) -> int:
        return self.provinces * (1 + self.cities * (1 + self.counties))

    @property
    def prefixes(self) -> range:
        return range(FIRST_PROVINCE, FIRST_PROVINCE + self.provinces)


NATIONAL = Scale()


def _regions(scale: Scale) -> str:
    last = FIRST_PROVINCE + scale.provinces - 1
    return f"""
DROP TABLE IF EXISTS bench_regions;
CREATE TEMP TABLE bench_regions AS
SELECT row_number() OVER (ORDER BY code) - 1 AS n, code FROM (
  SELECT p || '0000' AS code FROM generate_series({FIRST_PROVINCE}, {last}) p
  UNION ALL SELECT p || lpad(c::text, 2, '0') || '00'
    FROM generate_series({FIRST_PROVINCE}, {last}) p, generate_series(1, {scale.cities}) c
  UNION ALL SELECT p || lpad(c::text, 2, '0') || lpad(k::text, 2, '0')
    FROM generate_series({FIRST_PROVINCE}, {last}) p, generate_series(1, {scale.cities}) c,
         generate_series(1, {scale.counties}) k
) r;
INSERT INTO tenants (code, name, level, parent_code, active)
SELECT code, '基准' || code,
       CASE WHEN code LIKE '__0000' THEN 'province' WHEN code LIKE '____00' THEN 'city'
            ELSE 'county' END,
       CASE WHEN code LIKE '__0000' THEN NULL WHEN code LIKE '____00' THEN left(code, 2) || '0000'
            ELSE left(code, 4) || '00' END, true
  FROM bench_regions ORDER BY code
ON CONFLICT (code) DO NOTHING;
"""  # noqa: S608 - built from constants and integers only


def _base(scale: Scale) -> str:
    return f"""
DELETE FROM procurements WHERE ocid LIKE '{OCID}%';
DELETE FROM projects WHERE origin = 'bench' AND tenant_id >= '500000' AND tenant_id < '800000';
DROP TABLE IF EXISTS bench_projects;
CREATE TEMP TABLE bench_projects AS
SELECT r.n * {AREAS} + a.i AS n, r.code AS tenant_id, gen_random_uuid() AS id,
       (ARRAY['urban_migrants', 'rural_left_behind', 'elderly_disabled_care',
              'special_groups', 'disaster_recovery'])[a.i + 1] AS area
  FROM bench_regions r, generate_series(0, {AREAS - 1}) a(i);
INSERT INTO projects (tenant_id, id, fiscal_year, title, programme_area, target_groups,
                      county_code, estimated_beneficiaries, rationale, service_months, status,
                      origin, estimated_amount, created_by)
SELECT tenant_id, id, {YEAR}, '基准项目', area, '{{migrants}}', tenant_id, 100, '基准', 12,
       'approved', 'bench', 400000, '{NOBODY}'
  FROM bench_projects;
INSERT INTO procurements (tenant_id, id, ocid, project_id, budget_line_id, commitment_id,
                          title, requirements, method, status, budget_amount, ceiling_price,
                          bid_security, qualification_criteria, criteria, bid_deadline,
                          opening_at, warnings_sent, created_by, created_at, awarded_price)
SELECT p.tenant_id, gen_random_uuid(), '{OCID}' || g, p.id, '{NOBODY}', '{NOBODY}', '基准采购',
       '基准', (ARRAY['open_tender', 'open_tender', 'competitive_consultation',
                      'competitive_negotiation', 'single_source'])[1 + g % 5],
       CASE WHEN g % 10 = 0 THEN 'failed' WHEN g % 10 < 7 THEN 'awarded' ELSE 'tendering' END,
       360000, 350000, 0, '{{}}', '[]', now(), now(), '{{}}', '{NOBODY}',
       timestamptz '{YEAR}-01-01 08:00+08' + (g % 360) * interval '1 day',
       CASE WHEN g % 10 BETWEEN 1 AND 6 THEN 300000 + (g % 50) * 1000 END
  FROM generate_series(1, {scale.procurements}) g
  JOIN bench_projects p ON p.n = (g % (SELECT count(*) FROM bench_regions)) * {AREAS}
                                 + (g / (SELECT count(*) FROM bench_regions)) % {AREAS};
"""  # noqa: S608 - built from constants only


_QUARTER = "extract(quarter FROM (x.created_at AT TIME ZONE 'Asia/Shanghai'))::int"


def _summaries(scale: Scale) -> str:
    return f"""
DELETE FROM statistics_summaries WHERE fiscal_year = {YEAR} AND tenant_id >= '500000'
                                   AND tenant_id < '800000';
INSERT INTO statistics_summaries
SELECT x.tenant_id, {YEAR}, {_QUARTER}, p.programme_area, m.metric, m.dimension, sum(m.value)
  FROM procurements x
  JOIN projects p ON p.tenant_id = x.tenant_id AND p.id = x.project_id
 CROSS JOIN LATERAL (VALUES
   ('procurements', x.method, 1::numeric),
   ('procurements_failed', x.method, CASE WHEN x.status = 'failed' THEN 1 END),
   ('budget_awarded', '', CASE WHEN x.awarded_price IS NOT NULL THEN x.budget_amount END),
   ('awarded_value', '', x.awarded_price)) m(metric, dimension, value)
 WHERE x.ocid LIKE '{OCID}%' AND m.value IS NOT NULL
 GROUP BY 1, 3, 4, 5, 6;
INSERT INTO statistics_summaries
SELECT r.code, {YEAR}, q, a.area, d.metric, d.dimension, 1000 + (r.n * 7 + q * 13) % 5000
  FROM bench_regions r, generate_series(1, 4) q,
       (SELECT DISTINCT programme_area AS area FROM projects WHERE origin = 'bench') a,
       (SELECT 'budget_approved' AS metric, s AS dimension FROM unnest(ARRAY['general_budget',
          'lottery_welfare_fund', 'central_special_fund', 'social_funds']) s
        UNION ALL SELECT 'people_served', g FROM unnest(ARRAY['migrants',
          'left_behind_children', 'left_behind_women', 'left_behind_elderly', 'elderly',
          'disabled', 'drug_users', 'at_risk_youth', 'people_with_hiv', 'mental_illness',
          'vagrants', 'community_correction', 'families', 'disaster_victims']) g
        UNION ALL SELECT 'service_hours', l FROM unnest(ARRAY['senior_social_worker',
          'social_worker', 'assistant_social_worker', 'uncertified', 'volunteer']) l
        UNION ALL SELECT 'evaluations', e FROM unnest(ARRAY['excellent', 'good', 'pass',
          'fail']) e
        UNION ALL SELECT 'acceptances', e FROM unnest(ARRAY['pass', 'fail']) e
        UNION ALL SELECT m, '' FROM unnest(ARRAY['contracts', 'contracted_value', 'paid']) m
       ) d;
DELETE FROM statistics_providers WHERE fiscal_year = {YEAR} AND tenant_id >= '500000'
                                   AND tenant_id < '800000';
INSERT INTO statistics_providers
SELECT DISTINCT r.code, {YEAR},
       ('{PROVIDER_IDS}' || lpad(((r.n * 7919 + k * 104729) % {scale.providers})::text, 12,
                                 '0'))::uuid,
       CASE WHEN (r.n * 7919 + k * 104729) % {scale.providers} % 4 = 0 THEN 'enterprise'
            ELSE 'social_organisation' END
  FROM bench_regions r
 CROSS JOIN generate_series(1, 20) k;
DELETE FROM statistics_provider_regions WHERE fiscal_year = {YEAR}
                                          AND provider_id::text LIKE '{PROVIDER_IDS}%';
INSERT INTO statistics_provider_regions
SELECT {YEAR}, provider_id, min(kind), count(*) FROM statistics_providers
 WHERE fiscal_year = {YEAR} AND provider_id::text LIKE '{PROVIDER_IDS}%' GROUP BY provider_id;
"""  # noqa: S608 - built from constants only


@dataclass(frozen=True)
class Timing:
    label: str
    p50_ms: float
    p95_ms: float
    rounds: int
    rows: int


@dataclass(frozen=True)
class Report:
    regions: int
    procurements: int
    summary_rows: int
    generated_s: float | None  # None: reused from an earlier run
    timings: list[Timing]


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def generate(owner: asyncpg.Connection, scale: Scale = NATIONAL) -> float | None:
    """Make what is missing: the base rows, then the summaries. None: all there already.
    Base rows of another scale are removed first (``remove``)."""
    async with owner.transaction():
        base = await owner.fetchval(
            "SELECT count(*) FROM procurements WHERE ocid LIKE $1", OCID + "%"
        )
        summed = await owner.fetchval(
            "SELECT count(*) FROM statistics_provider_regions WHERE fiscal_year = $1"
            " AND provider_id::text LIKE $2",
            YEAR,
            PROVIDER_IDS + "%",
        )
    if base == scale.procurements and summed:
        async with owner.transaction():
            await owner.execute(_regions(scale))
        return None
    started = time.perf_counter()
    if base != scale.procurements:
        await remove(owner)
    async with owner.transaction():
        # A load, not activity: the statistics triggers (and FK checks) stay off for it.
        await owner.execute("SET LOCAL session_replication_role = replica")
        await owner.execute(_regions(scale))
        if base != scale.procurements:
            await owner.execute(_base(scale))
        await owner.execute(_summaries(scale))
    for table in ("projects", "procurements", "statistics_summaries"):
        await owner.execute(f"ANALYZE {table}")
    for prefix in scale.prefixes:
        async with owner.transaction():
            await owner.execute("SELECT set_config('app.tenant_id', $1, true)", f"{prefix}0000")
            await owner.execute("SELECT statistics_roll_up($1)", YEAR)
    for table in ("statistics_province_rollups", "statistics_provider_regions"):
        await owner.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


# The bench's own regions: in its range of codes, and named by it.
_OURS = "code >= '500000' AND code < '800000' AND name = '基准' || code"
_REMOVE = f"""
SET LOCAL session_replication_role = replica;
DELETE FROM statistics_province_rollups
 WHERE fiscal_year = {YEAR} AND province IN (SELECT code FROM tenants WHERE {_OURS});
DELETE FROM statistics_provider_regions
 WHERE fiscal_year = {YEAR} AND provider_id::text LIKE '{PROVIDER_IDS}%';
DELETE FROM statistics_providers WHERE tenant_id IN (SELECT code FROM tenants WHERE {_OURS});
DELETE FROM statistics_summaries WHERE tenant_id IN (SELECT code FROM tenants WHERE {_OURS});
DELETE FROM statistics_dirty WHERE tenant_id IN (SELECT code FROM tenants WHERE {_OURS});
DELETE FROM procurements WHERE ocid LIKE '{OCID}%';
DELETE FROM projects
 WHERE origin = 'bench' AND tenant_id IN (SELECT code FROM tenants WHERE {_OURS});
DELETE FROM tenants WHERE {_OURS};
DROP TABLE IF EXISTS bench_regions, bench_projects;
"""  # noqa: S608 - built from constants only


async def remove(owner: asyncpg.Connection) -> None:
    """Everything ``generate`` made, at any scale: its regions, projects and procurements,
    their summaries and rollups, its providers' counts; nothing else."""
    async with owner.transaction():
        await owner.execute(_REMOVE)


async def _time(
    label: str, rounds: int, call: Callable[[], Awaitable[list[asyncpg.Record]]]
) -> Timing:
    await call()  # warm
    spent, rows = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        rows = len(await call())
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    p95 = spent[min(len(spent) - 1, int(len(spent) * 0.95))]
    return Timing(label, statistics.median(spent), p95, rounds, rows)


def _figures(app: asyncpg.Connection, scope: str) -> Callable[[], Awaitable[list[asyncpg.Record]]]:
    async def call() -> list[asyncpg.Record]:
        async with app.transaction():
            await app.execute("SELECT set_config('app.tenant_id', $1, true)", scope)
            return list(await app.fetch("SELECT * FROM statistics_figures($1, NULL, NULL)", YEAR))

    return call


def _raw(owner: asyncpg.Connection, prefix: str) -> Callable[[], Awaitable[list[asyncpg.Record]]]:
    sql = (
        "SELECT x.method, count(*), count(*) FILTER (WHERE x.status = 'failed'),"
        " sum(x.awarded_price), sum(x.budget_amount) FILTER (WHERE x.awarded_price IS NOT NULL)"
        " FROM procurements x JOIN projects p ON p.tenant_id = x.tenant_id"
        " AND p.id = x.project_id"
        " WHERE p.fiscal_year = $1 AND x.tenant_id LIKE $2 AND x.ocid LIKE $3"
        " GROUP BY x.method"
    )

    async def call() -> list[asyncpg.Record]:
        return list(await owner.fetch(sql, YEAR, prefix + "%", OCID + "%"))

    return call


async def _run(settings: Settings) -> Report:
    owner = await asyncpg.connect(_plain(settings.database_url))
    app = await asyncpg.connect(_plain(settings.app_database_url))
    try:
        generated = await generate(owner)
        regions = await owner.fetchval("SELECT count(*) FROM bench_regions")
        rows = await owner.fetchval(
            "SELECT count(*) FROM statistics_summaries WHERE fiscal_year = $1", YEAR
        )
        timings = [
            await _time(
                "national: statistics_figures, bound to 000000", ROUNDS, _figures(app, "000000")
            ),
            await _time(
                f"province {PROVINCE}: statistics_figures", ROUNDS, _figures(app, PROVINCE)
            ),
            await _time(
                "national: raw GROUP BY procurements ⋈ projects", RAW_ROUNDS, _raw(owner, "")
            ),
            await _time(
                f"province {PROVINCE}: raw GROUP BY procurements ⋈ projects",
                RAW_ROUNDS,
                _raw(owner, PROVINCE[:2]),
            ),
        ]
    finally:
        await app.close()
        await owner.close()
    return Report(regions, NATIONAL.procurements, rows, generated, timings)


def run(settings: Settings) -> Report:
    return asyncio.run(_run(settings))
