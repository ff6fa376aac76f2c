"""Enquiries, objections and challenges: their legal times, the buyer's view of them, and the
warnings when an answer is overdue."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.kit import workdays
from services.kit.db import transaction
from services.kit.jobs import JobContext
from services.tendering import tasks
from tests.support.client import Client, inbox
from tests.support.database import Sessions
from tests.support.demo import GZ
from tests.support.documents import pdf
from tests.support.shanghai import end_of
from tests.support.tendering import Tenderer, assert_rule_broken, sweep

pytestmark = pytest.mark.usefixtures("demo")


async def test_a_challenge_after_the_challenge_period_is_refused(
    client: Client,
    gz: Tenderer,
) -> None:
    pid, bidders = await gz.with_result()
    # Published 20 calendar days ago: more than the 1 + 7 working days outside long holidays.
    await gz.moved(pid, "result_published_at = now() - interval '20 days'")
    late = await client.post(
        f"{gz.base}/{pid}/challenges", headers=bidders[1].headers, json={"grounds": "评分有误"}
    )
    assert_rule_broken(late, "challenge_working_days")


async def test_an_unanswered_challenge_past_its_due_time_is_warned_about(
    client: Client,
    gz: Tenderer,
    sessionmaker: Sessions,
    admin_db: asyncpg.Connection,
) -> None:
    pid, bidders = await gz.with_result()
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
    await gz.moved(pid, "challenge_answer_due = now() - interval '1 hour'")
    await sweep(sessionmaker)
    [(payload, _)] = await gz.overdue_warnings(pid)
    assert payload["step"] == "答复质疑"
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


async def test_a_late_clarification_moves_the_deadline(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    procurement = await gz.published()
    pid = procurement["id"]
    bidder = await gz.bidder()
    bid = await gz.bid(pid, bidder, "300000")
    attached = await gz.attach(bidder.headers, bid["id"], pdf())
    assert attached.status_code == 201, attached.text
    await admin_db.execute(
        "UPDATE document_seals SET sealed_until = now() + interval '10 days'"
        " WHERE tenant_id = $1 AND object_type = 'bid' AND object_id = $2",
        GZ,
        uuid.UUID(bid["id"]),
    )
    await gz.moved(
        pid, "bid_deadline = now() + interval '10 days', opening_at = now() + interval '10 days'"
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
    told = await inbox(client, await gz.as_("civil_affairs_approver"), "tendering.enquiry_received")
    mine = [n for n in told if n["data"]["procurement_id"] == pid]
    assert len(mine) == 1 and bidder.name not in json.dumps(mine, ensure_ascii=False)

    officer = await gz.as_("civil_affairs_officer")
    listed = await client.get(f"{gz.base}/{pid}/enquiries/all", headers=officer)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()
    assert item["id"] == asked.json()["id"] and item["kind"] == "enquiry"
    assert item["answer"] is None and item["objector"] is None
    # Due by 24:00 of the 15th day before the bid deadline's day (实施条例 art. 31), so the
    # answer keeps the deadline.
    deadline_day = workdays.local_date(datetime.fromisoformat(procurement["bid_deadline"]))
    clarify_by = end_of(deadline_day - timedelta(days=15))
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
    client: Client, gz: Tenderer, sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    only = await gz.bidder("唯一的助残社工机构")
    objector = await gz.bidder()
    async with gz.threshold_lowered():
        procurement = await gz.single_source(
            only, "该机构为本市唯一具备助残社工服务能力的机构", notice=True
        )
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    filed = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=objector.headers,
        json={"question": "我机构同样具备助残服务能力，对单一来源有异议。"},
    )
    assert filed.status_code == 201, filed.text
    told = await inbox(client, officer, "tendering.objection_received")
    assert [n["data"]["objector"] for n in told if n["data"]["procurement_id"] == pid] == [
        objector.name
    ]
    (item,) = (await client.get(f"{gz.base}/{pid}/enquiries/all", headers=officer)).json()
    assert item["kind"] == "objection" and item["answer"] is None
    assert item["objector"] == {"provider_id": objector.provider_id, "name": objector.name}
    assert datetime.fromisoformat(item["answer_due"]) == await _answer_due(admin_db, pid)

    # Its answer time has passed: the sweep warns the buyer, once.
    await gz.moved(pid, "enquiry_answer_due = now() - interval '1 hour'")
    for _ in range(2):
        await sweep(sessionmaker)
        [(payload, key)] = await gz.overdue_warnings(pid)
        assert payload["step"] == "答复单一来源异议" and payload["escalate"] is False
        async with transaction(sessionmaker, GZ) as session:
            await tasks.warn_overdue(JobContext(session, GZ, key, None), payload)
    warned = await inbox(client, officer, "tendering.overdue")
    assert len([n for n in warned if n["data"]["procurement_id"] == pid]) == 1
