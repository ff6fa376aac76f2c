"""The review after a tender's opening (资格审查 by the buyer, 符合性审查 by the committee): an
invalid bid is excluded with its reason, told to its own bidder only; the price benchmark is the
lowest valid price (87号令 art. 55); fewer than three valid bids fail the tender (政府采购法
art. 36)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.support.client import Client, error_fields, inbox, json_of
from tests.support.tendering import Bidder, Tenderer

NO_CERTIFICATE = "未提供民办非企业单位登记证书，不符合招标文件规定的资格条件"
NOT_RESPONSIVE = "服务期限未响应招标文件12个月的实质性要求"


async def _opened_with(gz: Tenderer, prices: list[str], **changes: Any) -> tuple[str, list[Bidder]]:
    """A published open tender with one bid per price, opened: waiting for the buyer's review."""
    procurement = await gz.published(**changes)
    pid = procurement["id"]
    bidders = [await gz.bidder() for _ in prices]
    deadline = await gz.closing_in(pid, 6)
    for bidder, price in zip(bidders, prices, strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(pid, deadline)
    return pid, bidders


async def _bid_of(gz: Tenderer, pid: str, bidder: Bidder) -> str:
    review = await gz.review_of(pid, await gz.as_("civil_affairs_officer"))
    (bid_id,) = [v["bid_id"] for v in review["verdicts"] if v["provider_id"] == bidder.provider_id]
    return str(bid_id)


async def _told(client: Client, bidder: Bidder, pid: str) -> list[dict[str, Any]]:
    notes = await inbox(client, bidder.headers, "tendering.bid_invalid")
    return [n for n in notes if n["data"]["procurement_id"] == pid]


async def test_an_unqualified_lowest_bid_is_excluded_and_the_price_benchmark_ignores_it(
    client: Client, gz: Tenderer
) -> None:
    pid, bidders = await _opened_with(gz, ["280000", "300000", "310000", "320000"])
    cheapest = await _bid_of(gz, pid, bidders[0])
    officer = await gz.as_("civil_affairs_officer")
    reviewed = await gz.review(pid, "qualification", officer, {cheapest: NO_CERTIFICATE})
    body = json_of(reviewed)
    assert body["status"] == "compliance_review"
    verdicts = {v["bid_id"]: v for v in body["verdicts"]}
    assert len(verdicts) == 4
    assert verdicts[cheapest]["qualified"] is False
    assert verdicts[cheapest]["qualification_reason"] == NO_CERTIFICATE
    assert [v["qualified"] for k, v in verdicts.items() if k != cheapest] == [True] * 3

    # The excluded bidder reads and is told its own reason; the others neither see nor hear it.
    own = await gz.review_of(pid, bidders[0].headers)
    assert [(v["bid_id"], v["qualification_reason"]) for v in own["verdicts"]] == [
        (cheapest, NO_CERTIFICATE)
    ]
    [told] = await _told(client, bidders[0], pid)
    assert NO_CERTIFICATE in told["body"]
    for other in bidders[1:]:
        seen = await client.get(f"{gz.base}/{pid}/review", headers=other.headers)
        assert seen.status_code == 200
        assert NO_CERTIFICATE not in seen.text and cheapest not in seen.text
        assert [v["qualified"] for v in seen.json()["verdicts"]] == [True]
        assert await _told(client, other, pid) == []
    # Finance reads every verdict.
    finance = await gz.review_of(pid, await gz.as_("finance_officer"))
    assert {v["bid_id"] for v in finance["verdicts"]} == set(verdicts)

    # The committee finds the rest compliant and scores them; the invalid bid is not scored.
    await gz.scored_by_committee(pid)
    report = json_of(await client.get(f"{gz.base}/{pid}/report", headers=officer))
    assert cheapest not in {r["bid_id"] for r in report["ranking"]}
    assert [r["price"] for r in report["ranking"]] == ["300000.00", "310000.00", "320000.00"]
    # The benchmark is 300000 (the lowest valid price), not the excluded 280000.
    for ranked in report["ranking"]:
        expected = (Decimal("300000") / Decimal(ranked["price"]) * 30).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert Decimal(ranked["price_score"]) == expected
    assert report["ranking"][0]["price_score"] == "30.00"  # 28.00 against all bids
    result = await gz.award_and_publish(pid)
    assert (result["awarded_provider_id"], result["awarded_price"]) == (
        bidders[1].provider_id,
        "300000.00",
    )
    # The award notice tells the excluded bidder its reason again, and its security is owed
    # back like any losing bidder's.
    not_accepted = await inbox(client, bidders[0].headers, "tendering.not_accepted")
    assert any(
        n["data"]["procurement_id"] == pid and NO_CERTIFICATE in n["body"] for n in not_accepted
    )
    securities = await client.get(f"{gz.base}/{pid}/bid-securities", headers=officer)
    assert securities.status_code == 200, securities.text
    owed: list[dict[str, Any]] = securities.json()
    [security] = [s for s in owed if s["bid_id"] == cheapest]
    assert security["due_at"] is not None and len(owed) == 4
    final = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    statuses = [t["to_status"] for t in final["transitions"]]
    assert statuses[statuses.index("tendering") :][:4] == [
        "tendering",
        "qualification_review",
        "compliance_review",
        "evaluation",
    ]


async def test_two_valid_bids_after_the_qualification_review_fail_the_tender(
    client: Client, gz: Tenderer
) -> None:
    line = await gz.line()
    before = await gz.available(line)
    pid, bidders = await _opened_with(gz, ["300000", "310000", "320000"], budget_line_id=line)
    assert await gz.available(line) != before
    unqualified = await _bid_of(gz, pid, bidders[2])
    reviewed = await gz.review(
        pid, "qualification", await gz.as_("civil_affairs_officer"), {unqualified: NO_CERTIFICATE}
    )
    assert json_of(reviewed)["status"] == "failed"
    procurement = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("finance_officer"))
    title = procurement.json()["title"]
    failure = await client.get("/v1/notices", params={"kind": "failure", "q": title})
    assert "资格审查后符合要求的供应商不足3家（2家）" in failure.json()["items"][0]["body"]
    # The project goes back to its budget line, as a tender that failed at the opening.
    assert await gz.available(line) == before
    for bidder in bidders:
        failed = await inbox(client, bidder.headers, "tendering.failed")
        assert any(n["data"]["procurement_id"] == pid for n in failed)
    assert len(await _told(client, bidders[2], pid)) == 1
    assert await _told(client, bidders[0], pid) == []


async def test_a_non_compliant_bid_leaves_two_and_fails_the_tender(
    client: Client, gz: Tenderer
) -> None:
    pid, bidders = await gz.opened()
    speciality = f"review_{uuid.uuid4().hex[:6]}"
    experts = [await gz.expert(speciality=speciality) for _ in range(5)]
    json_of(await gz.draw_committee(pid, 5, speciality), 201)
    # Scores wait for the compliance review.
    early = await client.post(
        f"{gz.base}/{pid}/scores",
        headers=experts[0][1],
        json={"scores": [{"bid_id": str(uuid.uuid4()), "criterion": "服务方案", "score": "1"}]},
    )
    assert early.status_code == 409, early.text
    member = experts[0][1]
    # An expert of the province's library not drawn for this committee holds no role here.
    off_committee = (await gz.expert(speciality=speciality))[1]
    refused = await gz.review(pid, "compliance", off_committee)
    assert refused.status_code == 403, refused.text
    # The buyer's officer does not sit on this committee either.
    officer = await gz.as_("civil_affairs_officer")
    assert (await gz.review(pid, "compliance", officer)).status_code == 404
    assert (await client.get(f"{gz.base}/{pid}/review", headers=off_committee)).status_code == 403

    failing = await _bid_of(gz, pid, bidders[0])
    reviewed = json_of(await gz.review(pid, "compliance", member, {failing: NOT_RESPONSIVE}))
    assert reviewed["status"] == "failed"
    verdict = next(v for v in reviewed["verdicts"] if v["bid_id"] == failing)
    assert (verdict["qualified"], verdict["compliant"]) == (True, False)
    assert verdict["compliance_reason"] == NOT_RESPONSIVE
    [told] = await _told(client, bidders[0], pid)
    assert NOT_RESPONSIVE in told["body"] and "符合性审查" in told["body"]
    assert await _told(client, bidders[1], pid) == []
    # The committee's members read every verdict.
    seen = await gz.review_of(pid, experts[1][1])
    assert len(seen["verdicts"]) == 3


async def test_bad_verdicts_are_refused_naming_the_field_and_change_nothing(
    client: Client, gz: Tenderer
) -> None:
    pid, bidders = await _opened_with(gz, ["300000", "310000", "320000"])
    officer = await gz.as_("civil_affairs_officer")
    ids = [await _bid_of(gz, pid, bidder) for bidder in bidders]
    url = f"{gz.base}/{pid}/qualification-review"
    valid = [{"bid_id": i, "valid": True} for i in ids]
    for verdicts, field in [
        ([{"bid_id": ids[0], "valid": False}, *valid[1:]], "verdicts[0].reason"),
        ([{"bid_id": ids[0], "valid": True, "reason": "合格"}, *valid[1:]], "verdicts[0].reason"),
        ([*valid, {"bid_id": str(uuid.uuid4()), "valid": True}], "verdicts[3].bid_id"),
        ([*valid, valid[0]], "verdicts[3].bid_id"),
        (valid[:2], "verdicts"),
        ([{"bid_id": "not-a-uuid", "valid": True}], "verdicts[0].bid_id"),
        ([{"bid_id": ids[0], "valid": "yes"}], "verdicts[0].valid"),
        ([], "verdicts"),
    ]:
        response = await client.post(url, headers=officer, json={"verdicts": verdicts})
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in error_fields(response), (field, response.text)
    untouched = await gz.review_of(pid, officer)
    assert untouched["status"] == "qualification_review"
    assert all(v["qualified"] is None for v in untouched["verdicts"])


async def test_who_may_review(client: Client, gz: Tenderer) -> None:
    pid, bidders = await _opened_with(gz, ["300000", "310000", "320000"])
    for role in ("finance_officer", "finance_approver", "expert", "tenant_admin"):
        denied = await gz.review(pid, "qualification", await gz.as_(role))
        assert denied.status_code == 403, (role, denied.text)
    for headers in (bidders[0].headers, await gz.as_("finance_officer")):
        denied = await gz.review(pid, "compliance", headers)
        assert denied.status_code == 403, denied.text
    assert (await gz.review(pid, "qualification", bidders[0].headers)).status_code == 403
    reader = await client.get(f"{gz.base}/{pid}/review", headers=await gz.as_("partner_department"))
    assert reader.status_code == 403
    # The approver may review; once done, the qualification review is not done twice.
    approver = await gz.as_("civil_affairs_approver")
    assert json_of(await gz.review(pid, "qualification", approver))["status"] == (
        "compliance_review"
    )
    again = await client.post(
        f"{gz.base}/{pid}/qualification-review",
        headers=approver,
        json={"verdicts": [{"bid_id": await _bid_of(gz, pid, bidders[0]), "valid": True}]},
    )
    assert again.status_code == 409, again.text
