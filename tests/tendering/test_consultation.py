"""Competitive consultation (竞争性磋商, 财库〔2014〕214号) through the API: from the method's
approval to the award on the group's comprehensive scores; the price weight of services and
finance's approval of another; the 10 days to the first responses; two suppliers for
services; a fixed price; another region."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.kit import workdays
from services.tendering import rules
from services.tendering.rules import NATIONAL, LegalRuleBroken
from tests.support.client import Client, json_of
from tests.support.shanghai import end_of, sh
from tests.support.tendering import (
    CRITERIA,
    Bidder,
    Tenderer,
    assert_rule_broken,
    later,
    procurement_body,
)

pytestmark = pytest.mark.usefixtures("demo")

US = timedelta(microseconds=1)
OVER_30 = [
    {"name": "服务方案", "weight": 49},
    {"name": "团队与经验", "weight": 20},
    {"name": "价格", "weight": 31, "price": True},
]
FIXED = [{"name": "服务方案", "weight": 70}, {"name": "团队与经验", "weight": 30}]


def field_of(response: httpx.Response) -> str:
    """The request field a 422 names."""
    assert response.status_code == 422, response.text
    return str(response.json()["errors"][0]["field"])


async def consultation(gz: Tenderer, suppliers: list[Bidder], **changes: Any) -> dict[str, Any]:
    """A draft consultation for a purchase of services (214号 art. 3(一)), its suppliers
    invited on written recommendations."""
    procurement = await gz.create(
        method="competitive_consultation",
        method_reason="purchase_of_services",
        method_justification="政府购买社会工作服务，需与供应商磋商服务方案",
        **{"bid_deadline": later(days=12), **changes},
    )
    await gz.recommended(str(procurement["id"]), suppliers)
    return procurement


async def approved(client: Client, gz: Tenderer, pid: str) -> dict[str, Any]:
    officer = await gz.as_("civil_affairs_officer")
    json_of(await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer))
    decided = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    return json_of(decided)


async def negotiating(
    client: Client,
    gz: Tenderer,
    pid: str,
    responses: list[tuple[Bidder, str]],
    published: bool = False,
) -> list[dict[str, str]]:
    """Approved, published (unless it is already), the responses made and opened, a group of
    three drawn: the group's headers."""
    officer = await gz.as_("civil_affairs_officer")
    if not published:
        await approved(client, gz, pid)
        json_of(await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={}))
    for supplier, price in responses:
        await gz.bid(pid, supplier, price)
    await gz.open_now(pid, await gz.closed(pid))
    assert (await client.get(f"{gz.base}/{pid}", headers=officer)).json()["status"] == "negotiating"
    speciality = f"consultation_{uuid.uuid4().hex[:6]}"
    group = [(await gz.expert(speciality=speciality))[1] for _ in range(3)]
    drawn = await gz.draw_committee(pid, 3, speciality)
    assert drawn.status_code == 201, drawn.text
    return group


async def final_offers(
    client: Client, gz: Tenderer, pid: str, offers: list[tuple[Bidder, str]]
) -> None:
    officer = await gz.as_("civil_affairs_officer")
    final = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert final.status_code == 201, final.text
    for supplier, price in offers:
        made = await client.post(
            f"{gz.base}/{pid}/offers", headers=supplier.headers, json={"price": price}
        )
        assert made.status_code == 201, made.text


async def scored(
    client: Client,
    gz: Tenderer,
    pid: str,
    group: list[dict[str, str]],
    marks: list[tuple[Bidder, str, str]],
) -> dict[str, str]:
    """Every member gives each supplier the same marks (服务方案, 团队与经验): bid id by
    provider."""
    officer = await gz.as_("civil_affairs_officer")
    listed = (await client.get(f"{gz.base}/{pid}/bids", headers=officer)).json()
    bid_of = {b["provider_id"]: b["id"] for b in listed if b["status"] == "submitted"}
    scores = [
        {"bid_id": bid_of[s.provider_id], "criterion": name, "score": mark}
        for s, plan, team in marks
        for name, mark in (("服务方案", plan), ("团队与经验", team))
    ]
    for member in group:
        given = await client.post(
            f"{gz.base}/{pid}/scores", headers=member, json={"scores": scores}
        )
        assert given.status_code == 200, given.text
    return bid_of


async def test_a_consultation_from_approval_to_award_on_comprehensive_scores(
    client: Client, gz: Tenderer
) -> None:
    a, b, c = [await gz.bidder() for _ in range(3)]
    procurement = await consultation(gz, [a, b, c])
    pid = procurement["id"]
    assert procurement["method"] == "competitive_consultation"
    group = await negotiating(client, gz, pid, [(a, "340000"), (b, "345000"), (c, "348000")])
    officer = await gz.as_("civil_affairs_officer")
    first = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"note": "第一轮"})
    assert first.status_code == 201, first.text
    await final_offers(client, gz, pid, [(a, "300000"), (b, "320000"), (c, "330000")])
    concluded = await gz.conclude(pid, "三家供应商磋商后提交最后报价。")
    # The final responses go to the group's scoring, not to the lowest price.
    assert concluded["status"] == "evaluation"
    bid_of = await scored(
        client, gz, pid, group, [(a, "30", "10"), (b, "45", "18"), (c, "40", "15")]
    )
    report = json_of(await client.get(f"{gz.base}/{pid}/report", headers=officer))
    ranking = [
        (r["provider_id"], r["price"], r["price_score"], r["total_score"])
        for r in report["ranking"]
    ]
    # 价格分 = 基准价(300000)/最后报价 × 30: the lowest final offer, not the first responses.
    assert ranking == [
        (b.provider_id, "320000.00", "28.13", "91.13"),
        (c.provider_id, "330000.00", "27.27", "82.27"),
        (a.provider_id, "300000.00", "30.00", "70.00"),
    ]
    assert report["recommended_bid_id"] == bid_of[b.provider_id]
    result = await gz.award_and_publish(pid)
    assert result["status"] == "result_published"
    assert (result["awarded_provider_id"], result["awarded_price"]) == (
        b.provider_id,
        "320000.00",
    )
    notice = await client.get("/v1/notices", params={"kind": "tender", "q": procurement["title"]})
    assert "竞争性磋商" in notice.json()["items"][0]["body"]

    # An upheld challenge sends the final responses back to the group, to be scored again.
    filed = await client.post(
        f"{gz.base}/{pid}/challenges", headers=c.headers, json={"grounds": "服务方案评分有误"}
    )
    assert filed.status_code == 201, filed.text
    answered = await client.post(
        f"{gz.base}/{pid}/challenges/{filed.json()['id']}/answer",
        headers=await gz.as_("civil_affairs_approver"),
        json={"outcome": "reevaluate", "answer": "质疑成立，磋商小组重新评审。"},
    )
    assert answered.status_code == 200, answered.text
    assert (await client.get(f"{gz.base}/{pid}", headers=officer)).json()["status"] == "evaluation"
    await scored(client, gz, pid, group, [(a, "30", "10"), (b, "40", "15"), (c, "48", "19")])
    again = json_of(await client.get(f"{gz.base}/{pid}/report", headers=officer))
    assert again["recommended_bid_id"] == bid_of[c.provider_id]
    assert again["ranking"][0]["price"] == "330000.00"


async def test_a_price_weight_over_30_needs_finance_and_its_approval_carries_it(
    client: Client, gz: Tenderer
) -> None:
    officer = await gz.as_("civil_affairs_officer")
    body = {
        "method": "competitive_consultation",
        "method_reason": "purchase_of_services",
        "method_justification": "政府购买社会工作服务",
        "criteria": OVER_30,
        "bid_deadline": later(days=12),
    }
    line = await gz.line()
    refused = await client.post(gz.base, headers=officer, json=procurement_body(line, **body))
    assert_rule_broken(refused, "consultation_price_weight_max")
    assert field_of(refused) == "criteria[2].weight"
    # Within the range, asking finance is a mistake named as such.
    within = await client.post(
        gz.base,
        headers=officer,
        json=procurement_body(
            line, **{**body, "criteria": CRITERIA, "price_weight_approved_by_finance": True}
        ),
    )
    assert within.status_code == 422 and field_of(within) == "price_weight_approved_by_finance"

    suppliers = [await gz.bidder() for _ in range(3)]
    asked = await consultation(
        gz, suppliers, criteria=OVER_30, price_weight_approved_by_finance=True
    )
    assert asked["price_weight_outside_range"] is True
    pid = asked["id"]
    # Not published on the buyer's word: finance decides the weight with the method.
    early = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert early.status_code == 409
    json_of(await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer))
    finance = await gz.as_("finance_approver")
    seen = json_of(await client.get(f"{gz.base}/{pid}", headers=finance))
    assert seen["status"] == "awaiting_approval" and seen["price_weight_outside_range"] is True
    # Refusing refuses both: back to the draft, nothing approved.
    no = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=finance,
        json={"approve": False, "note": "价格权重过高"},
    )
    assert json_of(no)["status"] == "draft" and no.json()["approved_at"] is None
    again = await approved(client, gz, pid)
    assert again["status"] == "approved" and again["approved_at"] is not None
    assert again["price_weight_outside_range"] is True
    published = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert json_of(published)["status"] == "tendering"


def test_ten_days_to_the_first_responses_at_the_boundary_instants() -> None:
    issued = sh(2026, 11, 2, 10)
    first_allowed = sh(2026, 11, 12)
    rules.check_consultation_response(NATIONAL, issued, first_allowed)
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_consultation_response(NATIONAL, issued, first_allowed - US)
    assert (exc.value.rule, exc.value.extra["field"]) == (
        "consultation_response_min_days",
        "bid_deadline",
    )
    assert "财库〔2014〕214号 art. 9" in exc.value.detail


async def test_publishing_9_days_before_the_first_responses_is_refused_10_allowed(
    client: Client, gz: Tenderer
) -> None:
    today = workdays.local_date(datetime.now(UTC))
    deadline = datetime.combine(today + timedelta(days=9), datetime.min.time(), workdays.SHANGHAI)
    suppliers = [await gz.bidder() for _ in range(3)]
    procurement = await consultation(gz, suppliers, bid_deadline=deadline.isoformat())
    pid = procurement["id"]
    await approved(client, gz, pid)
    officer = await gz.as_("civil_affairs_officer")
    # Issued at today's first instant: the deadline is on the 9th day after — too early.
    nine = datetime.combine(today, datetime.min.time(), workdays.SHANGHAI)
    refused = await client.post(
        f"{gz.base}/{pid}/publish", headers=officer, json={"issued_at": nine.isoformat()}
    )
    assert_rule_broken(refused, "consultation_response_min_days")
    assert field_of(refused) == "bid_deadline"
    # Issued at yesterday's last instant: the deadline is on the 10th day after — allowed.
    ten = end_of(today - timedelta(days=1))
    published = await client.post(
        f"{gz.base}/{pid}/publish", headers=officer, json={"issued_at": ten.isoformat()}
    )
    assert json_of(published)["status"] == "tendering"


async def test_two_suppliers_go_on_and_a_fixed_price_scores_no_price(
    client: Client, gz: Tenderer
) -> None:
    a, b, c = [await gz.bidder() for _ in range(3)]
    line = await gz.line()
    priced = await client.post(
        gz.base,
        headers=await gz.as_("civil_affairs_officer"),
        json=procurement_body(
            line,
            method="competitive_consultation",
            method_reason="purchase_of_services",
            method_justification="固定价格购买服务",
            fixed_price=True,
        ),
    )
    assert priced.status_code == 422 and field_of(priced) == "criteria[2].price"
    procurement = await consultation(gz, [a, b, c], criteria=FIXED, fixed_price=True)
    pid = procurement["id"]
    assert procurement["fixed_price"] is True
    # At a fixed price no response or offer is below it: the price is not competed.
    await approved(client, gz, pid)
    officer = await gz.as_("civil_affairs_officer")
    json_of(await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={}))
    cheaper = await client.post(
        f"{gz.base}/{pid}/bids", headers=c.headers, json={"price": "340000"}
    )
    assert cheaper.status_code == 422 and field_of(cheaper) == "price"
    assert "fixed price 350000.00" in cheaper.json()["detail"]
    # Only two of the three invited respond: for services the consultation goes on.
    group = await negotiating(client, gz, pid, [(a, "350000"), (b, "350000")], published=True)
    final = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert final.status_code == 201, final.text
    lower = await client.post(f"{gz.base}/{pid}/offers", headers=a.headers, json={"price": "1"})
    assert lower.status_code == 422 and field_of(lower) == "price"
    for supplier in (a, b):
        made = await client.post(
            f"{gz.base}/{pid}/offers", headers=supplier.headers, json={"price": "350000"}
        )
        assert made.status_code == 201, made.text
    assert (await gz.conclude(pid, "两家供应商提交最后报价。"))["status"] == "evaluation"
    bid_of = await scored(client, gz, pid, group, [(a, "50", "20"), (b, "65", "28")])
    officer = await gz.as_("civil_affairs_officer")
    report = json_of(await client.get(f"{gz.base}/{pid}/report", headers=officer))
    assert [(r["provider_id"], r["price_score"], r["total_score"]) for r in report["ranking"]] == [
        (b.provider_id, "0.00", "93.00"),
        (a.provider_id, "0.00", "70.00"),
    ]
    assert report["recommended_bid_id"] == bid_of[b.provider_id]
    result = await gz.award_and_publish(pid)
    assert (result["awarded_provider_id"], result["awarded_price"]) == (
        b.provider_id,
        "350000.00",
    )


async def test_one_compliant_supplier_left_fails_the_consultation(
    client: Client, gz: Tenderer
) -> None:
    a, b, c = [await gz.bidder() for _ in range(3)]
    procurement = await consultation(gz, [a, b, c])
    pid = procurement["id"]
    await negotiating(client, gz, pid, [(a, "340000"), (b, "345000")])
    officer = await gz.as_("civil_affairs_officer")
    excluded = await client.post(
        f"{gz.base}/{pid}/exclusions",
        headers=officer,
        json={"provider_id": a.provider_id, "reason": "服务方案未实质性响应磋商文件"},
    )
    assert excluded.status_code == 201, excluded.text
    after = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert after["status"] == "failed"
    notice = await client.get("/v1/notices", params={"kind": "failure", "q": procurement["title"]})
    assert "终止竞争性磋商采购活动" in notice.json()["items"][0]["body"]


async def test_another_region_cannot_see_a_consultation(
    client: Client, gz: Tenderer, sz: Tenderer
) -> None:
    procurement = await consultation(gz, [await gz.bidder() for _ in range(3)])
    sz_officer = await sz.as_("civil_affairs_officer")
    other = await client.get(f"{sz.base}/{procurement['id']}", headers=sz_officer)
    assert other.status_code == 404
    approve = await client.post(
        f"{sz.base}/{procurement['id']}/approval",
        headers=await sz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approve.status_code == 404
