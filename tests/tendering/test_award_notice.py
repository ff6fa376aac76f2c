"""The award notice goes with the result notice; every other bidder learns its own score and
rank; the bid securities are owed back on the legal date and followed (财政部令第87号 arts. 38,
69; 政府采购法 art. 46)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import pytest

from services.kit import workdays
from tests.support.client import Client, inbox
from tests.support.database import Sessions
from tests.support.demo import SZ
from tests.support.tendering import Tenderer, sweep

pytestmark = pytest.mark.usefixtures("demo")


async def _security_row(admin_db: asyncpg.Connection, pid: str, bid_id: str) -> asyncpg.Record:
    row = await admin_db.fetchrow(
        "SELECT * FROM bid_securities WHERE procurement_id = $1 AND bid_id = $2",
        uuid.UUID(pid),
        uuid.UUID(bid_id),
    )
    assert row is not None
    return row


async def test_the_winner_gets_the_award_notice_and_the_others_their_standing(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    pid, bidders = await gz.with_result()
    winner, second, third = bidders  # the same quality scores: the lowest price wins
    notice_at = await admin_db.fetchval(
        "SELECT award_notice_at FROM procurements WHERE id = $1", uuid.UUID(pid)
    )
    published_at = await admin_db.fetchval(
        "SELECT result_published_at FROM procurements WHERE id = $1", uuid.UUID(pid)
    )
    assert notice_at == published_at  # issued with the result notice

    [award] = await inbox(client, winner.headers, "tendering.award_notice")
    assert "300000.00" in award["body"]
    # 30 days from the day after the notice, to 24:00 of the 30th (政府采购法 art. 46).
    sign_by = workdays.calendar_deadline(notice_at, 30)
    assert datetime.fromisoformat(award["data"]["sign_by"]) == sign_by
    assert await inbox(client, winner.headers, "tendering.own_standing") == []

    for bidder, rank in ((second, 2), (third, 3)):
        [standing] = await inbox(client, bidder.headers, "tendering.own_standing")
        assert standing["data"]["rank"] == rank and standing["data"]["ranked"] == 3
        assert f"排序第{rank}名" in standing["body"]
        assert await inbox(client, bidder.headers, "tendering.award_notice") == []
        # A bidder learns its own score, never another's.
        assert str(standing["data"]["score"]) in standing["body"]


async def test_bid_securities_are_owed_back_and_returned_once(
    client: Client, gz: Tenderer, sz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    pid, bidders = await gz.with_result()
    officer = await gz.as_("civil_affairs_officer")
    finance = await gz.as_("finance_officer")
    url = f"{gz.base}/{pid}/bid-securities"
    owed = await client.get(url, headers=finance)
    assert owed.status_code == 200, owed.text
    rows = {r["provider_id"]: r for r in owed.json()}
    assert set(rows) == {b.provider_id for b in bidders}
    assert {r["amount"] for r in rows.values()} == {"7000.00"}
    notice_at = await admin_db.fetchval(
        "SELECT award_notice_at FROM procurements WHERE id = $1", uuid.UUID(pid)
    )
    # 5 working days, the notice's day not counted.
    due = workdays.end_of_nth_working_day(notice_at, 5)
    winner = rows[bidders[0].provider_id]
    assert winner["winner"] is True and winner["due_at"] is None  # due after signing
    for loser in (rows[bidders[1].provider_id], rows[bidders[2].provider_id]):
        assert loser["winner"] is False
        assert datetime.fromisoformat(loser["due_at"]) == due
    assert (
        await admin_db.fetchval(
            "SELECT bid_security_due FROM procurements WHERE id = $1", uuid.UUID(pid)
        )
        == due
    )

    loser_bid = rows[bidders[1].provider_id]["bid_id"]
    # Bad input changes nothing.
    bad = await client.post(f"{url}/{loser_bid}/return", headers=officer, json={"paid": True})
    assert bad.status_code == 422
    assert (await _security_row(admin_db, pid, loser_bid))["returned_at"] is None
    # Another region's buyer finds nothing there, and changes nothing.
    sz_officer = await sz.as_("civil_affairs_officer")
    foreign = f"/v1/tenants/{SZ}/procurements/{pid}/bid-securities"
    assert (await client.get(foreign, headers=sz_officer)).status_code == 404
    across = await client.post(f"{foreign}/{loser_bid}/return", headers=sz_officer, json={})
    assert across.status_code == 404
    assert (await _security_row(admin_db, pid, loser_bid))["returned_at"] is None

    returned = await client.post(
        f"{url}/{loser_bid}/return", headers=officer, json={"note": "已原路退回，流水号 8812"}
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["returned_at"] is not None
    again = await client.post(f"{url}/{loser_bid}/return", headers=officer, json={})
    assert again.status_code == 409
    [told] = await inbox(client, bidders[1].headers, "tendering.bid_security_returned")
    assert "7000.00" in told["body"] and "8812" in told["body"]
    # The one still owed keeps the procurement's date; once it is back, nothing is owed.
    last = rows[bidders[2].provider_id]["bid_id"]
    assert (await client.post(f"{url}/{last}/return", headers=officer, json={})).status_code == 200
    assert (
        await admin_db.fetchval(
            "SELECT bid_security_due FROM procurements WHERE id = $1", uuid.UUID(pid)
        )
        is None
    )


async def test_a_security_kept_past_its_date_warns_the_buyer_then_the_administrator(
    gz: Tenderer, sessionmaker: Sessions
) -> None:
    pid, _ = await gz.with_result()
    await sweep(sessionmaker)
    assert [p["step"] for p, _ in await gz.overdue_warnings(pid)] == []

    await gz.moved(pid, "bid_security_due = now() - interval '1 hour'")
    await sweep(sessionmaker)
    warnings = [p for p, _ in await gz.overdue_warnings(pid)]
    assert [(p["step"], p["escalate"]) for p in warnings] == [("退还投标保证金", False)]

    await gz.moved(pid, "bid_security_due = now() - interval '2 days'")
    await sweep(sessionmaker)
    warnings = [p for p, _ in await gz.overdue_warnings(pid)]
    assert ("退还投标保证金", True) in [(p["step"], p["escalate"]) for p in warnings]
