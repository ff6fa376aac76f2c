"""A deadline in a year whose holidays nobody knows (2097: the authorisation matrix enters
2099, so not that one) is counted Monday–Friday and shown provisional wherever it is shown:
the enquiry and challenge answer dues, the bid securities' return dates, and the award and
result notices that quote a deadline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from services.notifications.service import EN, ZH_CN
from services.notifications.templates import render
from tests.support.client import Client
from tests.support.demo import GZ
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

UNKNOWN = datetime(2097, 6, 1, 2, 0, tzinfo=UTC)
KNOWN = datetime(2026, 12, 31, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("bid_deadline", "provisional"), [(UNKNOWN, True), (KNOWN, False)])
async def test_an_enquiry_answer_due_says_whether_it_is_provisional(
    client: Client, gz: Tenderer, bid_deadline: datetime, provisional: bool
) -> None:
    pid = (await gz.published())["id"]
    bidder = await gz.bidder()
    await gz.bid(pid, bidder, "300000")
    asked = await client.post(
        f"{gz.base}/{pid}/enquiries", headers=bidder.headers, json={"question": "人数？"}
    )
    assert asked.status_code == 201, asked.text
    # The answer is due 15 days before the bid deadline (实施条例 art. 31): in its year.
    await gz.moved(pid, f"bid_deadline = '{bid_deadline.isoformat()}'")
    officer = await gz.as_("civil_affairs_officer")
    [shown] = (await client.get(f"{gz.base}/{pid}/enquiries/all", headers=officer)).json()
    assert datetime.fromisoformat(shown["answer_due"]).year == bid_deadline.year
    assert shown["answer_due_provisional"] is provisional


@pytest.mark.parametrize(("due", "provisional"), [(UNKNOWN, True), (KNOWN, False)])
async def test_challenge_and_bid_security_dues_say_whether_they_are_provisional(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection, due: datetime, provisional: bool
) -> None:
    pid, bidders = await gz.with_result()
    filed = await client.post(
        f"{gz.base}/{pid}/challenges", headers=bidders[1].headers, json={"grounds": "评分有误"}
    )
    assert filed.status_code == 201, filed.text
    for table, column in (("challenges", "answer_due"), ("bid_securities", "due_at")):
        await admin_db.execute(
            f"UPDATE {table} SET {column} = $3 WHERE tenant_id = $1 AND procurement_id = $2"
            f" AND {column} IS NOT NULL",
            GZ,
            uuid.UUID(pid),
            due,
        )
    approver = await gz.as_("civil_affairs_approver")
    [challenge] = (await client.get(f"{gz.base}/{pid}/challenges", headers=approver)).json()
    assert challenge["answer_due_provisional"] is provisional
    finance = await gz.as_("finance_officer")
    owed = (await client.get(f"{gz.base}/{pid}/bid-securities", headers=finance)).json()
    losers = [s for s in owed if not s["winner"]]
    assert losers and all(s["due_at_provisional"] is provisional for s in losers)
    # The winner's is due only after signing: no date, nothing provisional.
    assert [s["due_at_provisional"] for s in owed if s["winner"]] == [False]


@pytest.mark.parametrize(
    ("event", "key"), [("tendering.award_notice", "sign_by"), ("tendering.result", "challenge_by")]
)
def test_a_notice_marks_a_provisional_deadline_it_quotes(event: str, key: str) -> None:
    context = {
        "tenant_name": "广州市",
        "title": "社区服务",
        "ocid": "ocds-1",
        "price": "300000.00",
        "winner": "甲社工",
    }
    unknown = render(event, {**context, key: UNKNOWN}, ZH_CN)
    assert "2097年06月01日 10:00（暂定）" in unknown.body
    assert "(provisional)" in render(event, {**context, key: UNKNOWN}, EN).body
    known = render(event, {**context, key: KNOWN}, ZH_CN)
    assert "2026年12月31日 10:00" in known.body and "暂定" not in known.body
