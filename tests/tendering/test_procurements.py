"""Creating and publishing procurements: the legal numbers a new one must meet, the methods that
need a reason and finance's approval, and cancelling."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.support.client import Client, inbox
from tests.support.demo import GZ
from tests.support.planning import COSTED_TOTAL
from tests.support.tendering import Tenderer, assert_rule_broken, later, procurement_body

pytestmark = pytest.mark.usefixtures("demo")


async def test_invited_tender_from_budget_line_to_award(client: Client, gz: Tenderer) -> None:
    """A reason from the law, three invitees drawn from the buyer's six recommendations and
    finance's approval; then bids from the drawn only, the opening, the committee, the award."""
    pool = [await gz.bidder() for _ in range(6)]
    line = await gz.line()
    officer = await gz.as_("civil_affairs_officer")
    base = {"budget_line_id": line, "method": "invited_tender"}
    no_reason = await client.post(gz.base, headers=officer, json=procurement_body(line, **base))
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "method_reason_required"
    procurement = await gz.create(
        **base,
        method_reason="limited_suppliers",
        method_justification="具备戒毒康复服务资质的机构有限",
    )
    pid = procurement["id"]
    assert procurement["invited_provider_ids"] == []
    two = await gz.select(
        pid,
        {
            "source": "recommendations",
            "draw": 2,
            "witness_ids": await gz.witnesses(),
            "recommendations": [
                gz.recommendation(s, "buyer", await gz.written(pid)) for s in pool[:4]
            ],
        },
    )
    assert_rule_broken(two, "invited_min_suppliers")
    assert two.json()["field"] == "draw"
    unchosen = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert unchosen.status_code == 409
    _, invited = await gz.drawn(pid, pool, 3)
    shown = await client.get(f"{gz.base}/{pid}", headers=officer)
    assert sorted(shown.json()["invited_provider_ids"]) == sorted(b.provider_id for b in invited)
    early = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert early.status_code == 409
    assert (
        await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer)
    ).status_code == 200
    finance = await gz.as_("finance_approver")
    assert any(
        n["data"]["procurement_id"] == pid
        for n in await inbox(client, finance, "tendering.approval_requested")
    )
    refused = await client.post(
        f"{gz.base}/{pid}/approval", headers=await gz.as_("finance_officer"), json={"approve": True}
    )
    assert refused.status_code == 403
    approved = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True, "note": "同意"}
    )
    assert approved.status_code == 200 and approved.json()["approved_by"] is not None
    published = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert published.status_code == 200, published.text
    assert any(
        n["data"]["procurement_id"] == pid
        for n in await inbox(client, invited[0].headers, "tendering.invited")
    )
    # In the pool, not drawn: not invited.
    (outside, *_) = [s for s in pool if s not in invited]
    uninvited = await client.post(
        f"{gz.base}/{pid}/bids", headers=outside.headers, json={"price": "300000"}
    )
    assert uninvited.status_code == 403 and uninvited.json()["code"] == "provider_not_eligible"
    for bidder, price in zip(invited, ("300000", "290000", "310000"), strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(pid, await gz.closed(pid))
    await gz.scored_by_committee(pid)
    result = await gz.award_and_publish(pid)
    assert (result["awarded_provider_id"], result["awarded_price"]) == (
        invited[1].provider_id,
        "290000.00",
    )


async def test_single_source_is_approved_only_after_its_notice_ran_and_its_objections_failed(
    client: Client, gz: Tenderer
) -> None:
    only = await gz.bidder("唯一的康复社工机构")
    objector = await gz.bidder()
    async with gz.threshold_lowered():
        procurement = await gz.single_source(
            only, "该机构为本市唯一具备精神康复社工服务能力的机构", notice=True
        )
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    assert procurement["status"] == "single_source_notice"
    public = await client.get(
        "/v1/notices", params={"kind": "single_source", "q": procurement["title"]}
    )
    assert "唯一的康复社工机构" in public.json()["items"][0]["body"]
    finance = await gz.as_("finance_approver")
    too_soon = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert_rule_broken(too_soon, "single_source_notice_working_days")

    objection = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=objector.headers,
        json={"question": "我机构同样具备该服务能力，对单一来源有异议。"},
    )
    assert objection.status_code == 201
    await gz.notice_ran(pid)
    unjustified = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert unjustified.status_code == 409 and "objection" in unjustified.json()["detail"]
    justified = await client.post(
        f"{gz.base}/{pid}/supplementary-justification",
        headers=officer,
        json={
            "objections_upheld": False,
            "opinion": "经核实，异议人不具备精神康复专业资质，异议不成立。",
        },
    )
    assert justified.json()["status"] == "awaiting_approval", justified.text
    approved = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


async def test_a_nineteen_day_bid_period_is_refused(client: Client, gz: Tenderer) -> None:
    line = await gz.line()
    response = await client.post(
        gz.base,
        headers=await gz.as_("civil_affairs_officer"),
        json=procurement_body(line, bid_deadline=later(days=19)),
    )
    assert_rule_broken(response, "open_tender_min_days")


async def test_a_price_weight_of_eight_is_refused(client: Client, gz: Tenderer) -> None:
    line = await gz.line()
    criteria = [{"name": "服务方案", "weight": 92}, {"name": "价格", "weight": 8, "price": True}]
    response = await client.post(
        gz.base,
        headers=await gz.as_("civil_affairs_officer"),
        json=procurement_body(line, criteria=criteria),
    )
    assert_rule_broken(response, "price_weight_min")


async def test_bid_security_above_two_percent_and_price_above_ceiling_are_refused(
    client: Client, gz: Tenderer
) -> None:
    line = await gz.line()
    officer = await gz.as_("civil_affairs_officer")
    security = await client.post(
        gz.base, headers=officer, json=procurement_body(line, bid_security="7200.01")
    )
    assert_rule_broken(security, "bid_security_max_percent")
    procurement = await gz.published(budget_line_id=line)
    bidder = await gz.bidder()
    above = await client.post(
        f"{gz.base}/{procurement['id']}/bids", headers=bidder.headers, json={"price": "350000.01"}
    )
    assert above.status_code == 422 and above.json()["code"] == "price_above_ceiling"
    assert above.json()["errors"][0]["field"] == "price"


async def test_cancelling_during_the_bid_period_keeps_the_bids_sealed_for_good(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    line = await gz.line()
    procurement = await gz.published(budget_line_id=line)
    pid = procurement["id"]
    bidder = await gz.bidder()
    bid = await gz.bid(pid, bidder, "300000")
    cancelled = await client.post(
        f"{gz.base}/{pid}/cancel",
        headers=await gz.as_("civil_affairs_approver"),
        json={"reason": "服务需求发生重大变化"},
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    withheld = await admin_db.fetchval(
        "SELECT withheld_at FROM document_seals"
        " WHERE tenant_id = $1 AND object_type = 'bid' AND object_id = $2",
        GZ,
        uuid.UUID(bid["id"]),
    )
    assert withheld is not None
    assert await gz.available(line) == COSTED_TOTAL
