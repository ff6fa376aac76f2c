"""The legal numbers of procurement: each check refuses the breaking input and lets the boundary
pass; a region's overrides tighten and never loosen; the routes serve only their own region."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.errors import InvalidField
from services.tendering import rules
from services.tendering.rules import (
    KIND,
    NATIONAL,
    RULES,
    LegalRuleBroken,
    LegalRules,
    RuleLoosened,
    UnknownRule,
)
from tests.support.client import Client, Login
from tests.support.demo import GZ, ROLE_LOGINS, SZ, city_login
from tests.support.shanghai import end_of, sh

Sessions = async_sessionmaker[AsyncSession]


def broken(exc: pytest.ExceptionInfo[LegalRuleBroken], rule: str, field: str) -> str:
    """The refusal names the rule and the field, in the problem body as in the exception."""
    error = exc.value
    assert (error.status, error.code) == (422, "legal_rule_broken")
    assert (error.rule, error.field) == (rule, field)
    assert error.extra == {"rule": rule, "field": field}
    return error.detail


# --- the table ------------------------------------------------------------------------------


def test_every_rule_has_a_kind_a_source_and_a_national_default_within_its_bounds() -> None:
    assert set(KIND) == set(RULES) == set(rules.as_dict(NATIONAL))
    for name, info in RULES.items():
        assert info.source and info.description, name
        assert info.lowest <= getattr(NATIONAL, name) <= info.highest, name
        if info.odd:
            assert getattr(NATIONAL, name) % 2 == 1, name


def test_the_national_defaults() -> None:
    assert NATIONAL.open_tender_min_days == 20
    assert NATIONAL.committee_min_expert_share == Fraction(2, 3)
    assert NATIONAL.large_budget_yuan == Decimal("10000000")
    assert NATIONAL.bid_security_max_percent == Decimal("2")
    assert (KIND["open_tender_min_days"], KIND["bid_security_max_percent"]) == ("min", "max")
    assert KIND["challenge_working_days"] == "min"  # a supplier's right: never shortened
    assert KIND["challenge_answer_working_days"] == "max"


# --- time limits ----------------------------------------------------------------------------


def test_a_19_day_bid_period_is_refused_and_the_20th_day_passes() -> None:
    issued = sh(2026, 11, 2, 10)
    # The last refused instant: the end of the 19th day after the day of issue.
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_bid_period(NATIONAL, issued, end_of(date(2026, 11, 21)))
    detail = broken(exc, "open_tender_min_days", "bid_deadline")
    assert "20 days" in detail and "政府采购法 art. 35" in detail
    assert "2026-11-22 00:00" in detail
    # The first allowed: 00:00 of the 20th day, earlier on the clock than the issue was.
    rules.check_bid_period(NATIONAL, issued, sh(2026, 11, 22))
    # The same moment written in UTC is the same moment.
    rules.check_bid_period(NATIONAL, issued, sh(2026, 11, 22).astimezone(UTC))


def test_a_bid_period_with_naive_times_is_refused_outright() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.check_bid_period(NATIONAL, datetime(2026, 11, 2), sh(2026, 12, 30))


def test_a_clarification_14_days_before_the_deadline_moves_it() -> None:
    deadline = sh(2026, 12, 1, 9, 30)
    # Any time on 16 Nov keeps it (1 Dec is the 15th day after); 17 Nov 00:00 moves it a day,
    # to the same clock time.
    assert rules.check_clarification(NATIONAL, end_of(date(2026, 11, 16)), deadline) is None
    moved = rules.check_clarification(NATIONAL, sh(2026, 11, 17), deadline)
    assert moved == sh(2026, 12, 2, 9, 30)
    assert moved is not None and moved.tzinfo == UTC


def test_negotiation_response_counts_working_days_across_national_day() -> None:
    issued = sh(2026, 9, 30, 15)  # 1–7 Oct off: 8, 9, 10 (调休 Saturday) are the three days
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_negotiation_response(NATIONAL, issued, end_of(date(2026, 10, 9)))
    broken(exc, "negotiation_min_response_working_days", "response_deadline")
    rules.check_negotiation_response(NATIONAL, issued, sh(2026, 10, 10))


def test_single_source_approval_on_the_5th_working_day_of_notice_is_refused() -> None:
    notice = sh(2026, 9, 30, 10)  # working days after it: 8, 9, 10 (Sat), 12, 13 Oct
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_single_source_notice(NATIONAL, notice, end_of(date(2026, 10, 13)))
    detail = broken(exc, "single_source_notice_working_days", "approved_at")
    assert "5 working days" in detail and "财政部令第74号 art. 38" in detail
    assert "2026-10-14 00:00" in detail
    rules.check_single_source_notice(NATIONAL, notice, sh(2026, 10, 14))


def test_deadlines_end_on_the_last_working_day() -> None:
    published = sh(2026, 9, 28, 11)  # Monday
    due = rules.challenge_deadline(NATIONAL, published)
    # Published through Tuesday 29 Sep (1 working day); then 30 Sep, 8, 9, 10, 12, 13, 14 Oct.
    assert due == end_of(date(2026, 10, 14))
    assert rules.within_working_days(7, published, sh(2026, 10, 13, 23, 59))
    assert not rules.within_working_days(7, published, sh(2026, 10, 14))
    friday = sh(2026, 11, 27, 16)
    assert rules.result_notice_deadline(NATIONAL, friday) == end_of(date(2026, 12, 1))
    assert rules.confirm_deadline(NATIONAL, friday) == end_of(date(2026, 12, 4))
    assert rules.answer_deadline(NATIONAL, friday) == end_of(date(2026, 12, 8))
    # 27 Dec, the 30th day, is a Sunday: the contract is due with Monday 28 Dec (民法典 art. 203).
    assert rules.contract_deadline(NATIONAL, friday) == end_of(date(2026, 12, 28))


# --- numbers of suppliers, bids and members -------------------------------------------------


def test_two_invitations_are_refused_and_three_pass() -> None:
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_invited(NATIONAL, 2)
    assert "政府采购法 art. 34" in broken(exc, "invited_min_suppliers", "invited_provider_ids")
    rules.check_invited(NATIONAL, 3)
    with pytest.raises(LegalRuleBroken) as exc2:
        rules.check_negotiation_suppliers(NATIONAL, 2, field="supplier_ids")
    broken(exc2, "negotiation_min_suppliers", "supplier_ids")
    rules.check_negotiation_suppliers(NATIONAL, 3)


def test_an_open_tender_with_two_bids_is_not_opened() -> None:
    assert not rules.enough_bids(NATIONAL, 2) and rules.enough_bids(NATIONAL, 3)
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_open_tender_bids(NATIONAL, 2)
    broken(exc, "open_tender_min_bids", "bids")
    rules.check_open_tender_bids(NATIONAL, 3)


def test_a_committee_of_4_is_refused_and_of_5_passes() -> None:
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_committee(NATIONAL, 4, 4, Decimal("800000"))
    assert "财政部令第87号 art. 47" in broken(exc, "committee_min_members", "committee")
    rules.check_committee(NATIONAL, 5, 4, Decimal("800000"))


def test_a_committee_has_an_odd_number_of_members() -> None:
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_committee(NATIONAL, 6, 6, Decimal("800000"))
    assert "odd" in broken(exc, "committee_min_members", "committee")


def test_a_committee_of_5_for_a_12_million_budget_is_refused() -> None:
    budget = Decimal("12000000")
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_committee(NATIONAL, 5, 5, budget)
    broken(exc, "committee_min_members_large", "committee")
    rules.check_committee(NATIONAL, 7, 5, budget)
    # 10,000,000 itself is a large budget (以上 includes the figure).
    with pytest.raises(LegalRuleBroken):
        rules.check_committee(NATIONAL, 5, 5, Decimal("10000000.00"))


def test_4_experts_of_7_are_too_few_and_5_are_enough() -> None:
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_committee(NATIONAL, 7, 4, Decimal("800000"))
    assert "2/3" in broken(exc, "committee_min_expert_share", "committee")
    rules.check_committee(NATIONAL, 7, 5, Decimal("800000"))
    # Exactly 2/3: 6 experts of 9 pass, with no rounding on the way.
    rules.check_committee(NATIONAL, 9, 6, Decimal("800000"))
    with pytest.raises(LegalRuleBroken):
        rules.check_committee(NATIONAL, 9, 5, Decimal("800000"))


def test_the_negotiation_group_grows_at_the_open_tender_threshold() -> None:
    rules.check_negotiation_group(NATIONAL, 3, 2, Decimal("1999999.99"))
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_negotiation_group(NATIONAL, 3, 3, Decimal("2000000"), field="group")
    broken(exc, "negotiation_group_min_members_above_threshold", "group")
    rules.check_negotiation_group(NATIONAL, 5, 4, Decimal("2000000"))
    with pytest.raises(LegalRuleBroken) as exc2:
        rules.check_negotiation_group(NATIONAL, 3, 1, Decimal("500000"))
    broken(exc2, "committee_min_expert_share", "negotiation_group")


# --- scoring and money ------------------------------------------------------------------------


def test_a_price_weight_of_8_is_refused_and_the_region_cap_applies() -> None:
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_price_weight(NATIONAL, 8)
    assert "10 %" in broken(exc, "price_weight_min", "criteria")
    rules.check_price_weight(NATIONAL, 10)
    rules.check_price_weight(NATIONAL, 100)
    capped = LegalRules(price_weight_max=30)
    rules.check_price_weight(capped, 30)
    with pytest.raises(LegalRuleBroken) as exc2:
        rules.check_price_weight(capped, 31)
    broken(exc2, "price_weight_max", "criteria")


def test_criteria_weights_add_up_to_exactly_100() -> None:
    rules.check_weights_sum([30, 40, 30])
    for weights in ([30, 40, 29], [30, 40, 31], [60, 40, 0], [], [110, -10]):
        with pytest.raises(LegalRuleBroken) as exc:
            rules.check_weights_sum(weights)
        broken(exc, rules.WEIGHTS_TOTAL_RULE, "criteria")


def test_a_bid_security_of_2_01_percent_is_refused_and_2_percent_passes() -> None:
    budget = Decimal("1000000.00")
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_bid_security(NATIONAL, Decimal("20100.00"), budget)
    detail = broken(exc, "bid_security_max_percent", "bid_security")
    assert "政府采购法实施条例 art. 33" in detail and "20000" in detail
    rules.check_bid_security(NATIONAL, Decimal("20000.00"), budget)
    with pytest.raises(LegalRuleBroken):
        rules.check_bid_security(NATIONAL, Decimal("20000.01"), budget)


def test_performance_security_and_supplementary_purchases_are_capped_at_10_percent() -> None:
    contract = Decimal("333333.33")
    rules.check_performance_security(NATIONAL, Decimal("33333.33"), contract)
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_performance_security(NATIONAL, Decimal("33333.34"), contract)
    broken(exc, "performance_security_max_percent", "performance_security")
    rules.check_supplementary(NATIONAL, Decimal("33333.33"), contract)
    with pytest.raises(LegalRuleBroken) as exc2:
        rules.check_supplementary(NATIONAL, Decimal("33333.34"), contract)
    broken(exc2, "supplementary_max_percent", "amount")


# --- a region's overrides, through the service ------------------------------------------------


async def _fresh_tenant(admin_db: asyncpg.Connection) -> str:
    """A region of its own (under no real province: 99), so its overrides collide with no
    other test's."""
    for _ in range(200):
        code = f"99{random.randrange(1, 100):02d}{random.randrange(1, 100):02d}"
        created = await admin_db.fetchval(
            "INSERT INTO tenants (code, name, level, parent_code, active)"
            " VALUES ($1, $2, 'county', NULL, true) ON CONFLICT DO NOTHING RETURNING code",
            code,
            f"规则市{code}",
        )
        if created:
            return str(created)
    raise AssertionError("no free tenant code")


async def _set(sessionmaker: Sessions, tenant: str, overrides: dict[str, Any]) -> LegalRules:
    async with transaction(sessionmaker, tenant) as session:
        return await rules.set_overrides(session, Actor(user_id=None, tenant=tenant), overrides)


async def _in_force(sessionmaker: Sessions, tenant: str) -> LegalRules:
    async with transaction(sessionmaker, tenant) as session:
        return await rules.rules_for(session, tenant)


async def test_tightening_is_stored_and_applied_and_another_region_keeps_the_law(
    sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    mine, other = await _fresh_tenant(admin_db), await _fresh_tenant(admin_db)
    assert await _in_force(sessionmaker, mine) == NATIONAL
    tightened = await _set(
        sessionmaker,
        mine,
        {
            "open_tender_min_days": 25,
            "committee_min_expert_share": "3/4",
            "bid_security_max_percent": "1.5",
            "price_weight_min": 20,
            "price_weight_max": 30,
            "open_tender_threshold_yuan": "1500000",
            "committee_min_members": 7,
        },
    )
    in_force = await _in_force(sessionmaker, mine)
    assert in_force == tightened
    assert in_force.open_tender_min_days == 25
    assert in_force.committee_min_expert_share == Fraction(3, 4)
    assert in_force.bid_security_max_percent == Decimal("1.5")
    assert in_force.open_tender_threshold_yuan == Decimal("1500000")
    assert in_force.contract_days == 30  # untouched rules keep the national figure
    with pytest.raises(LegalRuleBroken):
        rules.check_bid_period(in_force, sh(2026, 11, 2), sh(2026, 11, 24))
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_committee(in_force, 5, 5, Decimal("500000"))
    broken(exc, "committee_min_members", "committee")
    # A region may lower the threshold (more open tenders): from 1,500,000 the group is 5.
    rules.check_negotiation_group(in_force, 3, 3, Decimal("1499999.99"))
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_negotiation_group(in_force, 3, 3, Decimal("1500000"))
    broken(exc, "negotiation_group_min_members_above_threshold", "negotiation_group")
    assert await _in_force(sessionmaker, other) == NATIONAL

    stored = await admin_db.fetchval(
        "SELECT overrides::text FROM tendering_rules WHERE tenant_id = $1", mine
    )
    assert '"committee_min_expert_share": "3/4"' in stored
    audit = await admin_db.fetchrow(
        "SELECT action, object_id, after FROM audit_log WHERE tenant_id = $1"
        " ORDER BY seq DESC LIMIT 1",
        mine,
    )
    assert (audit["action"], audit["object_id"]) == ("tendering_rules.set", mine)

    # A full replace: what is left out returns to the national default.
    assert await _set(sessionmaker, mine, {"contract_days": 20}) == LegalRules(contract_days=20)
    assert await _set(sessionmaker, mine, {}) == NATIONAL


@pytest.mark.parametrize(
    ("overrides", "rule", "says"),
    [
        ({"open_tender_min_days": 19}, "open_tender_min_days", "the law requires at least 20"),
        ({"bid_security_max_percent": "2.5"}, "bid_security_max_percent", "at most 2"),
        ({"committee_min_expert_share": "1/2"}, "committee_min_expert_share", "at least 2/3"),
        ({"challenge_working_days": 5}, "challenge_working_days", "at least 7"),
        ({"result_notice_working_days": 3}, "result_notice_working_days", "at most 2"),
        ({"large_budget_yuan": "20000000"}, "large_budget_yuan", "at most 10000000"),
        ({"price_weight_min": 5, "price_weight_max": 30}, "price_weight_min", "at least 10"),
    ],
)
async def test_loosening_is_refused_naming_the_rule_and_nothing_is_stored(
    sessionmaker: Sessions,
    admin_db: asyncpg.Connection,
    overrides: dict[str, Any],
    rule: str,
    says: str,
) -> None:
    tenant = await _fresh_tenant(admin_db)
    await _set(sessionmaker, tenant, {"contract_days": 25})
    with pytest.raises(RuleLoosened) as exc:
        await _set(sessionmaker, tenant, {"open_tender_min_days": 30, **overrides})
    assert (exc.value.code, exc.value.field, exc.value.status) == ("rule_loosened", rule, 422)
    assert isinstance(exc.value, InvalidField)
    assert says in exc.value.detail
    assert await _in_force(sessionmaker, tenant) == LegalRules(contract_days=25)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"open_tender_min_dayz": 30}, "open_tender_min_dayz", "unknown_rule"),
        ({"open_tender_min_days": "30"}, "open_tender_min_days", "validation_failed"),
        ({"open_tender_min_days": 30.0}, "open_tender_min_days", "validation_failed"),
        ({"bid_security_max_percent": 1.5}, "bid_security_max_percent", "validation_failed"),
        ({"bid_security_max_percent": "NaN"}, "bid_security_max_percent", "validation_failed"),
        ({"bid_security_max_percent": "-1"}, "bid_security_max_percent", "validation_failed"),
        ({"committee_min_members": 6}, "committee_min_members", "validation_failed"),
        ({"committee_min_expert_share": "4/3"}, "committee_min_expert_share", "validation_failed"),
        ({"price_weight_min": 40, "price_weight_max": 30}, "price_weight_min", "rules_contradict"),
    ],
)
async def test_malformed_overrides_are_refused(
    sessionmaker: Sessions,
    admin_db: asyncpg.Connection,
    overrides: dict[str, Any],
    field: str,
    code: str,
) -> None:
    tenant = await _fresh_tenant(admin_db)
    with pytest.raises(InvalidField) as exc:
        await _set(sessionmaker, tenant, overrides)
    assert (exc.value.code, exc.value.field) == (code, field)
    if code == "unknown_rule":
        assert isinstance(exc.value, UnknownRule)
    assert await _in_force(sessionmaker, tenant) == NATIONAL


def test_a_stored_value_the_law_has_overtaken_yields_to_the_law() -> None:
    """Stored overrides were checked when set; if a later release tightens a national default
    past one of them, or drops a rule, the merge still never loosens the law."""
    merged = rules.merge({"open_tender_min_days": 10, "retired_rule": 3, "contract_days": 40})
    assert merged == NATIONAL


# --- the routes -------------------------------------------------------------------------------


async def test_a_region_tightens_its_rules_and_reads_them_with_their_sources(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    url = f"/v1/tenants/{GZ}/tendering-rules"
    approver = await login(ROLE_LOGINS["civil_affairs_approver"])
    try:
        response = await client.put(
            url, headers=approver, json={"open_tender_min_days": 25, "price_weight_max": 30}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["tenant"] == GZ
        assert body["overrides"] == {"open_tender_min_days": 25, "price_weight_max": 30}
        assert body["updated_by"] is not None

        read = await client.get(url, headers=await login(ROLE_LOGINS["finance_officer"]))
        assert read.status_code == 200, read.text
        by_rule = {rule["rule"]: rule for rule in read.json()["rules"]}
        assert set(by_rule) == set(RULES)
        assert by_rule["open_tender_min_days"] == {
            "rule": "open_tender_min_days",
            "kind": "min",
            "unit": "days",
            "national": 20,
            "value": 25,
            "tightened": True,
            "source": "政府采购法 art. 35",
            "description": RULES["open_tender_min_days"].description,
            "origin": "region",
            "province": None,
            "province_value": 20,
            "reading": "not_before_nth_day",
        }
        assert by_rule["contract_days"]["reading"] == "calendar_deadline"
        assert by_rule["committee_min_expert_share"]["reading"] is None
        assert by_rule["committee_min_expert_share"]["value"] == "2/3"
        assert by_rule["large_budget_yuan"]["national"] == "10000000"
        assert by_rule["bid_security_max_percent"]["tightened"] is False

        # 深圳 keeps the national rules.
        elsewhere = await client.get(
            f"/v1/tenants/{SZ}/tendering-rules",
            headers=await login(city_login("civil_affairs_officer", SZ)),
        )
        assert elsewhere.status_code == 200, elsewhere.text
        assert elsewhere.json()["overrides"] == {}
        origins = {rule["rule"]: rule["origin"] for rule in elsewhere.json()["rules"]}
        assert "region" not in origins.values()
        # 广东's own threshold binds 深圳 too; every other rule is the law's.
        assert origins.pop("open_tender_threshold_yuan") == "province"
        assert set(origins.values()) == {"law"}
    finally:
        reset = await client.put(url, headers=approver, json={})
        assert reset.status_code == 200, reset.text


async def test_loosening_through_the_api_is_a_problem_naming_the_field(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    url = f"/v1/tenants/{GZ}/tendering-rules"
    admin = await login(ROLE_LOGINS["tenant_admin"])
    before = await admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tendering_rules.set'",
        GZ,
    )
    response = await client.put(
        url, headers=admin, json={"contract_days": 20, "open_tender_min_days": 15}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "rule_loosened"
    assert problem["rule"] == "open_tender_min_days"
    assert problem["errors"] == [
        {"field": "open_tender_min_days", "message": problem["detail"]},
    ]
    assert "the law requires at least 20" in problem["detail"]
    assert (await client.get(url, headers=admin)).json()["overrides"] == {}
    after = await admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tendering_rules.set'",
        GZ,
    )
    assert after == before

    floating = await client.put(url, headers=admin, json={"bid_security_max_percent": 1.5})
    assert floating.status_code == 422, floating.text
    assert floating.json()["code"] == "validation_failed"


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_a_guangzhou_user_cannot_read_or_set_shenzhens_rules(
    client: Client, login: Login, method: str
) -> None:
    for role in ("tenant_admin", "civil_affairs_approver"):
        response = await client.request(
            method,
            f"/v1/tenants/{SZ}/tendering-rules",
            headers=await login(ROLE_LOGINS[role]),
            json={"open_tender_min_days": 30} if method == "PUT" else None,
        )
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
