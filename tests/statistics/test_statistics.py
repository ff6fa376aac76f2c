"""Statistics for the ministry, the provinces and the regions (issue 14): figures kept through
the outbox from what the contexts record, rolled up to the province and the nation, readable
only by who may see each scope, and rebuilt from the base tables with nothing to correct."""

from __future__ import annotations

import json
import random
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import dramatiq
import pytest

from services.kit.jobs import run_once
from services.statistics import tasks
from services.statistics.rebuild import rebuild
from services.statistics.refresh import JOB
from services.statistics.sweep import refresh_key
from tests.support.accounts import grant, open_account
from tests.support.client import Client, Login, json_of
from tests.support.contracts import single_source_deal
from tests.support.database import Sessions
from tests.support.demo import GD, GZ, ROLE_LOGINS, SZ, city_login
from tests.support.jobs import relay_and_run
from tests.support.planning import YEAR
from tests.support.statistics import refreshed, sweep
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

PASSWORD = "Statistics2026pass"
MINISTRY = ROLE_LOGINS["ministry_viewer"]
GD_VIEWER = ROLE_LOGINS["province_viewer"]


async def figures(client: Client, headers: dict[str, str], scope: str, **params: Any) -> Any:
    path = "/v1/statistics/national" if scope == "national" else f"/v1/statistics/{scope}"
    return json_of(await client.get(path, headers=headers, params={"year": YEAR, **params}))


def money(value: str) -> Decimal:
    return Decimal(value)


async def base_procurements(admin_db: asyncpg.Connection, prefix: str) -> dict[str, int]:
    """Procurements by method, straight from the base tables (the regions under ``prefix``)."""
    rows = await admin_db.fetch(
        "SELECT x.method, count(*) FROM procurements x JOIN projects p"
        " ON p.tenant_id = x.tenant_id AND p.id = x.project_id"
        " WHERE x.tenant_id LIKE $1 AND p.fiscal_year = $2 AND x.status <> 'draft'"
        " GROUP BY x.method",
        prefix + "%",
        YEAR,
    )
    return {row["method"]: row["count"] for row in rows}


async def base_money(admin_db: asyncpg.Connection, prefix: str) -> tuple[Decimal, Decimal]:
    """(contracted value of signed contracts, paid) straight from the base tables."""
    contracted = await admin_db.fetchval(
        "SELECT coalesce(sum(c.price), 0) FROM contracts c JOIN projects p"
        " ON p.tenant_id = c.tenant_id AND p.id = c.project_id"
        " WHERE c.tenant_id LIKE $1 AND p.fiscal_year = $2 AND c.signed_at IS NOT NULL",
        prefix + "%",
        YEAR,
    )
    paid = await admin_db.fetchval(
        "SELECT coalesce(sum(pay.amount), 0) FROM contract_payments pay JOIN contracts c"
        " ON c.tenant_id = pay.tenant_id AND c.id = pay.contract_id JOIN projects p"
        " ON p.tenant_id = c.tenant_id AND p.id = c.project_id"
        " WHERE pay.tenant_id LIKE $1 AND p.fiscal_year = $2 AND pay.status = 'paid'",
        prefix + "%",
        YEAR,
    )
    return Decimal(contracted), Decimal(paid)


async def base_provider_kinds(admin_db: asyncpg.Connection, prefix: str) -> dict[str, int]:
    """Distinct providers of signed contracts by the USCC's registration authority."""
    rows = await admin_db.fetch(
        "SELECT CASE left(v.uscc, 1) WHEN '5' THEN 'social_organisation'"
        " WHEN '9' THEN 'enterprise' ELSE 'other' END AS kind, count(DISTINCT v.id)"
        " FROM contracts c JOIN projects p ON p.tenant_id = c.tenant_id AND p.id = c.project_id"
        " JOIN providers v ON v.id = c.provider_id"
        " WHERE c.tenant_id LIKE $1 AND p.fiscal_year = $2 AND c.signed_at IS NOT NULL"
        " GROUP BY 1",
        prefix + "%",
        YEAR,
    )
    return {row["kind"]: row["count"] for row in rows}


async def test_figures_follow_scripted_activity_in_two_cities(
    client: Client,
    login: Login,
    gz: Tenderer,
    sz: Tenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    admin_db: asyncpg.Connection,
) -> None:
    await refreshed(sessionmaker, broker)
    gz_civil = await login(city_login("civil_affairs_officer"))
    sz_civil = await login(city_login("civil_affairs_officer", SZ))
    ministry, viewer = await login(MINISTRY), await login(GD_VIEWER)
    before = {
        GZ: await figures(client, gz_civil, GZ),
        SZ: await figures(client, sz_civil, SZ),
        GD: await figures(client, viewer, GD),
        "national": await figures(client, ministry, "national"),
    }

    # 广州: two open tenders published and a single source taken to a signed, paid contract;
    # 深圳: one open tender published. Each comes with its own approved budget line.
    await gz.published()
    await gz.published()
    deal = await single_source_deal(gz)
    await deal.signed()
    payment = await deal.paid_first_instalment()
    await sz.published()
    await refreshed(sessionmaker, broker)

    after = {
        GZ: await figures(client, gz_civil, GZ),
        SZ: await figures(client, sz_civil, SZ),
        GD: await figures(client, viewer, GD),
        "national": await figures(client, ministry, "national"),
    }
    grown = {GZ: 3, SZ: 1, GD: 4, "national": 4}
    budgets = {GZ: 3, SZ: 1, GD: 4, "national": 4}
    for scope, count in grown.items():
        was, now = before[scope], after[scope]
        assert now["procurements"]["total"] - was["procurements"]["total"] == count, scope
        assert money(now["budget_approved"]) - money(was["budget_approved"]) == budgets[
            scope
        ] * Decimal("368406.00"), scope
        assert money(now["budget_by_funding_source"]["lottery_welfare_fund"]) - money(
            was["budget_by_funding_source"].get("lottery_welfare_fund", "0")
        ) == budgets[scope] * Decimal("68406.00")
    for scope in (GZ, GD, "national"):
        was, now = before[scope], after[scope]
        assert now["contracts"]["count"] - was["contracts"]["count"] == 1
        assert money(now["contracts"]["contracted_value"]) - money(
            was["contracts"]["contracted_value"]
        ) == Decimal("336000.00")
        assert money(now["contracts"]["paid"]) - money(was["contracts"]["paid"]) == money(
            payment["amount"]
        )
        single = now["procurements"]["by_method"].get("single_source", 0)
        assert single - was["procurements"]["by_method"].get("single_source", 0) == 1
    assert after[SZ]["contracts"] == before[SZ]["contracts"]

    # What the figures say is what the base tables say.
    for scope, prefix in ((GZ, "4401"), (SZ, "4403"), (GD, "44")):
        assert after[scope]["procurements"]["by_method"] == await base_procurements(
            admin_db, prefix
        )
        contracted, paid = await base_money(admin_db, prefix)
        assert money(after[scope]["contracts"]["contracted_value"]) == contracted
        assert money(after[scope]["contracts"]["paid"]) == paid
    gd = after[GD]["procurements"]
    assert gd["open_tender_share"] == round(gd["by_method"].get("open_tender", 0) / gd["total"], 4)
    # The provider that signed counts once, as the social organisation its USCC says it is;
    # each provider once however many regions it works in.
    assert after[GZ]["providers"]["by_kind"].get("social_organisation", 0) >= 1
    for scope, prefix in ((GZ, "4401"), (GD, "44"), ("national", "")):
        kinds = await base_provider_kinds(admin_db, prefix)
        assert after[scope]["providers"]["by_kind"] == kinds, scope

    # The region's own users list the rows a figure counts.
    rows = await client.get(
        f"/v1/statistics/{GZ}/rows",
        headers=gz_civil,
        params={"year": YEAR, "metric": "contracted_value", "limit": 200},
    )
    listed = {item["id"]: item for item in json_of(rows)["items"]}
    assert listed[deal.contract["id"]]["value"] == "336000.00"
    assert listed[deal.contract["id"]]["kind"] == "contract"

    # Rebuilding from the base tables finds nothing to correct.
    said: list[str] = []
    assert await rebuild(sessionmaker, [GZ, SZ, GD], said.append) == 0, said


async def test_rebuild_reports_a_summary_that_differs_from_the_base_tables(
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    admin_db: asyncpg.Connection,
    gz: Tenderer,
) -> None:
    await gz.published()
    await refreshed(sessionmaker, broker)
    await admin_db.execute(
        "UPDATE statistics_summaries SET value = value + 1"
        " WHERE tenant_id = $1 AND fiscal_year = $2 AND metric = 'procurements'",
        GZ,
        YEAR,
    )
    said: list[str] = []
    assert await rebuild(sessionmaker, [GZ], said.append) == 1
    assert any("procurements[open_tender]" in line for line in said), said
    # The rebuild put it right.
    assert await rebuild(sessionmaker, [GZ], said.append) == 0


async def test_a_duplicated_or_replayed_refresh_counts_nothing_twice(
    client: Client,
    login: Login,
    gz: Tenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    admin_db: asyncpg.Connection,
) -> None:
    await gz.published()
    await refreshed(sessionmaker, broker)
    ministry = await login(MINISTRY)
    gz_civil = await login(city_login("civil_affairs_officer"))
    before = (await figures(client, gz_civil, GZ), await figures(client, ministry, "national"))

    # The same event delivered again under its key, and a duplicate under a key of its own.
    key = await admin_db.fetchval(
        "SELECT message_key FROM processed_messages WHERE tenant_id = $1 AND actor_name = $2"
        " ORDER BY processed_at DESC LIMIT 1",
        GZ,
        JOB,
    )
    assert key is not None
    await run_once(tasks.statistics_refresh, JOB, GZ, key, {"year": YEAR}, None, sessionmaker)
    for message_key in (key, f"{JOB}:{GZ}:{YEAR}:duplicate-{uuid.uuid4()}"):
        await admin_db.execute(
            "INSERT INTO outbox (tenant_id, id, message_key, actor_name, queue_name, payload,"
            " available_at, attempts, batchable, retries)"
            " VALUES ($1, $2, $3, $4, 'default', $5::jsonb, now(), 0, true, 0)",
            GZ,
            uuid.uuid4(),
            message_key,
            JOB,
            json.dumps({"year": YEAR}),
        )
    await refreshed(sessionmaker, broker)

    after = (await figures(client, gz_civil, GZ), await figures(client, ministry, "national"))
    assert after == before


async def queued_refreshes(admin_db: asyncpg.Connection, since: Any) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await admin_db.fetch(
        "SELECT tenant_id, message_key, payload FROM outbox"
        " WHERE actor_name = $1 AND created_at > $2 ORDER BY tenant_id, message_key",
        JOB,
        since,
    )
    return rows


async def test_one_transaction_marks_its_region_and_year_dirty_and_queues_nothing(
    gz: Tenderer, sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    """Finance's decision changes the budget, its lines and their sources in one transaction:
    广州's year is marked dirty once, with the change, and no job is queued until the sweep."""
    budget = await gz.planner.submitted_budget(projects=2)
    mark = await admin_db.fetchval("SELECT clock_timestamp()")
    decided = await gz.client.post(
        f"{gz.planner.base}/budgets/{budget['id']}/decision",
        headers=await gz.as_("finance_approver"),
        json={"outcome": "approved", "comment": "同意"},
    )
    assert json_of(decided)["status"] == "approved"
    marked = await admin_db.fetchval(
        "SELECT marked_at FROM statistics_dirty WHERE tenant_id = $1 AND fiscal_year = $2",
        GZ,
        YEAR,
    )
    assert marked is not None and marked > mark
    assert await queued_refreshes(admin_db, mark) == []

    await sweep(sessionmaker)
    queued = [row for row in await queued_refreshes(admin_db, mark) if row["tenant_id"] == GZ]
    assert len(queued) == 1, queued
    # The key names the mark: a sweep that runs again before the refresh queues the same key.
    payload = json.loads(queued[0]["payload"])
    assert payload["year"] == YEAR
    assert queued[0]["message_key"] == refresh_key(GZ, YEAR, payload["marked_at"])


async def test_a_burst_of_changes_is_refreshed_once_per_region_and_year(
    gz: Tenderer,
    sz: Tenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    admin_db: asyncpg.Connection,
) -> None:
    await refreshed(sessionmaker, broker)
    mark = await admin_db.fetchval("SELECT clock_timestamp()")
    # Many transactions in two cities: budgets decided, lines approved, tenders published.
    for _ in range(3):
        await gz.published()
    await sz.published()
    await relay_and_run(sessionmaker, broker)
    assert await queued_refreshes(admin_db, mark) == []

    await sweep(sessionmaker)
    queued = await queued_refreshes(admin_db, mark)
    per_region_year = [
        (row["tenant_id"], json.loads(row["payload"])["year"])
        for row in queued
        if row["tenant_id"] in (GZ, SZ)
    ]
    assert sorted(per_region_year) == [(GZ, YEAR), (SZ, YEAR)], queued
    await relay_and_run(sessionmaker, broker)
    refreshes = await admin_db.fetchval(
        "SELECT count(*) FROM processed_messages WHERE tenant_id = ANY($1::text[])"
        " AND actor_name = $2 AND processed_at > $3",
        [GZ, SZ],
        JOB,
        mark,
    )
    assert refreshes == 2
    # Refreshed: nothing left dirty in either city, and the figures are the base tables'.
    left = await admin_db.fetchval(
        "SELECT count(*) FROM statistics_dirty WHERE tenant_id = ANY($1::text[])", [GZ, SZ]
    )
    assert left == 0
    said: list[str] = []
    assert await rebuild(sessionmaker, [GZ, SZ], said.append) == 0, said


async def test_a_change_marked_after_the_sweep_stays_dirty_for_the_next(
    gz: Tenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    admin_db: asyncpg.Connection,
) -> None:
    await refreshed(sessionmaker, broker)
    await gz.published()
    await relay_and_run(sessionmaker, broker)
    await sweep(sessionmaker)
    swept = await admin_db.fetchval(
        "SELECT marked_at FROM statistics_dirty WHERE tenant_id = $1 AND fiscal_year = $2",
        GZ,
        YEAR,
    )
    # A change after the sweep, before its refresh runs: the refresh leaves the later mark.
    await gz.published()
    await relay_and_run(sessionmaker, broker)
    later = await admin_db.fetchval(
        "SELECT marked_at FROM statistics_dirty WHERE tenant_id = $1 AND fiscal_year = $2",
        GZ,
        YEAR,
    )
    assert later is not None and later > swept
    # The next sweep refreshes it, and clears it.
    await refreshed(sessionmaker, broker)
    left = await admin_db.fetchval(
        "SELECT count(*) FROM statistics_dirty WHERE tenant_id = $1 AND fiscal_year = $2",
        GZ,
        YEAR,
    )
    assert left == 0
    said: list[str] = []
    assert await rebuild(sessionmaker, [GZ], said.append) == 0, said


async def _fresh_province(client: Client, platform: dict[str, str]) -> str:
    """A province of this test's own, with a city and a county under it."""
    for prefix in random.sample(range(60, 99), 39):
        code = f"{prefix}0000"
        created = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"统计省{prefix}"}
        )
        if created.status_code == 201:
            for child, name in ((f"{prefix}0100", "统计市"), (f"{prefix}0103", "统计区")):
                made = await client.post(
                    "/v1/platform/tenants", headers=platform, json={"code": child, "name": name}
                )
                assert made.status_code == 201, made.text
            return code
    raise AssertionError("no free province code")


async def test_who_sees_which_scope(client: Client, login: Login) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    other = await _fresh_province(client, platform)
    _, email = await open_account(client, platform, PASSWORD, tenant=other, prefix="viewer")
    await grant(client, platform, other, email, "province_viewer")
    other_viewer = await login(email, PASSWORD)
    viewer, ministry = await login(GD_VIEWER), await login(MINISTRY)
    gz_civil = await login(city_login("civil_affairs_officer"))
    sz_finance = await login(city_login("finance_officer", SZ))

    def status(headers: dict[str, str], scope: str) -> Any:
        path = "/v1/statistics/national" if scope == "national" else f"/v1/statistics/{scope}"
        return client.get(path, headers=headers, params={"year": YEAR})

    # The province viewer: its province and every region under it; another province is 404.
    for scope in (GD, GZ, SZ):
        response = await status(viewer, scope)
        assert response.status_code == 200, response.text
    for scope in (other, other[:2] + "0100", other[:2] + "0103"):
        assert (await status(viewer, scope)).status_code == 404
    assert (await status(other_viewer, GD)).status_code == 404
    assert (await status(other_viewer, GZ)).status_code == 404
    assert (await status(other_viewer, other)).status_code == 200
    assert (await status(viewer, "national")).status_code == 403

    # The ministry: every region and the nation.
    for scope in ("national", GD, GZ, other):
        response = await status(ministry, scope)
        assert response.status_code == 200, response.text
    assert json_of(await status(ministry, "national"))["level"] == "national"

    # A city's own roles: their city; the province, another city and the nation are not theirs.
    assert (await status(gz_civil, GZ)).status_code == 200
    assert (await status(gz_civil, GD)).status_code == 404
    assert (await status(gz_civil, SZ)).status_code == 404
    assert (await status(gz_civil, "national")).status_code == 403
    assert (await status(sz_finance, GZ)).status_code == 404

    # The drill-down: the region's own users only; another region's is 404, a viewer's 403.
    rows = f"/v1/statistics/{GZ}/rows"
    params: dict[str, str | int] = {"year": YEAR, "metric": "procurements"}
    assert (await client.get(rows, headers=gz_civil, params=params)).status_code == 200
    assert (await client.get(rows, headers=sz_finance, params=params)).status_code == 404
    assert (await client.get(rows, headers=viewer, params=params)).status_code == 403
    assert (await client.get(rows, headers=ministry, params=params)).status_code == 403
    wrong = await client.get(rows, headers=gz_civil, params={"year": YEAR, "metric": "names"})
    assert wrong.status_code == 422, wrong.text
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert "metric" in wrong.text


async def test_small_counts_of_people_served_are_withheld_at_county_level(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    province = await _fresh_province(client, platform)
    city, county = province[:2] + "0100", province[:2] + "0103"
    # What a county's accepted progress reports add up to: 7 left-behind children (few enough
    # to point at a family) and 40 elderly people.
    for group, count in (("left_behind_children", 7), ("elderly", 40)):
        await admin_db.execute(
            "INSERT INTO statistics_summaries (tenant_id, fiscal_year, quarter, programme_area,"
            " metric, dimension, value) VALUES ($1, $2, 2, 'rural_left_behind',"
            " 'people_served', $3, $4)",
            county,
            YEAR,
            group,
            count,
        )
    ministry = await login(MINISTRY)

    shown = (await figures(client, ministry, county))["service"]
    assert shown["people_served_by_target_group"]["left_behind_children"] == {
        "value": None,
        "suppressed": True,
    }
    assert shown["people_served_by_target_group"]["elderly"] == {
        "value": 40,
        "suppressed": False,
    }
    assert shown["people_served"] == {"value": 47, "suppressed": False}
    # Summed into its city, the count no longer points at anybody.
    city_shown = (await figures(client, ministry, city))["service"]
    assert city_shown["people_served_by_target_group"]["left_behind_children"] == {
        "value": 7,
        "suppressed": False,
    }
    # The quarter and programme-area filters narrow the same rows.
    assert (await figures(client, ministry, county, quarter=3))["service"]["people_served"][
        "value"
    ] is None
    narrowed = await figures(client, ministry, county, quarter=2, programme_area="urban_migrants")
    assert narrowed["service"]["people_served_by_target_group"] == {}
