"""The negotiated methods, competitive negotiation and single source, from the budget line to the
award."""

from __future__ import annotations

import uuid

import pytest

from tests.support.client import Client, inbox
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


async def test_competitive_negotiation_from_budget_line_to_award(
    client: Client, gz: Tenderer
) -> None:
    # Four, so that one excluded leaves the three the negotiation needs (74号令 art. 37).
    suppliers = [await gz.bidder() for _ in range(4)]
    procurement = await gz.negotiation(suppliers)
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    assert (
        await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer)
    ).status_code == 200
    approval = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approval.status_code == 200, approval.text
    assert (
        await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    ).status_code == 200
    for supplier, price in zip(suppliers, ("340000", "330000", "345000", "348000"), strict=True):
        await gz.bid(pid, supplier, price)
    await gz.open_now(pid, await gz.closed(pid))
    assert (await client.get(f"{gz.base}/{pid}", headers=officer)).json()["status"] == "negotiating"

    early = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={})
    assert early.status_code == 409  # the negotiation group comes first
    speciality = f"negotiation_{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        await gz.expert(speciality=speciality)
    # A technically complex negotiation: its group includes a legal expert (74号令 art. 7).
    await gz.expert(speciality="law", employer="某某律师事务所")
    group = await gz.draw_committee(pid, 3, speciality)
    assert group.status_code == 201, group.text
    draws = (await client.get(f"{gz.base}/{pid}/committee/draws", headers=officer)).json()
    [legal] = [d for d in draws if d["speciality"] == "law"]
    assert len(legal["drawn"]) == 1 and legal["drawn"][0] in group.text

    first = await client.post(
        f"{gz.base}/{pid}/rounds", headers=officer, json={"note": "第一轮：服务方案"}
    )
    assert first.status_code == 201 and first.json()["round"] == 1
    for supplier, price in zip(suppliers, ("330000", "320000", "335000", "338000"), strict=True):
        made = await client.post(
            f"{gz.base}/{pid}/offers",
            headers=supplier.headers,
            json={"price": price, "terms": "按谈判纪要调整"},
        )
        assert made.status_code == 201, made.text
    final = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert final.status_code == 201 and final.json()["final"] is True
    for supplier, price in zip(suppliers, ("318000", "319000", "325000", "329000"), strict=True):
        await client.post(
            f"{gz.base}/{pid}/offers", headers=supplier.headers, json={"price": price}
        )
    outsider = await gz.bidder()
    refused = await client.post(
        f"{gz.base}/{pid}/offers", headers=outsider.headers, json={"price": "1000"}
    )
    assert refused.status_code == 403
    # The group finds the lowest offer's service plan does not meet the requirements.
    excluded = await client.post(
        f"{gz.base}/{pid}/exclusions",
        headers=officer,
        json={"provider_id": suppliers[0].provider_id, "reason": "服务方案未响应驻点服务要求"},
    )
    assert excluded.status_code == 201, excluded.text
    again = await client.post(
        f"{gz.base}/{pid}/offers", headers=suppliers[0].headers, json={"price": "300000"}
    )
    assert again.status_code == 403

    concluded = await gz.conclude(pid, "四家供应商两轮谈判后提交最后报价，一家未实质性响应。")
    assert concluded["status"] == "awaiting_confirmation"
    record = (await client.get(f"{gz.base}/{pid}/negotiation", headers=officer)).json()
    assert [r["round"] for r in record["rounds"]] == [1, 2] and len(record["offers"]) == 8
    assert [e["provider_id"] for e in record["exclusions"]] == [suppliers[0].provider_id]
    result = await gz.award_and_publish(pid)
    assert result["awarded_provider_id"] == suppliers[1].provider_id
    assert result["awarded_price"] == "319000.00"
    notice = await client.get("/v1/notices", params={"kind": "result", "q": procurement["title"]})
    assert "319000.00" in notice.json()["items"][0]["body"]
    # With the result: the award notice (成交通知书) to the winner, the reason to the excluded.
    [award] = await inbox(client, suppliers[1].headers, "tendering.award_notice")
    assert "319000.00" in award["body"]
    [why] = await inbox(client, suppliers[0].headers, "tendering.not_accepted")
    assert "服务方案未响应驻点服务要求" in why["body"]


async def test_single_source_from_budget_line_to_award(client: Client, gz: Tenderer) -> None:
    only = await gz.bidder("独家精神康复社工服务中心")
    procurement = await gz.single_source(only, "本市唯一具备精神康复社工服务资质的机构")
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approved.status_code == 200, approved.text
    opened = await client.post(
        f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True, "note": "价格谈判"}
    )
    assert opened.status_code == 201, opened.text
    assert (await client.get(f"{gz.base}/{pid}", headers=officer)).json()["status"] == "negotiating"
    first = await client.post(
        f"{gz.base}/{pid}/offers", headers=only.headers, json={"price": "349000"}
    )
    assert first.status_code == 201
    second = await client.post(
        f"{gz.base}/{pid}/offers",
        headers=only.headers,
        json={"price": "336000", "terms": "含督导费用"},
    )
    assert second.status_code == 201
    await gz.conclude(pid, "经协商，成交价336000元。")
    result = await gz.award_and_publish(pid)
    assert (result["awarded_provider_id"], result["awarded_price"]) == (
        only.provider_id,
        "336000.00",
    )
    told = await inbox(client, only.headers, "tendering.result")
    assert any(n["data"]["procurement_id"] == pid for n in told)
