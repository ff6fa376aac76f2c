"""A failed open tender at or above the threshold with exactly two valid bids goes on as a
competitive negotiation with those two (财政部令第74号 art. 27; 87号令 art. 43): finance
approves it, the two are invited, and two are enough to negotiate and conclude."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.client import Client, error_fields, inbox, json_of
from tests.support.demo import SZ
from tests.support.planning import YEAR
from tests.support.tendering import Bidder, Tenderer, later

pytestmark = pytest.mark.usefixtures("demo")

# 广东's open-tender threshold, which binds 广州: a tender of exactly it is at the threshold.
AT_THRESHOLD = "4000000.00"
BIG = {"budget_amount": AT_THRESHOLD, "ceiling_price": "3900000.00", "bid_security": "20000.00"}
TWO = ["3800000", "3850000"]
NO_CERTIFICATE = "未提供民办非企业单位登记证书，不符合招标文件规定的资格条件"
JUSTIFICATION = "招标文件及程序无不合理条款，两家供应商实质性响应，申请与该两家竞争性谈判"


async def _big_line(client: Client, gz: Tenderer) -> str:
    """An approved budget line large enough for a tender at the threshold."""
    officer = await gz.as_("civil_affairs_officer")
    base = gz.planner.base
    budget = json_of(
        await client.post(
            f"{base}/budgets",
            headers=officer,
            json={"fiscal_year": YEAR, "title": f"{YEAR}年度社会工作服务大额预算"},
        ),
        201,
    )
    project = await gz.planner.project()
    amount = "4200000.00"
    json_of(
        await client.post(
            f"{base}/budgets/{budget['id']}/lines",
            headers=officer,
            json={
                "project_id": project["id"],
                "amount": amount,
                "sources": [{"source": "general_budget", "amount": amount}],
            },
        ),
        201,
    )
    json_of(
        await client.post(
            f"{base}/budgets/{budget['id']}/submit",
            headers=await gz.as_("civil_affairs_approver"),
        )
    )
    decided = json_of(
        await client.post(
            f"{base}/budgets/{budget['id']}/decision",
            headers=await gz.as_("finance_approver"),
            json={"outcome": "approved", "comment": "同意"},
        )
    )
    return str(decided["lines"][0]["id"])


async def _failed_at_opening(
    client: Client, gz: Tenderer, prices: list[str], **changes: Any
) -> tuple[str, list[Bidder]]:
    """A published open tender that failed at its opening with a bid per price filed."""
    procurement = await gz.published(**changes)
    pid = procurement["id"]
    bidders = [await gz.bidder() for _ in prices]
    for bidder, price in zip(bidders, prices, strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(pid, await gz.closed(pid))
    failed = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    assert json_of(failed)["status"] == "failed"
    return pid, bidders


async def _continue(
    client: Client, gz: Tenderer, pid: str, headers: dict[str, str] | None = None, **changes: Any
) -> httpx.Response:
    body = {
        "method": "competitive_negotiation",
        "documents_sound": True,
        "justification": JUSTIFICATION,
        "bid_deadline": later(days=10),
        **changes,
    }
    return await client.post(
        f"{gz.base}/{pid}/continuation",
        headers=headers or await gz.as_("civil_affairs_officer"),
        json=body,
    )


async def _approved_and_published(client: Client, gz: Tenderer, nid: str) -> None:
    officer = await gz.as_("civil_affairs_officer")
    # Finance first, whatever the region's approval setting (74号令 arts. 4, 27).
    early = await client.post(f"{gz.base}/{nid}/publish", headers=officer, json={})
    assert early.status_code == 409, early.text
    json_of(await client.post(f"{gz.base}/{nid}/submit-for-approval", headers=officer))
    approved = await client.post(
        f"{gz.base}/{nid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True, "note": "同意与两家供应商竞争性谈判"},
    )
    assert json_of(approved)["status"] == "approved"
    published = await client.post(f"{gz.base}/{nid}/publish", headers=officer, json={})
    assert json_of(published)["status"] == "tendering"


async def test_a_tender_failed_in_review_with_two_valid_bids_goes_on_with_them_to_an_award(
    client: Client, gz: Tenderer
) -> None:
    line = await _big_line(client, gz)
    tender = await gz.published(budget_line_id=line, **BIG)
    pid = tender["id"]
    bidders = [await gz.bidder() for _ in range(3)]
    for bidder, price in zip(bidders, ("3700000", "3800000", "3850000"), strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(pid, await gz.closed(pid))
    officer = await gz.as_("civil_affairs_officer")
    review = await gz.review_of(pid, officer)
    [cheapest] = [
        v["bid_id"] for v in review["verdicts"] if v["provider_id"] == bidders[0].provider_id
    ]
    reviewed = await gz.review(pid, "qualification", officer, {cheapest: NO_CERTIFICATE})
    assert json_of(reviewed)["status"] == "failed"
    assert await gz.available(line) == "4200000.00"  # the money went back
    valid = bidders[1:]

    made = await _continue(client, gz, pid)
    negotiation = json_of(made, 201)
    nid = negotiation["id"]
    assert (negotiation["method"], negotiation["method_reason"]) == (
        "competitive_negotiation",
        "tender_failed",
    )
    assert (negotiation["status"], negotiation["continues_from"]) == ("draft", pid)
    assert negotiation["method_justification"] == JUSTIFICATION
    for kept in ("requirements", "criteria", "qualification_criteria", "budget_line_id"):
        assert negotiation[kept] == tender[kept], kept
    assert (negotiation["budget_amount"], negotiation["ceiling_price"]) == (
        AT_THRESHOLD,
        "3900000.00",
    )
    assert sorted(negotiation["invited_provider_ids"]) == sorted(b.provider_id for b in valid)
    # Committed again from the same line, as a create commits.
    assert await gz.available(line) == "200000.00"
    failed = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert (failed["status"], failed["continued_by"]) == ("failed", nid)
    selection = json_of(await client.get(f"{gz.base}/{nid}/supplier-selection", headers=officer))
    assert selection["source"] == "continuation" and selection["draw"] is None
    assert sorted(selection["invited"]) == sorted(b.provider_id for b in valid)
    # The selection stands: the buyer does not choose others.
    again = await gz.select(nid, {"source": "library", "draw": 3})
    assert again.status_code == 409, again.text

    await _approved_and_published(client, gz, nid)
    for bidder in valid:
        told = await inbox(client, bidder.headers, "tendering.invited")
        assert any(n["data"]["procurement_id"] == nid for n in told)
    # The bidder found unqualified is not one of the two.
    outsider = await client.post(
        f"{gz.base}/{nid}/bids", headers=bidders[0].headers, json={"price": "3000000"}
    )
    assert outsider.status_code == 403, outsider.text
    for bidder, price in zip(valid, ("3750000", "3790000"), strict=True):
        await gz.bid(nid, bidder, price)
    await gz.open_now(nid, await gz.closed(nid))
    # Two open a continuation's negotiation (74号令 art. 27), where three open any other.
    opened = json_of(await client.get(f"{gz.base}/{nid}", headers=officer))
    assert opened["status"] == "negotiating"

    speciality = f"continuation_{uuid.uuid4().hex[:6]}"
    for _ in range(5):
        await gz.expert(speciality=speciality)
    # At the threshold the group is five (74号令 art. 7).
    group = await gz.draw_committee(nid, 5, speciality)
    assert group.status_code == 201, group.text
    json_of(await client.post(f"{gz.base}/{nid}/rounds", headers=officer, json={}), 201)
    for bidder, price in zip(valid, ("3700000", "3690000"), strict=True):
        offer = await client.post(
            f"{gz.base}/{nid}/offers", headers=bidder.headers, json={"price": price}
        )
        json_of(offer, 201)
    final = await client.post(f"{gz.base}/{nid}/rounds", headers=officer, json={"final": True})
    json_of(final, 201)
    for bidder, price in zip(valid, ("3650000", "3660000"), strict=True):
        offer = await client.post(
            f"{gz.base}/{nid}/offers", headers=bidder.headers, json={"price": price}
        )
        json_of(offer, 201)
    concluded = await gz.conclude(nid, "与两家供应商两轮谈判后提交最后报价。")
    assert concluded["status"] == "awaiting_confirmation"
    result = await gz.award_and_publish(nid)
    assert (result["awarded_provider_id"], result["awarded_price"]) == (
        valid[0].provider_id,
        "3650000.00",
    )


async def test_a_continuation_is_refused_when_unsound_twice_below_threshold_or_one_bid(
    client: Client, gz: Tenderer, sz: Tenderer
) -> None:
    # Two bids filed, then the opening failed: two "submitted their bids" (74号令 art. 27).
    line = await _big_line(client, gz)
    pid, _ = await _failed_at_opening(client, gz, TWO, budget_line_id=line, **BIG)
    unsound = await _continue(client, gz, pid, documents_sound=False)
    assert unsound.status_code == 422, unsound.text
    assert error_fields(unsound) == {"documents_sound"}
    assert "tender again" in unsound.json()["errors"][0]["message"]
    other_method = await _continue(client, gz, pid, method="single_source")
    assert other_method.status_code == 422 and error_fields(other_method) == {"method"}
    # Another region does not see 广州's tender at all.
    elsewhere = await client.post(
        f"/v1/tenants/{SZ}/procurements/{pid}/continuation",
        headers=await sz.as_("civil_affairs_officer"),
        json={
            "method": "competitive_negotiation",
            "documents_sound": True,
            "justification": JUSTIFICATION,
            "bid_deadline": later(days=10),
        },
    )
    assert elsewhere.status_code == 404, elsewhere.text
    officer = await gz.as_("civil_affairs_officer")
    assert json_of(await client.get(f"{gz.base}/{pid}", headers=officer))["continued_by"] is None

    json_of(await _continue(client, gz, pid), 201)
    twice = await _continue(client, gz, pid)
    assert twice.status_code == 409 and twice.json()["code"] == "already_continued", twice.text

    # Below the threshold 87号令 art. 43 does not apply: the buyer chooses a method itself.
    small, _ = await _failed_at_opening(client, gz, ["300000", "310000"])
    below = await _continue(client, gz, small)
    assert below.status_code == 409 and below.json()["code"] == "below_threshold", below.text
    assert "chooses a method itself" in below.json()["detail"]

    other_line = await _big_line(client, gz)
    lone, _ = await _failed_at_opening(client, gz, TWO[:1], budget_line_id=other_line, **BIG)
    one = await _continue(client, gz, lone)
    assert one.status_code == 409 and one.json()["code"] == "not_two_valid_bids", one.text
    assert "1 valid bids" in one.json()["detail"]

    # A procurement that has not failed does not go on.
    running = await gz.published()
    refused = await _continue(client, gz, running["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "wrong_state"


async def test_a_continuation_fails_when_one_of_the_two_does_not_respond(
    client: Client, gz: Tenderer
) -> None:
    line = await _big_line(client, gz)
    pid, bidders = await _failed_at_opening(client, gz, TWO, budget_line_id=line, **BIG)
    nid = json_of(await _continue(client, gz, pid), 201)["id"]
    await _approved_and_published(client, gz, nid)
    await gz.bid(nid, bidders[0], "3700000")
    await gz.open_now(nid, await gz.closed(nid))
    officer = await gz.as_("civil_affairs_officer")
    ended = json_of(await client.get(f"{gz.base}/{nid}", headers=officer))
    assert ended["status"] == "failed"
    assert "不足2家（1家）" in (ended["transitions"][-1]["reason"] or "")
    assert await gz.available(line) == "4200000.00"


async def test_a_failed_tender_may_go_on_by_consultation_with_its_two(
    client: Client, gz: Tenderer
) -> None:
    """财库〔2014〕214号 art. 27: the two may be consulted instead, with finance's approval."""
    line = await _big_line(client, gz)
    pid, bidders = await _failed_at_opening(client, gz, TWO, budget_line_id=line, **BIG)
    made = json_of(
        await _continue(
            client, gz, pid, method="competitive_consultation", bid_deadline=later(days=11)
        ),
        201,
    )
    assert made["method"] == "competitive_consultation"
    assert made["method_reason"] == "purchase_of_services"
    assert made["continues_from"] == pid
    nid = made["id"]
    officer = await gz.as_("civil_affairs_officer")
    selection = json_of(await client.get(f"{gz.base}/{nid}/supplier-selection", headers=officer))
    assert sorted(selection["invited"]) == sorted(b.provider_id for b in bidders)
    await _approved_and_published(client, gz, nid)
