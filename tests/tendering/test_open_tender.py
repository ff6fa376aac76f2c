"""An open tender from the approved budget line to the award, and one that fails for want of bids:
the whole procedure through the API, sealed prices and all."""

from __future__ import annotations

import json
import random
import uuid
from decimal import ROUND_HALF_UP, Decimal

import asyncpg
import pytest

from services.documents import tasks as document_tasks
from services.kit.db import transaction
from services.kit.errors import NotFound
from services.kit.jobs import JobContext
from services.tendering import service as tendering
from services.tendering import tasks
from tests.support.client import Client, inbox
from tests.support.database import Sessions
from tests.support.demo import GZ, SZ
from tests.support.documents import pdf
from tests.support.planning import COSTED_TOTAL
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


async def test_open_tender_from_budget_line_to_award(
    client: Client,
    gz: Tenderer,
    sessionmaker: Sessions,
    admin_db: asyncpg.Connection,
) -> None:
    officer = await gz.as_("civil_affairs_officer")
    approver = await gz.as_("civil_affairs_approver")
    line = await gz.line()
    procurement = await gz.create(budget_line_id=line)
    pid = procurement["id"]
    assert procurement["status"] == "draft" and procurement["ocid"].endswith(pid)
    # The procurement's budget is committed against the line at once.
    assert Decimal(await gz.available(line)) == Decimal(COSTED_TOTAL) - Decimal("360000.00")

    published = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert published.status_code == 200 and published.json()["status"] == "tendering"
    # The tender notice is public, in every region's list, without signing in.
    notices = await client.get("/v1/notices", params={"kind": "tender", "q": procurement["title"]})
    assert [n["procurement_id"] for n in notices.json()["items"]] == [pid]

    bidders = [await gz.bidder() for _ in range(3)]
    asked = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=bidders[0].headers,
        json={"question": "是否接受联合体投标？"},
    )
    assert asked.status_code == 201, asked.text
    answered = await client.post(
        f"{gz.base}/{pid}/enquiries/{asked.json()['id']}/answer",
        headers=officer,
        json={"answer": "不接受联合体投标。"},
    )
    assert answered.status_code == 200, answered.text
    public = await client.get(f"{gz.base}/{pid}/enquiries")
    assert public.status_code == 200 and public.json()[0]["answer"] == "不接受联合体投标。"
    assert "provider_id" not in public.json()[0] and public.json()[0]["mine"] is False

    prices = ["300000.00", "320000.00", "280000.00"]
    receipts = [
        await gz.bid(pid, bidder, price) for bidder, price in zip(bidders, prices, strict=True)
    ]
    assert all(len(r["receipt"]) == 64 and r["price"] is None for r in receipts)
    # A bid replaced before the deadline gets a new receipt.
    replaced = await client.put(
        f"{gz.base}/{pid}/bids/{receipts[1]['id']}",
        headers=bidders[1].headers,
        json={"price": "310000.00"},
    )
    assert replaced.status_code == 200 and replaced.json()["receipt"] != receipts[1]["receipt"]
    prices[1] = "310000.00"
    # Before the opening nobody sees who has bid, or for how much.
    sealed = await client.get(f"{gz.base}/{pid}/bids", headers=officer)
    assert sealed.status_code == 409 and sealed.json()["code"] == "bids_sealed"
    stored = await admin_db.fetch(
        "SELECT price, price_sealed FROM bids WHERE tenant_id = $1 AND procurement_id = $2",
        GZ,
        uuid.UUID(pid),
    )
    assert all(row["price"] is None for row in stored)
    assert all(b"300000" not in row["price_sealed"] for row in stored)

    await gz.open_now(pid, await gz.closed(pid))
    opened = await client.get(f"{gz.base}/{pid}/bids", headers=officer)
    assert opened.status_code == 200
    assert sorted(b["price"] for b in opened.json()) == sorted(prices)
    record = await inbox(client, bidders[0].headers, "tendering.opening_record")
    assert any(n["data"]["procurement_id"] == pid for n in record)
    assert all(
        p in next(n for n in record if n["data"]["procurement_id"] == pid)["body"] for p in prices
    )

    await gz.qualified(pid)
    speciality = f"child_services_{uuid.uuid4().hex[:6]}"
    experts = [await gz.expert(speciality=speciality) for _ in range(6)]
    # One more expert, who works for a bidder: never drawn.
    tied, _ = await gz.expert(affiliated=[bidders[2].provider_id], speciality=speciality)
    drawn = await gz.draw_committee(
        pid, 4, speciality, buyer_representative_ids=[await _user_id(client, approver)]
    )
    assert drawn.status_code == 201, drawn.text
    seats = drawn.json()["members"]
    assert len(seats) == 5 and tied not in {s["user_id"] for s in seats}
    # The draw is reproducible from its recorded seed and the recorded pool.
    audit = await admin_db.fetchval(
        "SELECT after FROM audit_log WHERE tenant_id = $1 AND action = 'committee.drawn' AND"
        " object_id = $2",
        GZ,
        pid,
    )
    audit = json.loads(audit) if isinstance(audit, str) else audit
    redo = random.Random(audit["seed"]).sample(audit["pool"], 4)
    assert set(redo) == {s["user_id"] for s in seats if s["kind"] == "expert"}
    assert tied not in audit["pool"]

    headers_of = {user_id: h for user_id, h in experts}
    headers_of[await _user_id(client, approver)] = approver
    members = [s["user_id"] for s in seats]
    bid_ids = [b["id"] for b in opened.json()]
    first = members[0]
    await gz.compliant(pid, headers_of[first])
    await gz.score(pid, headers_of[first], bid_ids)
    # A member sees only their own scores until all are in; the buyer sees none.
    own = await client.get(f"{gz.base}/{pid}/scores", headers=headers_of[first])
    assert {s["member"] for s in own.json()} == {first}
    hidden = await client.get(f"{gz.base}/{pid}/scores", headers=officer)
    assert hidden.status_code == 409 and hidden.json()["code"] == "scores_hidden"
    for member in members[1:]:
        await gz.score(pid, headers_of[member], bid_ids)

    report = (await client.get(f"{gz.base}/{pid}/report", headers=officer)).json()
    assert report["complete"] is True
    lowest = min(Decimal(p) for p in prices)
    for ranked in report["ranking"]:
        expected = (lowest / Decimal(ranked["price"]) * 30).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert Decimal(ranked["price_score"]) == expected
    winner = report["ranking"][0]
    assert winner["price"] == "280000.00"  # same quality scores: the lowest price wins
    assert report["recommended_bid_id"] == winner["bid_id"]

    assert (await client.post(f"{gz.base}/{pid}/award", headers=officer)).status_code == 403
    awarded = await client.post(f"{gz.base}/{pid}/award", headers=approver)
    assert awarded.status_code == 200 and awarded.json()["status"] == "awarded"
    result = await client.post(f"{gz.base}/{pid}/result", headers=officer)
    assert result.status_code == 200 and result.json()["status"] == "result_published"
    results = await client.get("/v1/notices", params={"kind": "result", "q": procurement["title"]})
    assert bidders[2].name in results.json()["items"][0]["body"]

    challenge = await client.post(
        f"{gz.base}/{pid}/challenges",
        headers=bidders[0].headers,
        json={"grounds": "评分标准适用有误"},
    )
    assert challenge.status_code == 201, challenge.text
    dismissed = await client.post(
        f"{gz.base}/{pid}/challenges/{challenge.json()['id']}/answer",
        headers=approver,
        json={"outcome": "dismissed", "answer": "经复核，评分符合招标文件规定，质疑不成立。"},
    )
    assert dismissed.status_code == 200, dismissed.text
    # Later stages read the award only once it stands.
    async with transaction(sessionmaker, GZ) as session:
        with pytest.raises(tendering.WrongState):
            await tendering.concluded_award(session, GZ, uuid.UUID(pid))
    # Eight working days later the award stands: the chronograph's sweep concludes it.
    await gz.moved(pid, "result_published_at = now() - interval '20 days'")
    async with transaction(sessionmaker, GZ) as session:
        await tasks.conclude(
            JobContext(session, GZ, f"conclude-{pid}", None), {"procurement_id": pid}
        )
    final = await client.get(f"{gz.base}/{pid}", headers=officer)
    assert final.json()["status"] == "concluded"
    assert [t["to_status"] for t in final.json()["transitions"]] == [
        "draft",
        "tendering",
        "qualification_review",
        "compliance_review",
        "evaluation",
        "awaiting_confirmation",
        "awarded",
        "result_published",
        "challenged",
        "result_published",
        "concluded",
    ]
    # What contracts will draft from: the winner, its price (never the budget), the money held.
    async with transaction(sessionmaker, GZ) as session:
        award = await tendering.concluded_award(session, GZ, uuid.UUID(pid))
    assert str(award.provider_id) == str(bidders[2].provider_id)
    assert str(award.bid_id) == winner["bid_id"]
    assert award.price == Decimal("280000.00") < award.budget_amount
    assert str(award.commitment_id) == str(
        await admin_db.fetchval(
            "SELECT commitment_id FROM procurements WHERE tenant_id = $1 AND id = $2",
            GZ,
            uuid.UUID(pid),
        )
    )
    # (the test moved the result notice 20 days back, so only the conclusion is in order)
    assert award.concluded_at is not None
    assert award.result_published_at < award.concluded_at
    assert award.confirmed_at < award.concluded_at
    assert award.award_notice_at is not None  # sent with the result notice
    assert award.sign_by is not None and award.sign_by > award.award_notice_at
    # Another region's session does not find it.
    async with transaction(sessionmaker, SZ) as session:
        with pytest.raises(NotFound):
            await tendering.concluded_award(session, SZ, uuid.UUID(pid))


async def _user_id(client: Client, headers: dict[str, str]) -> str:
    return str((await client.get("/v1/me", headers=headers)).json()["user"]["id"])


async def test_an_open_tender_with_two_bids_fails_and_gives_the_money_back(
    client: Client,
    gz: Tenderer,
    sessionmaker: Sessions,
    admin_db: asyncpg.Connection,
) -> None:
    line = await gz.line()
    procurement = await gz.published(budget_line_id=line)
    pid = procurement["id"]
    bidders = [await gz.bidder() for _ in range(2)]
    bids = [await gz.bid(pid, bidder, "300000.00") for bidder in bidders]
    document = await gz.attach(bidders[0].headers, bids[0]["id"], pdf())
    assert document.status_code == 201, document.text
    await gz.open_now(pid, await gz.closed(pid))
    # 废标: the bids are never opened — not by the documents' own sweep, not by SQL.
    async with transaction(sessionmaker, "000000") as session:
        await document_tasks.sweep_seals(
            JobContext(session, "000000", f"sweep-{uuid.uuid4()}", None), {}
        )
    link = await client.get(
        f"/v1/tenants/{GZ}/documents/{document.json()['id']}/download",
        headers=await gz.as_("civil_affairs_officer"),
    )
    assert link.status_code == 409 and link.json()["code"] == "document_sealed"
    with pytest.raises(asyncpg.CheckViolationError):
        await admin_db.execute(
            "UPDATE document_seals SET released_at = now()"
            " WHERE tenant_id = $1 AND object_type = 'bid' AND object_id = $2",
            GZ,
            uuid.UUID(bids[0]["id"]),
        )
    failed = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    assert failed.json()["status"] == "failed"
    notices = await client.get("/v1/notices", params={"kind": "failure", "q": procurement["title"]})
    assert "不足3家" in notices.json()["items"][0]["body"]
    assert await gz.available(line) == COSTED_TOTAL
    told = await inbox(client, bidders[0].headers, "tendering.failed")
    assert any(n["data"]["procurement_id"] == pid for n in told)
