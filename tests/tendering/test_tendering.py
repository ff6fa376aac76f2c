"""Tendering end to end through the API: from an approved budget line to an award, the legal
rules that guard each step, sealed bids, and the regions kept apart."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import boto3
import pytest
from botocore.config import Config
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.credit import service as credit
from services.documents import tasks as document_tasks
from services.kit.db import transaction
from services.kit.jobs import JobContext
from services.kit.settings import Settings
from services.tendering import tasks
from tests.support.client import Login
from tests.support.credit import confirmed
from tests.support.demo import GZ, SZ
from tests.support.planning import COSTED_TOTAL
from tests.support.tendering import Bidder, Tenderer, later, procurement_body

pytestmark = pytest.mark.usefixtures("demo")
Client = AsyncTestClient[Litestar]


@pytest.fixture
def gz(client: Client, login: Login, admin_db: asyncpg.Connection) -> Tenderer:
    return Tenderer(client, login, admin_db, GZ)


@pytest.fixture
def sz(client: Client, login: Login, admin_db: asyncpg.Connection) -> Tenderer:
    return Tenderer(client, login, admin_db, SZ)


# Specialities of this run's own experts: other tests' experts never join these pools.
YOUTH_WORK = f"youth_work_{uuid.uuid4().hex[:6]}"
COMMUNITY_WORK = f"community_work_{uuid.uuid4().hex[:6]}"


def broken(response: Any, rule: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "legal_rule_broken", body
    assert body["rule"] == rule, body


async def _inbox(client: Client, headers: dict[str, str], event_type: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/me/notifications", headers=headers, params={"limit": 200})
    return [n for n in response.json()["items"] if n["event_type"] == event_type]


async def _available(client: Client, t: Tenderer, line_id: str) -> str:
    response = await client.get(
        f"/v1/tenants/{t.city}/budget-lines/{line_id}", headers=await t.as_("finance_officer")
    )
    return str(response.json()["available_amount"])


# --- open tender, from the budget line to the award ----------------------------------------------


async def test_open_tender_from_budget_line_to_award(
    client: Client,
    gz: Tenderer,
    sessionmaker: Any,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    officer = await gz.as_("civil_affairs_officer")
    approver = await gz.as_("civil_affairs_approver")
    line = await gz.line()
    procurement = await gz.create(budget_line_id=line)
    pid = procurement["id"]
    assert procurement["status"] == "draft" and procurement["ocid"].endswith(pid)
    # The procurement's budget is committed against the line at once.
    assert Decimal(await _available(client, gz, line)) == Decimal(COSTED_TOTAL) - Decimal(
        "360000.00"
    )

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

    deadline = await gz.closing_in(pid, 8)
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

    await gz.open_now(sessionmaker, settings, pid, deadline)
    opened = await client.get(f"{gz.base}/{pid}/bids", headers=officer)
    assert opened.status_code == 200
    assert sorted(b["price"] for b in opened.json()) == sorted(prices)
    record = await _inbox(client, bidders[0].headers, "tendering.opening_record")
    assert any(n["data"]["procurement_id"] == pid for n in record)
    assert all(
        p in next(n for n in record if n["data"]["procurement_id"] == pid)["body"] for p in prices
    )

    speciality = f"child_services_{uuid.uuid4().hex[:6]}"
    experts = [await gz.expert(speciality=speciality) for _ in range(6)]
    # One more expert, who works for a bidder: never drawn.
    tied, _ = await gz.expert(affiliated=[bidders[2].provider_id], speciality=speciality)
    drawn = await client.post(
        f"{gz.base}/{pid}/committee",
        headers=officer,
        json={
            "experts": 4,
            "speciality": speciality,
            "buyer_representative_ids": [await _user_id(client, approver)],
        },
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
    await _score(client, gz, pid, headers_of[first], bid_ids)
    # A member sees only their own scores until all are in; the buyer sees none.
    own = await client.get(f"{gz.base}/{pid}/scores", headers=headers_of[first])
    assert {s["member"] for s in own.json()} == {first}
    hidden = await client.get(f"{gz.base}/{pid}/scores", headers=officer)
    assert hidden.status_code == 409 and hidden.json()["code"] == "scores_hidden"
    for member in members[1:]:
        await _score(client, gz, pid, headers_of[member], bid_ids)

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
    # Eight working days later the award stands: the chronograph's sweep concludes it.
    await admin_db.execute(
        "UPDATE procurements SET result_published_at = now() - interval '20 days' WHERE tenant_id"
        " = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    async with transaction(sessionmaker, GZ) as session:
        await tasks.conclude(
            JobContext(session, GZ, f"conclude-{pid}", None), {"procurement_id": pid}
        )
    final = await client.get(f"{gz.base}/{pid}", headers=officer)
    assert final.json()["status"] == "concluded"
    assert [t["to_status"] for t in final.json()["transitions"]] == [
        "draft",
        "tendering",
        "evaluation",
        "awaiting_confirmation",
        "awarded",
        "result_published",
        "challenged",
        "result_published",
        "concluded",
    ]


async def _user_id(client: Client, headers: dict[str, str]) -> str:
    return str((await client.get("/v1/me", headers=headers)).json()["user"]["id"])


async def _score(
    client: Client, t: Tenderer, pid: str, headers: dict[str, str], bid_ids: list[str]
) -> None:
    scores = [
        {"bid_id": b, "criterion": name, "score": value}
        for b in bid_ids
        for name, value in (("服务方案", "40"), ("团队与经验", "15"))
    ]
    response = await client.post(f"{t.base}/{pid}/scores", headers=headers, json={"scores": scores})
    assert response.status_code == 200, response.text


async def test_an_open_tender_with_two_bids_fails_and_gives_the_money_back(
    client: Client,
    gz: Tenderer,
    sessionmaker: Any,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    line = await gz.line()
    procurement = await gz.published(budget_line_id=line)
    pid = procurement["id"]
    bidders = [await gz.bidder() for _ in range(2)]
    deadline = await gz.closing_in(pid, 6)
    bids = [await gz.bid(pid, bidder, "300000.00") for bidder in bidders]
    document = await client.post(
        f"/v1/tenants/{GZ}/documents",
        headers=bidders[0].headers,
        params={
            "object_type": "bid",
            "object_id": bids[0]["id"],
            "filename": "投标文件.pdf",
        },
        content=b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
    )
    assert document.status_code == 201, document.text
    await gz.open_now(sessionmaker, settings, pid, deadline)
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
    assert await _available(client, gz, line) == COSTED_TOTAL
    told = await _inbox(client, bidders[0].headers, "tendering.failed")
    assert any(n["data"]["procurement_id"] == pid for n in told)


# --- invited tender, negotiation and single source -----------------------------------------------


async def test_invited_tender_from_budget_line_to_award(
    client: Client, gz: Tenderer, sessionmaker: Any, settings: Settings
) -> None:
    """Three invitations, a reason from the law and finance's approval; then bids from the
    invited only, the opening, the committee, the award."""
    bidders = [await gz.bidder() for _ in range(4)]
    line = await gz.line()
    officer = await gz.as_("civil_affairs_officer")
    base = {"budget_line_id": line, "method": "invited_tender"}
    no_reason = await client.post(
        gz.base,
        headers=officer,
        json=procurement_body(
            line, **base, invited_provider_ids=[b.provider_id for b in bidders[:3]]
        ),
    )
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "method_reason_required"
    two = await client.post(
        gz.base,
        headers=officer,
        json=procurement_body(
            line,
            **base,
            method_reason="limited_suppliers",
            method_justification="具备戒毒康复服务资质的机构有限",
            invited_provider_ids=[b.provider_id for b in bidders[:2]],
        ),
    )
    broken(two, "invited_min_suppliers")
    assert two.json()["field"] == "invited_provider_ids"
    procurement = await gz.create(
        **base,
        method_reason="limited_suppliers",
        method_justification="具备戒毒康复服务资质的机构有限",
        invited_provider_ids=[b.provider_id for b in bidders[:3]],
    )
    pid = procurement["id"]
    early = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert early.status_code == 409
    assert (
        await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer)
    ).status_code == 200
    finance = await gz.as_("finance_approver")
    assert any(
        n["data"]["procurement_id"] == pid
        for n in await _inbox(client, finance, "tendering.approval_requested")
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
        for n in await _inbox(client, bidders[0].headers, "tendering.invited")
    )
    uninvited = await client.post(
        f"{gz.base}/{pid}/bids", headers=bidders[3].headers, json={"price": "300000"}
    )
    assert uninvited.status_code == 403 and uninvited.json()["code"] == "provider_not_eligible"
    deadline = await gz.closing_in(pid, 6)
    for bidder, price in zip(bidders[:3], ("300000", "290000", "310000"), strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(sessionmaker, settings, pid, deadline)
    speciality = f"invited_{uuid.uuid4().hex[:6]}"
    experts = [await gz.expert(speciality=speciality) for _ in range(5)]
    drawn = await client.post(
        f"{gz.base}/{pid}/committee", headers=officer, json={"experts": 5, "speciality": speciality}
    )
    assert drawn.status_code == 201, drawn.text
    bid_ids = [b["id"] for b in (await client.get(f"{gz.base}/{pid}/bids", headers=officer)).json()]
    for _, headers in experts:
        await _score(client, gz, pid, headers, bid_ids)
    result = await _award_and_publish(client, gz, pid)
    assert (result["awarded_provider_id"], result["awarded_price"]) == (
        bidders[1].provider_id,
        "290000.00",
    )


async def test_single_source_is_approved_only_after_its_notice_ran_with_objections_answered(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    only = await gz.bidder("唯一的康复社工机构")
    objector = await gz.bidder()
    procurement = await gz.create(
        method="single_source",
        method_reason="only_one_supplier",
        method_justification="该机构为本市唯一具备精神康复社工服务能力的机构",
        proposed_provider_id=only.provider_id,
    )
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    noticed = await client.post(f"{gz.base}/{pid}/single-source-notice", headers=officer)
    assert noticed.status_code == 200 and noticed.json()["status"] == "single_source_notice"
    public = await client.get(
        "/v1/notices", params={"kind": "single_source", "q": procurement["title"]}
    )
    assert "唯一的康复社工机构" in public.json()["items"][0]["body"]
    finance = await gz.as_("finance_approver")
    too_soon = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    broken(too_soon, "single_source_notice_working_days")

    objection = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=objector.headers,
        json={"question": "我机构同样具备该服务能力，对单一来源有异议。"},
    )
    assert objection.status_code == 201
    await admin_db.execute(
        "UPDATE notices SET published_at = now() - interval '14 days' WHERE tenant_id = $1 AND"
        " procurement_id = $2",
        GZ,
        uuid.UUID(pid),
    )
    unanswered = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert unanswered.status_code == 409 and "objection" in unanswered.json()["detail"]
    await client.post(
        f"{gz.base}/{pid}/enquiries/{objection.json()['id']}/answer",
        headers=officer,
        json={"answer": "经核实，异议人不具备精神康复专业资质，异议不成立。"},
    )
    approved = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


# --- each legal rule, broken ---------------------------------------------------------------------


async def test_a_nineteen_day_bid_period_is_refused(client: Client, gz: Tenderer) -> None:
    line = await gz.line()
    response = await client.post(
        gz.base,
        headers=await gz.as_("civil_affairs_officer"),
        json=procurement_body(line, bid_deadline=later(days=19)),
    )
    broken(response, "open_tender_min_days")


async def test_a_price_weight_of_eight_is_refused(client: Client, gz: Tenderer) -> None:
    line = await gz.line()
    criteria = [{"name": "服务方案", "weight": 92}, {"name": "价格", "weight": 8, "price": True}]
    response = await client.post(
        gz.base,
        headers=await gz.as_("civil_affairs_officer"),
        json=procurement_body(line, criteria=criteria),
    )
    broken(response, "price_weight_min")


async def test_bid_security_above_two_percent_and_price_above_ceiling_are_refused(
    client: Client, gz: Tenderer
) -> None:
    line = await gz.line()
    officer = await gz.as_("civil_affairs_officer")
    security = await client.post(
        gz.base, headers=officer, json=procurement_body(line, bid_security="7200.01")
    )
    broken(security, "bid_security_max_percent")
    procurement = await gz.published(budget_line_id=line)
    bidder = await gz.bidder()
    above = await client.post(
        f"{gz.base}/{procurement['id']}/bids", headers=bidder.headers, json={"price": "350000.01"}
    )
    assert above.status_code == 422 and above.json()["code"] == "price_above_ceiling"
    assert above.json()["errors"][0]["field"] == "price"


async def test_a_bid_one_second_late_is_refused(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    procurement = await gz.published()
    bidder = await gz.bidder()
    await admin_db.execute(
        "UPDATE procurements SET bid_deadline = now() - interval '1 second',"
        " opening_at = now() + interval '1 hour' WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(procurement["id"]),
    )
    late = await client.post(
        f"{gz.base}/{procurement['id']}/bids", headers=bidder.headers, json={"price": "300000"}
    )
    assert late.status_code == 409 and late.json()["code"] == "bid_deadline_passed"
    count = await admin_db.fetchval(
        "SELECT count(*) FROM bids WHERE tenant_id = $1 AND procurement_id = $2",
        GZ,
        uuid.UUID(procurement["id"]),
    )
    assert count == 0


async def _opened(
    gz: Tenderer, sessionmaker: Any, settings: Settings, **changes: Any
) -> tuple[str, list[Bidder]]:
    procurement = await gz.published(**changes)
    pid = procurement["id"]
    bidders = [await gz.bidder() for _ in range(3)]
    deadline = await gz.closing_in(pid, 6)
    for bidder, price in zip(bidders, ("300000", "310000", "320000"), strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(sessionmaker, settings, pid, deadline)
    return pid, bidders


async def test_a_committee_of_four_and_a_conflicted_expert_are_refused(
    client: Client, gz: Tenderer, sessionmaker: Any, settings: Settings
) -> None:
    pid, bidders = await _opened(gz, sessionmaker, settings)
    officer = await gz.as_("civil_affairs_officer")
    for _ in range(5):
        await gz.expert(speciality=YOUTH_WORK)
    four = await client.post(
        f"{gz.base}/{pid}/committee",
        headers=officer,
        json={"experts": 4, "speciality": YOUTH_WORK},
    )
    broken(four, "committee_min_members")
    tied, _ = await gz.expert(employer=bidders[1].name, speciality=YOUTH_WORK)
    conflicted = await client.post(
        f"{gz.base}/{pid}/committee",
        headers=officer,
        json={"experts": 5, "speciality": YOUTH_WORK, "appointed_expert_ids": [tied]},
    )
    assert conflicted.status_code == 422 and conflicted.json()["code"] == "expert_conflicted"
    assert conflicted.json()["rule"] == "conflict_of_interest"


async def test_a_committee_of_five_for_a_twelve_million_budget_is_refused(
    client: Client, gz: Tenderer, sessionmaker: Any, settings: Settings
) -> None:
    planner = gz.planner
    officer = await planner.as_("civil_affairs_officer")
    project = await planner.project(costed=False)
    costed = await client.put(
        f"{planner.base}/projects/{project['id']}/cost-lines",
        headers=officer,
        json={
            "lines": [
                {
                    "category": "staff",
                    "description": "全市社工站运营",
                    "staff_level": "social_worker",
                    "quantity": "1500",
                    "unit": "人·月",
                    "unit_cost": "8000.00",
                }
            ]
        },
    )
    assert costed.status_code == 200, costed.text
    budget = await client.post(
        f"{planner.base}/budgets",
        headers=officer,
        json={"fiscal_year": 2027, "title": "全市社工站建设预算"},
    )
    line = await client.post(
        f"{planner.base}/budgets/{budget.json()['id']}/lines",
        headers=officer,
        json={
            "project_id": project["id"],
            "amount": "12000000.00",
            "sources": [{"source": "general_budget", "amount": "12000000.00"}],
        },
    )
    assert line.status_code == 201, line.text
    await client.post(
        f"{planner.base}/budgets/{budget.json()['id']}/submit",
        headers=await planner.as_("civil_affairs_approver"),
    )
    await client.post(
        f"{planner.base}/budgets/{budget.json()['id']}/decision",
        headers=await planner.as_("finance_approver"),
        json={"outcome": "approved"},
    )
    pid, _ = await _opened(
        gz,
        sessionmaker,
        settings,
        budget_line_id=line.json()["id"],
        budget_amount="12000000.00",
        ceiling_price="11800000.00",
        bid_security="0",
    )
    for _ in range(5):
        await gz.expert(speciality=COMMUNITY_WORK)
    five = await client.post(
        f"{gz.base}/{pid}/committee",
        headers=officer,
        json={"experts": 5, "speciality": COMMUNITY_WORK},
    )
    broken(five, "committee_min_members_large")


async def _with_result(
    client: Client, gz: Tenderer, sessionmaker: Any, settings: Settings
) -> tuple[str, list[Bidder]]:
    """An open tender taken to its published result, by a committee of its own experts."""
    pid, bidders = await _opened(gz, sessionmaker, settings)
    officer = await gz.as_("civil_affairs_officer")
    speciality = f"result_{uuid.uuid4().hex[:6]}"
    experts = [await gz.expert(speciality=speciality) for _ in range(5)]
    drawn = await client.post(
        f"{gz.base}/{pid}/committee", headers=officer, json={"experts": 5, "speciality": speciality}
    )
    assert drawn.status_code == 201, drawn.text
    bid_ids = [b["id"] for b in (await client.get(f"{gz.base}/{pid}/bids", headers=officer)).json()]
    for _, headers in experts:
        await _score(client, gz, pid, headers, bid_ids)
    await _award_and_publish(client, gz, pid)
    return pid, bidders


async def test_a_challenge_on_the_eighth_working_day_is_refused(
    client: Client,
    gz: Tenderer,
    sessionmaker: Any,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    pid, bidders = await _with_result(client, gz, sessionmaker, settings)
    # Published 12 calendar days ago: at least 8 working days, whatever the holidays.
    await admin_db.execute(
        "UPDATE procurements SET result_published_at = now() - interval '12 days' WHERE tenant_id"
        " = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    late = await client.post(
        f"{gz.base}/{pid}/challenges", headers=bidders[1].headers, json={"grounds": "评分有误"}
    )
    broken(late, "challenge_working_days")


# --- regions and sealed bids ---------------------------------------------------------------------


async def test_one_provider_bids_in_two_cities_and_each_city_sees_only_its_own(
    client: Client, gz: Tenderer, sz: Tenderer, login: Login
) -> None:
    sunshine = await login("admin@sunshine.demo.org.cn")
    mine = {}
    for t in (gz, sz):
        procurement = await t.published()
        response = await client.post(
            f"{t.base}/{procurement['id']}/bids", headers=sunshine, json={"price": "300000"}
        )
        assert response.status_code == 201, response.text
        mine[t.city] = (procurement["id"], response.json()["id"])
    gz_pid, gz_bid = mine[GZ]
    # 深圳's people cannot reach 广州's procurement, by either path.
    sz_officer = await sz.as_("civil_affairs_officer")
    assert (
        await client.get(f"/v1/tenants/{SZ}/procurements/{gz_pid}", headers=sz_officer)
    ).status_code == 404
    assert (
        await client.get(f"/v1/tenants/{GZ}/procurements/{gz_pid}", headers=sz_officer)
    ).status_code == 403
    # The provider's own view in 深圳 does not list its 广州 bid.
    sz_pid, _ = mine[SZ]
    own = await client.get(f"/v1/tenants/{SZ}/procurements/{sz_pid}/my-bids", headers=sunshine)
    assert gz_bid not in {b["id"] for b in own.json()}
    cross = await client.get(f"/v1/tenants/{SZ}/procurements/{gz_pid}/my-bids", headers=sunshine)
    assert cross.json() == []


BUYERS = (
    "civil_affairs_officer",
    "civil_affairs_approver",
    "finance_officer",
    "finance_approver",
    "tenant_admin",
)


def _bucket(settings: Settings) -> Any:
    """The store as someone holding its keys sees it: no API in between."""
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name=settings.s3_region,
        config=Config(s3={"addressing_style": "path"}),
    )


async def _attach(
    client: Client, headers: dict[str, str], bid_id: str, content: bytes, **params: str
) -> Any:
    return await client.post(
        f"/v1/tenants/{GZ}/documents",
        headers=headers,
        params={"object_type": "bid", "object_id": bid_id, "filename": "投标文件.pdf", **params},
        content=content,
    )


async def test_a_bids_documents_are_sealed_by_the_server_until_the_opening(
    client: Client,
    gz: Tenderer,
    sessionmaker: Any,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    procurement = await gz.published()
    pid = procurement["id"]
    bidders = [await gz.bidder() for _ in range(3)]
    secret = f"技术方案 BID-SECRET-{uuid.uuid4().hex}".encode()
    pdf = b"%PDF-1.4\n" + secret + b"\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    deadline = await gz.closing_in(pid, 10)
    bids = [
        await gz.bid(pid, bidder, price)
        for bidder, price in zip(bidders, ("300000", "310000", "320000"), strict=True)
    ]
    # No sealed_until: sealed anyway, until the opening the procurement names.
    uploaded = await _attach(client, bidders[0].headers, bids[0]["id"], pdf)
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert document["sealed"] is True, document
    assert datetime.fromisoformat(document["sealed_until"]) == deadline
    # A time of the client's own is refused, whatever it is, and nothing is written.
    own_time = await _attach(
        client, bidders[0].headers, bids[0]["id"], pdf, sealed_until=deadline.isoformat()
    )
    assert own_time.status_code == 422, own_time.text
    assert own_time.json()["errors"][0]["field"] == "sealed_until"
    # Another bidder's bid, and the buyer, cannot attach to this bid.
    for headers in (bidders[1].headers, await gz.as_("civil_affairs_officer")):
        other = await _attach(client, headers, bids[0]["id"], pdf)
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "object_id"
    count = await admin_db.fetchval(
        "SELECT count(*) FROM documents WHERE tenant_id = $1 AND object_id = $2",
        GZ,
        uuid.UUID(bids[0]["id"]),
    )
    assert count == 1
    # The bucket holds ciphertext: not the PDF, not a piece of it.
    key = await admin_db.fetchval(
        "SELECT storage_key FROM document_versions WHERE tenant_id = $1 AND document_id = $2",
        GZ,
        uuid.UUID(document["id"]),
    )
    stored = _bucket(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    assert secret not in stored and b"%PDF" not in stored

    await asyncio.sleep(max((deadline - datetime.now(UTC)).total_seconds(), 0) + 0.3)
    late = await _attach(client, bidders[0].headers, bids[0]["id"], pdf)
    assert late.status_code == 409 and late.json()["code"] == "bid_deadline_passed", late.text
    download = f"/v1/tenants/{GZ}/documents/{document['id']}/download"
    for role in BUYERS:
        refused = await client.get(download, headers=await gz.as_(role))
        assert refused.status_code == 409, (role, refused.text)
        assert refused.json()["code"] == "document_sealed"

    await gz.open_now(sessionmaker, settings, pid, deadline)
    for role in BUYERS:
        link = await client.get(download, headers=await gz.as_(role))
        assert link.status_code == 200, (role, link.text)
        fetched = await client.get(link.json()["url"])
        assert fetched.status_code == 200 and fetched.content == pdf, role


async def test_another_city_cannot_act_on_a_procurement(
    client: Client, gz: Tenderer, sz: Tenderer, login: Login
) -> None:
    procurement = await gz.create()
    pid = procurement["id"]
    for method, path, role, body in [
        ("GET", "", "civil_affairs_officer", None),
        ("POST", "/publish", "civil_affairs_officer", {}),
        ("POST", "/cancel", "civil_affairs_approver", {"reason": "x"}),
        ("POST", "/approval", "finance_approver", {"approve": True}),
        ("GET", "/bids", "finance_officer", None),
        ("POST", "/award", "civil_affairs_approver", None),
        ("POST", "/rounds", "civil_affairs_officer", {}),
        ("POST", "/exclusions", "civil_affairs_officer", {"provider_id": pid, "reason": "x"}),
        ("POST", "/conclude-negotiation", "civil_affairs_officer", {"minutes": "x"}),
        ("GET", "/negotiation", "finance_officer", None),
        ("GET", "/enquiries/all", "civil_affairs_officer", None),
        ("POST", "/committee", "civil_affairs_officer", {"experts": 5, "speciality": "x"}),
    ]:
        response = await client.request(
            method,
            f"/v1/tenants/{SZ}/procurements/{pid}{path}",
            headers=await sz.as_(role),
            json=body,
        )
        assert response.status_code == 404, (path, response.text)
    # A provider registered in both cities, and a 深圳 expert, reach it no better.
    sunshine = await login("admin@sunshine.demo.org.cn")
    expert = await sz.as_("expert")
    for method, path, headers, body in [
        ("POST", "/bids", sunshine, {"price": "300000"}),
        ("POST", "/enquiries", sunshine, {"question": "x"}),
        ("POST", "/offers", sunshine, {"price": "300000"}),
        ("POST", "/challenges", sunshine, {"grounds": "x"}),
        ("GET", "/challenges", sunshine, None),
        ("POST", "/scores", expert, {"scores": [{"bid_id": pid, "criterion": "x", "score": "1"}]}),
        ("GET", "/scores", expert, None),
    ]:
        response = await client.request(
            method, f"/v1/tenants/{SZ}/procurements/{pid}{path}", headers=headers, json=body
        )
        assert response.status_code == 404, (path, response.text)
    still = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    assert still.json()["status"] == "draft"


async def test_a_late_clarification_moves_the_deadline(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    procurement = await gz.published()
    pid = procurement["id"]
    bidder = await gz.bidder()
    bid = await gz.bid(pid, bidder, "300000")
    attached = await _attach(client, bidder.headers, bid["id"], b"%PDF-1.4\n%%EOF\n")
    assert attached.status_code == 201, attached.text
    await admin_db.execute(
        "UPDATE document_seals SET sealed_until = now() + interval '10 days'"
        " WHERE tenant_id = $1 AND object_type = 'bid' AND object_id = $2",
        GZ,
        uuid.UUID(bid["id"]),
    )
    await admin_db.execute(
        "UPDATE procurements SET bid_deadline = now() + interval '10 days', opening_at = now() +"
        " interval '10 days'"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    asked = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=bidder.headers,
        json={"question": "服务人数是否调整？"},
    )
    officer = await gz.as_("civil_affairs_officer")
    answered = await client.post(
        f"{gz.base}/{pid}/enquiries/{asked.json()['id']}/answer",
        headers=officer,
        json={"answer": "服务对象由300人调整为400人。", "affects_bids": True},
    )
    assert answered.status_code == 200, answered.text
    moved = (await client.get(f"{gz.base}/{pid}", headers=officer)).json()
    deadline = datetime.fromisoformat(moved["bid_deadline"])
    assert deadline >= datetime.now(UTC) + timedelta(days=14, hours=23)
    # The bid's documents open with the moved opening, those stored through the documents
    # route included.
    document = await client.get(
        f"/v1/tenants/{GZ}/documents/{attached.json()['id']}", headers=bidder.headers
    )
    assert document.json()["sealed"] is True
    assert document.json()["sealed_until"] == moved["opening_at"]
    correction = await client.get(
        "/v1/notices", params={"kind": "correction", "q": procurement["title"]}
    )
    assert correction.json()["items"], correction.text


async def test_the_sweep_opens_a_procurement_whose_job_went_missing(
    gz: Tenderer, sessionmaker: Any, settings: Settings, admin_db: asyncpg.Connection
) -> None:
    procurement = await gz.published()
    await admin_db.execute(
        "UPDATE procurements SET bid_deadline = now() - interval '1 minute', opening_at = now() -"
        " interval '1 minute'"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(procurement["id"]),
    )
    async with transaction(sessionmaker, "000000") as session:
        await tasks.sweep(JobContext(session, "000000", f"sweep-{uuid.uuid4()}", None), {})
    queued = await admin_db.fetchval(
        "SELECT count(*) FROM outbox WHERE tenant_id = $1 AND actor_name = 'tendering.open_bids'"
        " AND payload->>'procurement_id' = $2 AND message_key LIKE 'tendering-sweep:%'",
        GZ,
        procurement["id"],
    )
    assert queued == 1


async def test_a_provider_barred_province_wide_in_guangzhou_cannot_bid_in_shenzhen(
    client: Client,
    gz: Tenderer,
    sz: Tenderer,
    login: Login,
    sessionmaker: Any,
    admin_db: asyncpg.Connection,
) -> None:
    bidder = await gz.bidder()
    await sz.register(bidder)
    record = await confirmed(client, login, bidder.provider_id, "province", GZ)
    procurement = await sz.published()
    refused = await client.post(
        f"{sz.base}/{procurement['id']}/bids", headers=bidder.headers, json={"price": "300000"}
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "provider_disqualified"
    # Another province is not reached by a 广东 bar.
    async with transaction(sessionmaker, "530100") as session:
        await credit.check_eligible(session, uuid.UUID(bidder.provider_id), "530100")
    # Once the period has ended, the provider bids again.
    await admin_db.execute(
        "UPDATE disqualifications SET starts_on = current_date - interval '1 year',"
        " ends_on = current_date WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(record["id"]),
    )
    accepted = await client.post(
        f"{sz.base}/{procurement['id']}/bids", headers=bidder.headers, json={"price": "300000"}
    )
    assert accepted.status_code == 201, accepted.text


# --- the negotiated methods, from the budget line to the award -----------------------------------


async def _award_and_publish(client: Client, t: Tenderer, pid: str) -> dict[str, Any]:
    awarded = await client.post(
        f"{t.base}/{pid}/award", headers=await t.as_("civil_affairs_approver")
    )
    assert awarded.status_code == 200, awarded.text
    result = await client.post(
        f"{t.base}/{pid}/result", headers=await t.as_("civil_affairs_officer")
    )
    assert result.status_code == 200, result.text
    body: dict[str, Any] = result.json()
    return body


async def test_competitive_negotiation_from_budget_line_to_award(
    client: Client, gz: Tenderer, sessionmaker: Any, settings: Settings
) -> None:
    suppliers = [await gz.bidder() for _ in range(3)]
    procurement = await gz.create(
        method="competitive_negotiation",
        method_reason="technically_complex",
        method_justification="服务内容需与供应商逐项谈判确定",
        invited_provider_ids=[s.provider_id for s in suppliers],
        bid_deadline=later(days=10),
    )
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
    deadline = await gz.closing_in(pid, 6)
    for supplier, price in zip(suppliers, ("340000", "330000", "345000"), strict=True):
        await gz.bid(pid, supplier, price)
    await gz.open_now(sessionmaker, settings, pid, deadline)
    assert (await client.get(f"{gz.base}/{pid}", headers=officer)).json()["status"] == "negotiating"

    early = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={})
    assert early.status_code == 409  # the negotiation group comes first
    speciality = f"negotiation_{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        await gz.expert(speciality=speciality)
    group = await client.post(
        f"{gz.base}/{pid}/committee", headers=officer, json={"experts": 3, "speciality": speciality}
    )
    assert group.status_code == 201, group.text

    first = await client.post(
        f"{gz.base}/{pid}/rounds", headers=officer, json={"note": "第一轮：服务方案"}
    )
    assert first.status_code == 201 and first.json()["round"] == 1
    for supplier, price in zip(suppliers, ("330000", "320000", "335000"), strict=True):
        made = await client.post(
            f"{gz.base}/{pid}/offers",
            headers=supplier.headers,
            json={"price": price, "terms": "按谈判纪要调整"},
        )
        assert made.status_code == 201, made.text
    final = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert final.status_code == 201 and final.json()["final"] is True
    for supplier, price in zip(suppliers, ("318000", "319000", "325000"), strict=True):
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

    concluded = await client.post(
        f"{gz.base}/{pid}/conclude-negotiation",
        headers=officer,
        json={"minutes": "三家供应商两轮谈判后提交最后报价，一家未实质性响应。"},
    )
    assert concluded.status_code == 200, concluded.text
    assert concluded.json()["status"] == "awaiting_confirmation"
    record = (await client.get(f"{gz.base}/{pid}/negotiation", headers=officer)).json()
    assert [r["round"] for r in record["rounds"]] == [1, 2] and len(record["offers"]) == 6
    assert [e["provider_id"] for e in record["exclusions"]] == [suppliers[0].provider_id]
    result = await _award_and_publish(client, gz, pid)
    assert result["awarded_provider_id"] == suppliers[1].provider_id
    assert result["awarded_price"] == "319000.00"
    notice = await client.get("/v1/notices", params={"kind": "result", "q": procurement["title"]})
    assert "319000.00" in notice.json()["items"][0]["body"]


async def test_single_source_from_budget_line_to_award(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    only = await gz.bidder("独家精神康复社工服务中心")
    procurement = await gz.create(
        method="single_source",
        method_reason="only_one_supplier",
        method_justification="本市唯一具备精神康复社工服务资质的机构",
        proposed_provider_id=only.provider_id,
    )
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    assert (
        await client.post(f"{gz.base}/{pid}/single-source-notice", headers=officer)
    ).status_code == 200
    await admin_db.execute(
        "UPDATE notices SET published_at = now() - interval '14 days'"
        " WHERE tenant_id = $1 AND procurement_id = $2",
        GZ,
        uuid.UUID(pid),
    )
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
    concluded = await client.post(
        f"{gz.base}/{pid}/conclude-negotiation",
        headers=officer,
        json={"minutes": "经协商，成交价336000元。"},
    )
    assert concluded.status_code == 200, concluded.text
    result = await _award_and_publish(client, gz, pid)
    assert (result["awarded_provider_id"], result["awarded_price"]) == (
        only.provider_id,
        "336000.00",
    )
    told = await _inbox(client, only.headers, "tendering.result")
    assert any(n["data"]["procurement_id"] == pid for n in told)


async def test_a_buyer_late_to_confirm_is_warned_then_the_administrator_too(
    client: Client,
    gz: Tenderer,
    sessionmaker: Any,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    pid, _ = await _opened(gz, sessionmaker, settings)
    officer = await gz.as_("civil_affairs_officer")
    speciality = f"late_{uuid.uuid4().hex[:6]}"
    experts = [await gz.expert(speciality=speciality) for _ in range(5)]
    drawn = await client.post(
        f"{gz.base}/{pid}/committee", headers=officer, json={"experts": 5, "speciality": speciality}
    )
    assert drawn.status_code == 201, drawn.text
    bid_ids = [b["id"] for b in (await client.get(f"{gz.base}/{pid}/bids", headers=officer)).json()]
    for _, headers in experts:
        await _score(client, gz, pid, headers, bid_ids)
    # The report came 20 days ago: the 5 working days to confirm are long gone.
    await admin_db.execute(
        "UPDATE procurements SET report_at = now() - interval '20 days'"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    async with transaction(sessionmaker, "000000") as session:
        await tasks.sweep(JobContext(session, "000000", f"sweep-{uuid.uuid4()}", None), {})
    row = await admin_db.fetchrow(
        "SELECT payload, message_key FROM outbox WHERE tenant_id = $1"
        " AND actor_name = 'tendering.warn_overdue' AND payload->>'procurement_id' = $2",
        GZ,
        pid,
    )
    assert row is not None
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    assert payload["escalate"] is True and payload["step"] == "确认中标人"
    for _ in range(2):  # a second delivery warns nobody again
        async with transaction(sessionmaker, GZ) as session:
            await tasks.warn_overdue(JobContext(session, GZ, row["message_key"], None), payload)
    for role in ("civil_affairs_approver", "tenant_admin"):
        warned = await _inbox(client, await gz.as_(role), "tendering.overdue")
        assert len([n for n in warned if n["data"]["procurement_id"] == pid]) == 1, role
    # Warned once: the next sweep enqueues nothing more for this step.
    async with transaction(sessionmaker, "000000") as session:
        await tasks.sweep(JobContext(session, "000000", f"sweep-{uuid.uuid4()}", None), {})
    count = await admin_db.fetchval(
        "SELECT count(*) FROM outbox WHERE tenant_id = $1"
        " AND actor_name = 'tendering.warn_overdue' AND payload->>'procurement_id' = $2",
        GZ,
        pid,
    )
    assert count == 1


async def test_an_unanswered_challenge_past_its_due_time_is_warned_about(
    client: Client,
    gz: Tenderer,
    sessionmaker: Any,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    pid, bidders = await _with_result(client, gz, sessionmaker, settings)
    filed = await client.post(
        f"{gz.base}/{pid}/challenges", headers=bidders[1].headers, json={"grounds": "评分有误"}
    )
    assert filed.status_code == 201, filed.text
    due = await admin_db.fetchval(
        "SELECT challenge_answer_due FROM procurements WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    assert due == datetime.fromisoformat(filed.json()["answer_due"])
    await admin_db.execute(
        "UPDATE procurements SET challenge_answer_due = now() - interval '1 hour'"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    async with transaction(sessionmaker, "000000") as session:
        await tasks.sweep(JobContext(session, "000000", f"sweep-{uuid.uuid4()}", None), {})
    step = await admin_db.fetchval(
        "SELECT payload->>'step' FROM outbox WHERE tenant_id = $1"
        " AND actor_name = 'tendering.warn_overdue' AND payload->>'procurement_id' = $2",
        GZ,
        pid,
    )
    assert step == "答复质疑"
    answered = await client.post(
        f"{gz.base}/{pid}/challenges/{filed.json()['id']}/answer",
        headers=await gz.as_("civil_affairs_approver"),
        json={"outcome": "dismissed", "answer": "质疑不成立。"},
    )
    assert answered.status_code == 200, answered.text
    cleared = await admin_db.fetchval(
        "SELECT challenge_answer_due FROM procurements WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    assert cleared is None


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
    assert await _available(client, gz, line) == COSTED_TOTAL


# --- the buyer's view of enquiries and objections ---------------------------------------------


async def _answer_due(admin_db: asyncpg.Connection, pid: str) -> datetime | None:
    due: datetime | None = await admin_db.fetchval(
        "SELECT enquiry_answer_due FROM procurements WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    return due


async def test_the_buyer_lists_an_unanswered_enquiry_without_its_asker(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    procurement = await gz.published()
    pid = procurement["id"]
    bidder = await gz.bidder()
    asked = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=bidder.headers,
        json={"question": "服务期从何时起算？"},
    )
    assert asked.status_code == 201, asked.text
    # Civil affairs is told, without the asker's name.
    told = await _inbox(
        client, await gz.as_("civil_affairs_approver"), "tendering.enquiry_received"
    )
    mine = [n for n in told if n["data"]["procurement_id"] == pid]
    assert len(mine) == 1 and bidder.name not in json.dumps(mine, ensure_ascii=False)

    officer = await gz.as_("civil_affairs_officer")
    listed = await client.get(f"{gz.base}/{pid}/enquiries/all", headers=officer)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()
    assert item["id"] == asked.json()["id"] and item["kind"] == "enquiry"
    assert item["answer"] is None and item["objector"] is None
    # Due 15 days before the bid deadline (实施条例 art. 31), so the answer keeps the deadline.
    clarify_by = datetime.fromisoformat(procurement["bid_deadline"]) - timedelta(days=15)
    assert datetime.fromisoformat(item["answer_due"]) == clarify_by
    assert await _answer_due(admin_db, pid) == clarify_by
    assert bidder.provider_id not in listed.text and bidder.name not in listed.text
    # The public list holds answered ones only; a provider cannot use the buyer's route.
    assert (await client.get(f"{gz.base}/{pid}/enquiries")).json() == []
    refused = await client.get(f"{gz.base}/{pid}/enquiries/all", headers=bidder.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"

    answered = await client.post(
        f"{gz.base}/{pid}/enquiries/{item['id']}/answer",
        headers=officer,
        json={"answer": "自合同签订之日起算。"},
    )
    assert answered.status_code == 200, answered.text
    again = (await client.get(f"{gz.base}/{pid}/enquiries/all", headers=officer)).json()
    assert again[0]["answer"] == "自合同签订之日起算。"
    assert await _answer_due(admin_db, pid) is None
    public = (await client.get(f"{gz.base}/{pid}/enquiries")).json()
    assert [e["id"] for e in public] == [item["id"]]


async def test_an_unanswered_objection_is_listed_with_its_objector_and_warned_about_once(
    client: Client, gz: Tenderer, sessionmaker: Any, admin_db: asyncpg.Connection
) -> None:
    only = await gz.bidder("唯一的助残社工机构")
    objector = await gz.bidder()
    procurement = await gz.create(
        method="single_source",
        method_reason="only_one_supplier",
        method_justification="该机构为本市唯一具备助残社工服务能力的机构",
        proposed_provider_id=only.provider_id,
    )
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    noticed = await client.post(f"{gz.base}/{pid}/single-source-notice", headers=officer)
    assert noticed.status_code == 200, noticed.text
    filed = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=objector.headers,
        json={"question": "我机构同样具备助残服务能力，对单一来源有异议。"},
    )
    assert filed.status_code == 201, filed.text
    told = await _inbox(client, officer, "tendering.objection_received")
    assert [n["data"]["objector"] for n in told if n["data"]["procurement_id"] == pid] == [
        objector.name
    ]
    (item,) = (await client.get(f"{gz.base}/{pid}/enquiries/all", headers=officer)).json()
    assert item["kind"] == "objection" and item["answer"] is None
    assert item["objector"] == {"provider_id": objector.provider_id, "name": objector.name}
    assert datetime.fromisoformat(item["answer_due"]) == await _answer_due(admin_db, pid)

    # Its answer time has passed: the sweep warns the buyer, once.
    await admin_db.execute(
        "UPDATE procurements SET enquiry_answer_due = now() - interval '1 hour'"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    query = (
        "SELECT payload, message_key FROM outbox WHERE tenant_id = $1"
        " AND actor_name = 'tendering.warn_overdue' AND payload->>'procurement_id' = $2"
    )
    for _ in range(2):
        async with transaction(sessionmaker, "000000") as session:
            await tasks.sweep(JobContext(session, "000000", f"sweep-{uuid.uuid4()}", None), {})
        rows = await admin_db.fetch(query, GZ, pid)
        assert len(rows) == 1
        payload = rows[0]["payload"]
        payload = json.loads(payload) if isinstance(payload, str) else payload
        assert payload["step"] == "答复单一来源异议" and payload["escalate"] is False
        async with transaction(sessionmaker, GZ) as session:
            await tasks.warn_overdue(JobContext(session, GZ, rows[0]["message_key"], None), payload)
    warned = await _inbox(client, officer, "tendering.overdue")
    assert len([n for n in warned if n["data"]["procurement_id"] == pid]) == 1
