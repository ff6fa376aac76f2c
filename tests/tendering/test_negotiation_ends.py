"""A competitive negotiation left with fewer than three suppliers meeting the requirements ends
as failed (财政部令第74号 art. 37(1)-(2)): the failure notice gives the reason, the money goes
back to the budget line and every supplier is told."""

from __future__ import annotations

import uuid

import dramatiq
import pytest

from tests.support.client import Client, Login, inbox, json_of
from tests.support.credit import confirmed
from tests.support.database import Sessions
from tests.support.jobs import relay_and_run
from tests.support.tendering import Bidder, Tenderer

pytestmark = pytest.mark.usefixtures("demo")

REASON = "服务方案未响应驻点服务要求"


async def _negotiating(client: Client, gz: Tenderer, suppliers: list[Bidder], line: str) -> str:
    """A competitive negotiation opened with ``suppliers``, its group drawn, one round held."""
    procurement = await gz.negotiation(suppliers, budget_line_id=line)
    pid: str = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    submitted = await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer)
    assert submitted.status_code == 200, submitted.text
    approval = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approval.status_code == 200, approval.text
    published = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert published.status_code == 200, published.text
    for supplier in suppliers:
        await gz.bid(pid, supplier, "340000")
    await gz.open_now(pid, await gz.closed(pid))
    speciality = f"negotiation_{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        await gz.expert(speciality=speciality)
    await gz.expert(speciality="law", employer="某某律师事务所")
    assert (await gz.draw_committee(pid, 3, speciality)).status_code == 201
    first = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={})
    assert first.status_code == 201, first.text
    for supplier in suppliers:
        made = await client.post(
            f"{gz.base}/{pid}/offers", headers=supplier.headers, json={"price": "330000"}
        )
        assert made.status_code == 201, made.text
    return pid


async def _exclude(client: Client, gz: Tenderer, pid: str, supplier: Bidder) -> None:
    excluded = await client.post(
        f"{gz.base}/{pid}/exclusions",
        headers=await gz.as_("civil_affairs_officer"),
        json={"provider_id": supplier.provider_id, "reason": REASON},
    )
    assert excluded.status_code == 201, excluded.text


async def test_three_suppliers_one_excluded_end_the_negotiation(
    client: Client, gz: Tenderer
) -> None:
    line = await gz.line()
    before = await gz.available(line)
    suppliers = [await gz.bidder() for _ in range(3)]
    pid = await _negotiating(client, gz, suppliers, line)
    assert await gz.available(line) != before

    await _exclude(client, gz, pid, suppliers[0])
    officer = await gz.as_("civil_affairs_officer")
    procurement = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert procurement["status"] == "failed"
    failure = await client.get("/v1/notices", params={"kind": "failure", "q": procurement["title"]})
    [notice] = failure.json()["items"]
    assert "谈判中符合要求的供应商不足3家（2家）" in notice["body"]
    assert REASON in notice["body"]
    # The project goes back to its budget line, as a tender that failed.
    assert await gz.available(line) == before
    for supplier in suppliers:
        told = await inbox(client, supplier.headers, "tendering.failed")
        assert [n for n in told if n["data"]["procurement_id"] == pid], supplier
    # Nothing more happens in it: no offers, no round.
    late = await client.post(
        f"{gz.base}/{pid}/offers", headers=suppliers[1].headers, json={"price": "320000"}
    )
    assert late.status_code == 409, late.text
    again = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert again.status_code == 409, again.text


async def test_four_suppliers_one_excluded_go_on(client: Client, gz: Tenderer) -> None:
    line = await gz.line()
    suppliers = [await gz.bidder() for _ in range(4)]
    pid = await _negotiating(client, gz, suppliers, line)

    await _exclude(client, gz, pid, suppliers[0])
    officer = await gz.as_("civil_affairs_officer")
    procurement = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert procurement["status"] == "negotiating"
    failure = await client.get("/v1/notices", params={"kind": "failure", "q": procurement["title"]})
    assert failure.json()["items"] == []
    final = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert final.status_code == 201, final.text
    for supplier, price in zip(suppliers[1:], ("321000", "319000", "325000"), strict=True):
        made = await client.post(
            f"{gz.base}/{pid}/offers", headers=supplier.headers, json={"price": price}
        )
        assert made.status_code == 201, made.text
    concluded = await gz.conclude(pid, "四家供应商谈判，一家未实质性响应，三家提交最后报价。")
    assert concluded["status"] == "awaiting_confirmation"
    result = await gz.award_and_publish(pid)
    assert result["awarded_provider_id"] == suppliers[2].provider_id


async def test_a_supplier_set_aside_for_a_bar_ends_a_negotiation_of_three(
    client: Client, login: Login, gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    line = await gz.line()
    before = await gz.available(line)
    suppliers = [await gz.bidder() for _ in range(3)]
    pid = await _negotiating(client, gz, suppliers, line)

    await confirmed(client, login, suppliers[0].provider_id, "province")
    await relay_and_run(sessionmaker, broker)
    officer = await gz.as_("civil_affairs_officer")
    procurement = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert procurement["status"] == "failed"
    failure = await client.get("/v1/notices", params={"kind": "failure", "q": procurement["title"]})
    [notice] = failure.json()["items"]
    assert "谈判中符合要求的供应商不足3家（2家）" in notice["body"]
    assert "信用审查" in notice["body"]
    assert await gz.available(line) == before
    for supplier in suppliers:
        told = await inbox(client, supplier.headers, "tendering.failed")
        assert [n for n in told if n["data"]["procurement_id"] == pid], supplier
