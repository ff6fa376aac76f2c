"""A province's rules bind its cities, which may only tighten them; where each value comes
from; the approval of non-open methods below the threshold as a province's switch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.demo.tenants import PROVINCE_THRESHOLD
from services.kit.db import PLATFORM_TENANT, transaction
from services.tendering import rules
from services.tendering.rules import NATIONAL
from tests.support.client import Client, Login
from tests.support.database import Sessions
from tests.support.demo import GD, GZ, ROLE_LOGINS, SZ, city_login
from tests.support.tendering import Tenderer, assert_rule_broken, later, procurement_body

pytestmark = pytest.mark.usefixtures("demo")

PROVINCE_ADMIN = "admin@gd.demo.gov.cn"
DEMO_PROVINCE = {"open_tender_threshold_yuan": PROVINCE_THRESHOLD}


def url(tenant: str) -> str:
    return f"/v1/tenants/{tenant}/tendering-rules"


def by_rule(response: httpx.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {rule["rule"]: rule for rule in response.json()["rules"]}


def loosened(response: httpx.Response, rule: str) -> str:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["code"], problem["rule"]) == ("rule_loosened", rule), problem
    assert problem["errors"] == [{"field": rule, "message": problem["detail"]}]
    return str(problem["detail"])


class Rules:
    """The demo province's and 广州's rules set through the API, put back afterwards."""

    def __init__(self, client: Client, login: Login) -> None:
        self.client, self.login = client, login

    async def province(self, overrides: dict[str, Any]) -> httpx.Response:
        headers = await self.login(PROVINCE_ADMIN)
        return await self.client.put(url(GD), headers=headers, json=overrides)

    async def city(self, overrides: dict[str, Any], city: str = GZ) -> httpx.Response:
        headers = await self.login(city_login("civil_affairs_approver", city))
        return await self.client.put(url(city), headers=headers, json=overrides)

    async def read(self, tenant: str = GZ) -> httpx.Response:
        if tenant == GD:
            headers = await self.login(PROVINCE_ADMIN)
        else:
            headers = await self.login(city_login("finance_officer", tenant))
        return await self.client.get(url(tenant), headers=headers)


@pytest.fixture
async def regions(client: Client, login: Login) -> AsyncIterator[Rules]:
    rules = Rules(client, login)
    try:
        yield rules
    finally:
        assert (await rules.city({})).status_code == 200
        assert (await rules.province(DEMO_PROVINCE)).status_code == 200


async def test_the_provinces_threshold_binds_its_cities_which_may_only_lower_it(
    regions: Rules,
) -> None:
    city = by_rule(await regions.read())["open_tender_threshold_yuan"]
    assert (city["value"], city["national"], city["origin"], city["province"]) == (
        PROVINCE_THRESHOLD,
        "2000000",
        "province",
        GD,
    )
    assert city["kind"] == "max" and city["province_value"] == PROVINCE_THRESHOLD
    assert (await regions.read()).json()["province"] == GD
    province = by_rule(await regions.read(GD))["open_tender_threshold_yuan"]
    # The province stands to the law: it may set any figure from the law's 2,000,000 up.
    assert (province["value"], province["origin"], province["kind"]) == (
        PROVINCE_THRESHOLD,
        "province",
        "min",
    )
    assert "财库〔2019〕69号" in province["source"] and "国办发〔2019〕55号" in province["source"]

    raised = await regions.city({"open_tender_threshold_yuan": "5000000"})
    assert f"the province {GD} allows at most 4000000" in loosened(
        raised, "open_tender_threshold_yuan"
    )
    assert (await regions.read()).json()["overrides"] == {}
    below_law = await regions.province({"open_tender_threshold_yuan": "1500000"})
    assert "the law requires at least 2000000" in loosened(below_law, "open_tender_threshold_yuan")

    lowered = await regions.city({"open_tender_threshold_yuan": "3000000"})
    rule = by_rule(lowered)["open_tender_threshold_yuan"]
    assert (rule["value"], rule["origin"], rule["province"]) == ("3000000", "region", None)
    assert rule["province_value"] == PROVINCE_THRESHOLD
    # 深圳, under the same province, keeps the province's figure.
    other = by_rule(await regions.read(SZ))["open_tender_threshold_yuan"]
    assert (other["value"], other["origin"]) == (PROVINCE_THRESHOLD, "province")


async def test_a_provinces_tighter_rule_binds_its_city_and_the_city_cannot_loosen_it(
    regions: Rules, gz: Tenderer
) -> None:
    set_ = await regions.province({**DEMO_PROVINCE, "open_tender_min_days": 25})
    assert set_.status_code == 200, set_.text
    rule = by_rule(await regions.read())["open_tender_min_days"]
    assert (rule["value"], rule["origin"], rule["province"], rule["tightened"]) == (
        25,
        "province",
        GD,
        True,
    )
    # The city's procedure follows it: 22 days from the documents to the bids is too short.
    refused = await gz.client.post(
        gz.base,
        headers=await gz.as_("civil_affairs_officer"),
        json=procurement_body(await gz.line(), bid_deadline=later(days=22)),
    )
    assert_rule_broken(refused, "open_tender_min_days")

    looser = await regions.city({"open_tender_min_days": 22, "contract_days": 20})
    assert f"the province {GD} requires at least 25" in loosened(looser, "open_tender_min_days")
    assert (await regions.read()).json()["overrides"] == {}
    tighter = await regions.city({"open_tender_min_days": 30})
    assert by_rule(tighter)["open_tender_min_days"]["origin"] == "region"
    assert by_rule(tighter)["open_tender_min_days"]["value"] == 30


async def test_a_citys_override_overtaken_by_a_later_province_change_yields(
    regions: Rules,
) -> None:
    assert (await regions.city({"open_tender_min_days": 25})).status_code == 200
    assert (
        await regions.province({**DEMO_PROVINCE, "open_tender_min_days": 30})
    ).status_code == 200
    read = await regions.read()
    rule = by_rule(read)["open_tender_min_days"]
    assert (rule["value"], rule["origin"], rule["province"]) == (30, "province", GD)
    assert read.json()["overrides"] == {"open_tender_min_days": 25}  # kept, yielding
    # The province relents: the city's own figure is in force again.
    assert (await regions.province(DEMO_PROVINCE)).status_code == 200
    rule = by_rule(await regions.read())["open_tender_min_days"]
    assert (rule["value"], rule["origin"], rule["province"]) == (25, "region", None)


async def _negotiation(gz: Tenderer) -> str:
    suppliers = [await gz.bidder() for _ in range(3)]
    procurement = await gz.negotiation(suppliers)
    return str(procurement["id"])


async def test_approval_below_the_threshold_is_the_provinces_switch(
    regions: Rules, gz: Tenderer
) -> None:
    approval = by_rule(await regions.read())["approval_below_threshold"]
    assert (approval["value"], approval["origin"], approval["national"]) == (True, "law", True)
    assert "民发〔2012〕196号" in approval["source"]
    # A city cannot drop 196号's approval the province keeps.
    off = await regions.city({"approval_below_threshold": False})
    assert "the law keeps it on" in loosened(off, "approval_below_threshold")
    wrong = await regions.city({"approval_below_threshold": "no"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "validation_failed"

    turned = await regions.province({**DEMO_PROVINCE, "approval_below_threshold": False})
    assert turned.status_code == 200, turned.text
    rule = by_rule(await regions.read())["approval_below_threshold"]
    assert (rule["value"], rule["origin"]) == (False, "province")

    officer = await gz.as_("civil_affairs_officer")
    # 360,000 元, below 广东's 4,000,000: published without finance.
    below = await _negotiation(gz)
    asked = await gz.client.post(f"{gz.base}/{below}/submit-for-approval", headers=officer)
    assert asked.status_code == 409, asked.text
    published = await gz.client.post(f"{gz.base}/{below}/publish", headers=officer, json={})
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "tendering"

    # The city keeps 196号's approval for itself: a region may turn it on.
    on = await regions.city({"approval_below_threshold": True})
    assert by_rule(on)["approval_below_threshold"]["origin"] == "region"
    kept = await _negotiation(gz)
    early = await gz.client.post(f"{gz.base}/{kept}/publish", headers=officer, json={})
    assert early.status_code == 409, early.text

    # At or above the threshold the law asks finance's approval whatever the switch says.
    lowered = await regions.city({"open_tender_threshold_yuan": "300000"})
    assert lowered.status_code == 200, lowered.text
    above = await _negotiation(gz)
    early = await gz.client.post(f"{gz.base}/{above}/publish", headers=officer, json={})
    assert early.status_code == 409, early.text
    asked = await gz.client.post(f"{gz.base}/{above}/submit-for-approval", headers=officer)
    assert asked.status_code == 200, asked.text


async def test_a_single_source_nobody_need_approve_is_approved_on_submission_with_the_reason(
    regions: Rules, gz: Tenderer
) -> None:
    turned = await regions.province({**DEMO_PROVINCE, "approval_below_threshold": False})
    assert turned.status_code == 200, turned.text
    only = await gz.bidder()
    # 360,000 元, below 广东's 4,000,000 and no notice due: approved by the region's rules.
    procurement = await gz.single_source(only, "本市唯一具备该项服务资质的机构")
    assert procurement["status"] == "approved"
    assert procurement["approved_by"] is None
    assert "approval_below_threshold is off" in (procurement["approval_note"] or "")
    officer = await gz.as_("civil_affairs_officer")
    read = await gz.client.get(f"{gz.base}/{procurement['id']}", headers=officer)
    [*_, last] = read.json()["transitions"]
    assert (last["from_status"], last["to_status"]) == ("draft", "approved")
    assert "approval_below_threshold is off" in last["reason"]


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_a_city_cannot_read_or_set_its_provinces_rules_nor_another_citys(
    client: Client, login: Login, method: str
) -> None:
    for tenant in (GD, SZ):
        for role in ("tenant_admin", "civil_affairs_approver"):
            response = await client.request(
                method,
                url(tenant),
                headers=await login(ROLE_LOGINS[role]),
                json={"open_tender_min_days": 30} if method == "PUT" else None,
            )
            assert response.status_code == 403, response.text
    # The province's viewer reads statistics, not the rules' settings.
    viewer = await client.request(
        method,
        url(GD),
        headers=await login(ROLE_LOGINS["province_viewer"]),
        json={} if method == "PUT" else None,
    )
    assert viewer.status_code == 403, viewer.text


# --- the narrow path and the merge --------------------------------------------------------------


async def test_a_region_reads_only_its_own_provinces_overrides(
    sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    async with transaction(sessionmaker, GZ) as session:
        rows = (await session.execute(text("SELECT * FROM province_tendering_rules()"))).all()
        assert [(row.province, row.overrides) for row in rows] == [(GD, DEMO_PROVINCE)]
        # The table itself still shows the region its own row only.
        seen = await session.scalars(text("SELECT tenant_id FROM tendering_rules"))
        assert set(seen.all()) <= {GZ}
    # A region under a province that keeps no rules learns nothing, and no other province's.
    region = "990100"  # a city under no hosted province; _fresh_tenant never makes it
    await admin_db.execute(
        "INSERT INTO tenants (code, name, level, parent_code, active)"
        " VALUES ($1, '规则市', 'city', NULL, true) ON CONFLICT DO NOTHING",
        region,
    )
    async with transaction(sessionmaker, region) as session:
        assert (await session.execute(text("SELECT * FROM province_tendering_rules()"))).all() == []
        assert await rules.rules_for(session, region) == NATIONAL
    with pytest.raises(DBAPIError, match="answers a region"):
        async with transaction(sessionmaker, PLATFORM_TENANT) as session:
            await session.execute(text("SELECT * FROM province_tendering_rules()"))


def test_a_county_is_bound_by_its_province_and_yields_as_a_city_does() -> None:
    province = {"open_tender_min_days": 25, "open_tender_threshold_yuan": "4000000"}
    county = {"open_tender_min_days": 22, "contract_days": 20, "open_tender_threshold_yuan": "1"}
    resolved = rules.resolve("440106", province, county)
    assert resolved.rules.open_tender_min_days == 25  # the county's 22 yields
    assert resolved.origins["open_tender_min_days"] == "province"
    assert resolved.rules.contract_days == 20 and resolved.origins["contract_days"] == "region"
    assert resolved.rules.open_tender_threshold_yuan == Decimal(1)
    assert resolved.province == GD and resolved.origins["committee_min_members"] == "law"
    # A province's own stored value below a (later, stricter) law yields to the law.
    itself = rules.resolve(GD, {}, {"open_tender_threshold_yuan": "4000000", "contract_days": 40})
    assert itself.rules.contract_days == 30 and itself.origins["contract_days"] == "law"
    assert itself.origins["open_tender_threshold_yuan"] == "province"
    # A province may turn 196号's approval off; a region under it turns it on, never off.
    off = rules.resolve("440106", {"approval_below_threshold": False}, {})
    assert off.rules.approval_below_threshold is False
    on = rules.resolve("440106", {}, {"approval_below_threshold": False})
    assert (
        on.rules.approval_below_threshold is True
        and on.origins["approval_below_threshold"] == "law"
    )
