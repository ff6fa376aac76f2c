"""Credit checked where it matters: a bar announced while a procurement runs sets the bid aside
where the documents apply it (the buyer told either way), a barred winner is not confirmed, a
barred supplier makes no offer, and finance cannot approve a barred single source."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import dramatiq
import pytest

from services.credit.rules import today
from tests.support.client import Client, Login, error_fields, inbox, json_of
from tests.support.credit import confirmed
from tests.support.database import Sessions
from tests.support.demo import GZ, SZ, city_login
from tests.support.jobs import relay_and_run
from tests.support.tendering import Bidder, Tenderer, procurement_body

pytestmark = pytest.mark.usefixtures("demo")
REGIONAL = {
    "ground": "regional_disqualification",
    "legal_basis": "《关于政府购买社会工作服务的指导意见》（民发〔2012〕196号）三（五）",
}


async def _four_qualified(gz: Tenderer, **changes: Any) -> tuple[str, list[Bidder]]:
    """An open tender with four bids, opened and qualified by the buyer; the first bidder
    offers the lowest price."""
    procurement = await gz.published(**changes)
    pid = procurement["id"]
    bidders = [await gz.bidder() for _ in range(4)]
    for bidder, price in zip(bidders, ("290000", "300000", "310000", "320000"), strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(pid, await gz.closed(pid))
    await gz.qualified(pid)
    return pid, bidders


async def _told(client: Client, gz: Tenderer, pid: str) -> list[dict[str, Any]]:
    found = await inbox(client, await gz.as_("civil_affairs_officer"), "tendering.bidder_barred")
    return [n for n in found if n["data"]["procurement_id"] == pid]


async def _bids(client: Client, gz: Tenderer, pid: str) -> set[str]:
    """The providers whose bids the buyer sees under evaluation (the valid ones)."""
    officer = await gz.as_("civil_affairs_officer")
    listed = await client.get(f"{gz.base}/{pid}/bids", headers=officer)
    assert listed.status_code == 200, listed.text
    return {b["provider_id"] for b in listed.json()}


async def test_a_provider_barred_after_bidding_is_set_aside_at_evaluation_and_the_buyer_told(
    client: Client, login: Login, gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    pid, bidders = await _four_qualified(gz)
    barred = bidders[0]
    await confirmed(client, login, barred.provider_id, "province")
    await relay_and_run(sessionmaker, broker)

    # The buyer's list of bids under evaluation no longer holds it; the review says why.
    assert set(await _bids(client, gz, pid)) == {b.provider_id for b in bidders[1:]}
    review = await gz.review_of(pid, await gz.as_("civil_affairs_officer"))
    [verdict] = [v for v in review["verdicts"] if v["provider_id"] == barred.provider_id]
    assert verdict["qualified"] is False and "信用审查" in verdict["qualification_reason"]
    [told] = await _told(client, gz, pid)
    assert barred.name in told["body"] and "已被认定无效并予以剔除" in told["body"]

    # The committee scores the three others; the price benchmark is the lowest of those.
    await gz.scored_by_committee(pid)
    report = json_of(
        await client.get(f"{gz.base}/{pid}/report", headers=await gz.as_("civil_affairs_officer"))
    )
    ranking = report["ranking"]
    assert [r["provider_id"] for r in ranking] == [b.provider_id for b in bidders[1:]]
    assert ranking[0]["price"] == "300000.00" and Decimal(ranking[0]["price_score"]) == 30


async def test_a_bar_the_documents_do_not_apply_leaves_the_bid_in_and_the_buyer_is_told(
    client: Client, login: Login, gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    pid, bidders = await _four_qualified(gz, credit_bars=["art77"])
    procurement = json_of(
        await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    )
    assert (procurement["credit_bars"], procurement["credit_window"]) == (["art77"], "at_check")
    await confirmed(client, login, bidders[0].provider_id, "province", **REGIONAL)
    await relay_and_run(sessionmaker, broker)

    assert set(await _bids(client, gz, pid)) == {b.provider_id for b in bidders}
    [told] = await _told(client, gz, pid)
    assert bidders[0].name in told["body"] and "未将该类记录列为资格条件" in told["body"]


async def test_a_barred_winner_cannot_be_confirmed_and_the_buyer_sets_it_aside(
    client: Client, login: Login, gz: Tenderer
) -> None:
    pid, bidders = await _four_qualified(gz)
    await gz.scored_by_committee(pid)
    approver = await gz.as_("civil_affairs_approver")
    officer = await gz.as_("civil_affairs_officer")
    before = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert before["status"] == "awaiting_confirmation"
    # Barred after the report; the bar's job has not reached tendering yet.
    await confirmed(client, login, bidders[0].provider_id, "province", **REGIONAL)

    refused = await client.post(f"{gz.base}/{pid}/award", headers=approver)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "winner_barred"
    assert "credit-recheck" in problem["detail"] and "196号" in problem["detail"]
    assert [b["ground"] for b in problem["bars"]] == ["regional_disqualification"]
    after = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert (after["status"], after["awarded_provider_id"]) == ("awaiting_confirmation", None)

    # The buyer's next step: the bid is set aside and the next valid bid recommended.
    denied = await client.post(
        f"{gz.base}/{pid}/credit-recheck", headers=await gz.as_("finance_approver")
    )
    assert denied.status_code == 403
    other = await client.post(
        f"/v1/tenants/{SZ}/procurements/{pid}/credit-recheck",
        headers=await login(city_login("civil_affairs_officer", SZ)),
    )
    assert other.status_code == 404
    rechecked = await client.post(f"{gz.base}/{pid}/credit-recheck", headers=officer)
    assert rechecked.status_code == 200, rechecked.text
    assert set(await _bids(client, gz, pid)) == {b.provider_id for b in bidders[1:]}
    awarded = await client.post(f"{gz.base}/{pid}/award", headers=approver)
    assert awarded.status_code == 200, awarded.text
    assert awarded.json()["awarded_provider_id"] == bidders[1].provider_id


async def test_a_barred_negotiation_supplier_makes_no_offer(
    client: Client, login: Login, gz: Tenderer
) -> None:
    only = await gz.bidder("独家康复社工服务中心")
    procurement = await gz.single_source(only, "本市唯一具备康复社工服务资质的机构")
    pid = procurement["id"]
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approved.status_code == 200, approved.text
    officer = await gz.as_("civil_affairs_officer")
    opened = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert opened.status_code == 201, opened.text
    first = await client.post(
        f"{gz.base}/{pid}/offers", headers=only.headers, json={"price": "349000"}
    )
    assert first.status_code == 201, first.text

    await confirmed(client, login, only.provider_id, "tenant")
    refused = await client.post(
        f"{gz.base}/{pid}/offers", headers=only.headers, json={"price": "340000"}
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "provider_disqualified"
    mine = await client.get(f"{gz.base}/{pid}/my-offers", headers=only.headers)
    assert [o["price"] for o in mine.json()] == ["349000.00"]


async def test_finance_cannot_approve_a_barred_single_source(
    client: Client, login: Login, gz: Tenderer
) -> None:
    only = await gz.bidder("独家禁毒社工服务中心")
    procurement = await gz.single_source(only, "本市唯一具备禁毒社工服务资质的机构")
    pid = procurement["id"]
    await confirmed(client, login, only.provider_id, "province")
    finance = await gz.as_("finance_approver")

    refused = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "proposed_provider_barred"
    officer = await gz.as_("civil_affairs_officer")
    still = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert (still["status"], still["approved_by"]) == ("awaiting_approval", None)
    # Finance sends it back with its reason instead.
    back = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=finance,
        json={"approve": False, "note": "拟定供应商已被列入不良行为记录名单"},
    )
    assert back.status_code == 200 and back.json()["status"] == "draft"


async def test_a_procurement_must_apply_the_art77_ban(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    line = await gz.line()
    before = await admin_db.fetchval("SELECT count(*) FROM procurements WHERE tenant_id = $1", GZ)
    response = await client.post(
        gz.base,
        headers=await gz.as_("civil_affairs_officer"),
        json=procurement_body(line, credit_bars=["regional_disqualification"]),
    )
    assert response.status_code == 422, response.text
    assert error_fields(response) == {"credit_bars"}
    after = await admin_db.fetchval("SELECT count(*) FROM procurements WHERE tenant_id = $1", GZ)
    assert after == before


async def test_the_documents_window_decides_whether_a_bar_starting_later_counts(
    client: Client, login: Login, gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    """Bids still open, the deadline 25 days away; a bar confirmed now that begins in 5 days.
    Checked from the notice to the deadline, it counts; checked on the day, not yet."""
    windowed = (await gz.published(credit_window="notice_to_deadline"))["id"]
    on_the_day = (await gz.published())["id"]
    bidder = await gz.bidder()
    for pid in (windowed, on_the_day):
        await gz.bid(pid, bidder, "300000")
    await confirmed(
        client, login, bidder.provider_id, "province", starts_on=today() + timedelta(days=5)
    )
    await relay_and_run(sessionmaker, broker)

    async def status(pid: str) -> list[str]:
        mine = await client.get(f"{gz.base}/{pid}/my-bids", headers=bidder.headers)
        return [b["status"] for b in mine.json()]

    assert await status(windowed) == ["invalid"]
    assert await status(on_the_day) == ["submitted"]
    [set_aside] = await _told(client, gz, windowed)
    assert "已被认定无效并予以剔除" in set_aside["body"]
    [kept] = await _told(client, gz, on_the_day)
    assert "不在采购文件规定的信用查询期间内" in kept["body"]
    # Nor may it bid again where the window holds the bar.
    again = await client.post(
        f"{gz.base}/{windowed}/bids", headers=bidder.headers, json={"price": "299000"}
    )
    assert again.status_code == 403 and again.json()["code"] == "provider_disqualified"
