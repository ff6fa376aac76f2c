"""The winner refuses to sign the contract: the buyer names the next-ranked candidate, with a
new result notice and award notice, or procures again and the money goes back (实施条例
art. 49). Signing sets the winner's bid security's return date (财政部令第87号 art. 38).

Contracts calls these through ``tendering.service``; there is no route, so the tests call the
service in a transaction bound to the region, as contracts' handlers run."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import workdays
from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.errors import DomainError, InvalidField
from services.kit.jobs import JobContext
from services.tendering import service as tendering
from services.tendering import tasks
from tests.support.client import Client, inbox
from tests.support.database import Sessions
from tests.support.demo import GZ
from tests.support.tendering import Bidder, Tenderer

pytestmark = pytest.mark.usefixtures("demo")
T = TypeVar("T")
Work = Callable[[AsyncSession, Actor], Awaitable[T]]
REASON = "中标人书面表示放弃中标，拒绝签订合同"


async def _in_gz(sessionmaker: Sessions, work: Work[T]) -> T:
    """One unit of work in the region, as contracts' handlers run it."""
    async with transaction(sessionmaker, GZ) as session:
        return await work(session, Actor(None, GZ, f"test-{uuid.uuid4()}"))


def _next_ranked(pid: str, refuser: Bidder) -> Work[tendering.Award]:
    return lambda s, a: tendering.award_next_ranked(
        s, a, uuid.UUID(pid), uuid.UUID(refuser.provider_id), REASON
    )


def _abandon(pid: str, refuser: Bidder) -> Work[None]:
    return lambda s, a: tendering.abandon_award(
        s, a, uuid.UUID(pid), uuid.UUID(refuser.provider_id), REASON
    )


async def _next(sessionmaker: Sessions, pid: str, refuser: Bidder) -> tendering.Award:
    return await _in_gz(sessionmaker, _next_ranked(pid, refuser))


async def _refused(sessionmaker: Sessions, work: Work[object]) -> DomainError:
    """The refusal the work meets; nothing it did stays (the transaction rolls back)."""
    with pytest.raises(DomainError) as refused:
        await _in_gz(sessionmaker, work)
    return refused.value


async def _procurement(client: Client, gz: Tenderer, pid: str) -> dict[str, Any]:
    response = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _securities(client: Client, gz: Tenderer, pid: str) -> dict[str, dict[str, Any]]:
    response = await client.get(
        f"{gz.base}/{pid}/bid-securities", headers=await gz.as_("finance_officer")
    )
    assert response.status_code == 200, response.text
    return {row["provider_id"]: row for row in response.json()}


async def _award_notified(admin_db: asyncpg.Connection, pid: str) -> list[str]:
    """The message keys of the award-notified jobs tendering queued for contracts."""
    rows = await admin_db.fetch(
        "SELECT message_key FROM outbox WHERE tenant_id = $1 AND actor_name = $2"
        " AND payload->>'procurement_id' = $3 ORDER BY created_at",
        GZ,
        tendering.AWARD_NOTIFIED,
        pid,
    )
    return [row["message_key"] for row in rows]


async def _conclude(sessionmaker: Sessions, pid: str) -> None:
    """The chronograph's conclude job for the procurement, as the worker runs it."""
    async with transaction(sessionmaker, GZ) as session:
        ctx = JobContext(session, GZ, f"conclude-{uuid.uuid4()}", None)
        await tasks.conclude(ctx, {"procurement_id": pid})


async def test_the_next_ranked_bidder_gets_a_new_result_and_award_notice(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection, sessionmaker: Sessions
) -> None:
    pid, bidders = await gz.with_result()
    first, second, third = bidders  # the same quality scores: ranked by price
    # Sixteen days on, the challenge period over and the award concluded, the winner refuses.
    await gz.moved(
        pid,
        "result_published_at = result_published_at - interval '16 days',"
        " award_notice_at = award_notice_at - interval '16 days'",
    )
    await _conclude(sessionmaker, pid)
    assert (await _procurement(client, gz, pid))["status"] == "concluded"
    old = await _in_gz(sessionmaker, lambda s, a: tendering.notified_award(s, GZ, uuid.UUID(pid)))
    assert old.provider_id == uuid.UUID(first.provider_id) and old.concluded_at is not None
    keys_before = await _award_notified(admin_db, pid)

    award = await _next(sessionmaker, pid, first)

    assert award.provider_id == uuid.UUID(second.provider_id)
    assert award.price == Decimal("310000.00")  # the second-ranked bid
    assert award.award_notice_at is not None and award.sign_by is not None
    assert old.award_notice_at is not None and award.award_notice_at > old.award_notice_at
    assert award.sign_by == workdays.calendar_deadline(award.award_notice_at, 30)
    assert award.sign_by != old.sign_by and award.concluded_at is None
    procurement = await _procurement(client, gz, pid)
    assert procurement["status"] == "result_published"
    assert procurement["awarded_provider_id"] == second.provider_id
    assert procurement["awarded_price"] == "310000.00"
    moves = [(t["to_status"], t["reason"]) for t in procurement["transitions"]][-2:]
    assert moves == [
        ("awarded", "中标人拒绝签订合同，确定下一候选人"),
        ("result_published", "结果公告"),
    ]

    # A new result notice names the new winner; contracts is told through a new job.
    results = await client.get("/v1/notices", params={"kind": "result", "q": procurement["title"]})
    latest, earlier = results.json()["items"]
    assert second.name in latest["body"] and "310000.00" in latest["body"]
    assert first.name in earlier["body"]
    keys = await _award_notified(admin_db, pid)
    assert keys[: len(keys_before)] == keys_before and len(keys) == len(keys_before) + 1
    [award_notice] = await inbox(client, second.headers, "tendering.award_notice")
    assert datetime.fromisoformat(award_notice["data"]["sign_by"]) == award.sign_by
    assert "310000.00" in award_notice["body"]

    # The refuser's security waits for the buyer's decision; the others are re-dated.
    securities = await _securities(client, gz, pid)
    held = securities[first.provider_id]
    assert (held["winner"], held["due_at"], held["note"]) == (False, None, "中标人拒绝签订合同")
    assert securities[second.provider_id]["winner"] is True
    assert securities[second.provider_id]["due_at"] is None  # due after signing
    due = workdays.end_of_nth_working_day(award.award_notice_at, 5)
    assert datetime.fromisoformat(securities[third.provider_id]["due_at"]) == due

    # A fresh challenge period runs from the new result notice: not concluded yet, and open.
    await _conclude(sessionmaker, pid)
    assert (await _procurement(client, gz, pid))["status"] == "result_published"
    challenged = await client.post(
        f"{gz.base}/{pid}/challenges", headers=third.headers, json={"grounds": "候选人资格存疑"}
    )
    assert challenged.status_code == 201, challenged.text


async def test_a_refuser_never_comes_back_and_the_last_refusal_leaves_nobody(
    client: Client, gz: Tenderer, sessionmaker: Sessions
) -> None:
    pid, (first, second, third) = await gz.with_result()
    assert (await _next(sessionmaker, pid, first)).provider_id == uuid.UUID(second.provider_id)
    # The first refuser is not the winner any more: it cannot refuse again.
    again = await _refused(sessionmaker, _next_ranked(pid, first))
    assert isinstance(again, InvalidField) and again.field == "refused_provider_id"

    # The second refuses too: the third, never the first again.
    assert (await _next(sessionmaker, pid, second)).provider_id == uuid.UUID(third.provider_id)
    nobody = await _refused(sessionmaker, _next_ranked(pid, third))
    assert isinstance(nobody, tendering.WrongState) and nobody.status == 409
    assert "procure again" in nobody.detail
    procurement = await _procurement(client, gz, pid)
    assert procurement["awarded_provider_id"] == third.provider_id  # nothing changed
    securities = await _securities(client, gz, pid)
    assert [securities[b.provider_id]["note"] for b in (first, second, third)] == [
        "中标人拒绝签订合同",
        "中标人拒绝签订合同",
        None,
    ]


async def test_a_refusal_while_a_challenge_is_open_keeps_it_open(
    client: Client, gz: Tenderer, sessionmaker: Sessions
) -> None:
    pid, (first, second, third) = await gz.with_result()
    filed = await client.post(
        f"{gz.base}/{pid}/challenges", headers=third.headers, json={"grounds": "评分有误"}
    )
    assert filed.status_code == 201, filed.text
    [open_one] = await _in_gz(
        sessionmaker, lambda s, a: tendering.open_challenges(s, GZ, uuid.UUID(pid))
    )
    assert open_one.id == uuid.UUID(filed.json()["id"])
    assert open_one.provider_id == uuid.UUID(third.provider_id)
    assert open_one.answer_due == datetime.fromisoformat(filed.json()["answer_due"])

    award = await _next(sessionmaker, pid, first)
    assert award.provider_id == uuid.UUID(second.provider_id)
    assert (await _procurement(client, gz, pid))["status"] == "challenged"  # still to answer
    answered = await client.post(
        f"{gz.base}/{pid}/challenges/{filed.json()['id']}/answer",
        headers=await gz.as_("civil_affairs_approver"),
        json={"outcome": "dismissed", "answer": "质疑不成立。"},
    )
    assert answered.status_code == 200, answered.text
    assert (await _procurement(client, gz, pid))["status"] == "result_published"
    assert (
        await _in_gz(sessionmaker, lambda s, a: tendering.open_challenges(s, GZ, uuid.UUID(pid)))
        == []
    )


async def test_procuring_again_gives_the_money_back(
    client: Client, gz: Tenderer, sessionmaker: Sessions
) -> None:
    pid, (first, second, _) = await gz.with_result()
    procurement = await _procurement(client, gz, pid)
    finance = await gz.as_("finance_officer")
    line_url = f"/v1/tenants/{GZ}/budget-lines/{procurement['budget_line_id']}"
    committed = (await client.get(line_url, headers=finance)).json()["committed_amount"]
    wrong = await _refused(sessionmaker, _abandon(pid, second))
    assert isinstance(wrong, InvalidField) and wrong.field == "refused_provider_id"

    await _in_gz(sessionmaker, _abandon(pid, first))

    procurement = await _procurement(client, gz, pid)
    assert procurement["status"] == "failed"
    assert REASON in procurement["transitions"][-1]["reason"]
    line = (await client.get(line_url, headers=finance)).json()
    assert Decimal(committed) - Decimal(line["committed_amount"]) == Decimal("360000.00")
    project = await client.get(
        f"/v1/tenants/{GZ}/projects/{procurement['project_id']}",
        headers=await gz.as_("civil_affairs_officer"),
    )
    assert project.json()["status"] == "budgeted"
    failure = await client.get("/v1/notices", params={"kind": "failure", "q": procurement["title"]})
    [notice] = failure.json()["items"]
    assert REASON in notice["body"]
    assert any(
        n["data"]["procurement_id"] == pid
        for n in await inbox(client, second.headers, "tendering.failed")
    )
    # The award is gone for contracts, and nothing more can be refused.
    gone = await _refused(
        sessionmaker, lambda s, a: tendering.notified_award(s, GZ, uuid.UUID(pid))
    )
    assert isinstance(gone, tendering.WrongState)
    late = await _refused(sessionmaker, _next_ranked(pid, first))
    assert isinstance(late, tendering.WrongState)


async def test_signing_makes_the_winner_security_due_and_the_award_stand(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection, sessionmaker: Sessions
) -> None:
    pid, (first, _, _) = await gz.with_result()

    def signed(at: datetime) -> Work[None]:
        return lambda s, a: tendering.contract_signed(s, a, uuid.UUID(pid), at)

    naive = await _refused(sessionmaker, signed(datetime.now(UTC).replace(tzinfo=None)))
    assert isinstance(naive, InvalidField) and naive.field == "signed_at"
    early = await _refused(sessionmaker, signed(datetime.now(UTC) - timedelta(days=3)))
    assert isinstance(early, InvalidField) and early.field == "signed_at"

    at = datetime.now(UTC)
    await _in_gz(sessionmaker, signed(at))
    await _in_gz(sessionmaker, signed(at))  # told twice: the same moment, nothing new

    winner = (await _securities(client, gz, pid))[first.provider_id]
    # 5 working days from the day after the signing, to 24:00 of the 5th.
    assert datetime.fromisoformat(winner["due_at"]) == workdays.end_of_nth_working_day(at, 5)
    owed = await admin_db.fetchval(
        "SELECT bid_security_due FROM procurements WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
    )
    assert owed == min(
        datetime.fromisoformat(r["due_at"]) for r in (await _securities(client, gz, pid)).values()
    )
    other = await _refused(sessionmaker, signed(at + timedelta(seconds=1)))
    assert isinstance(other, tendering.WrongState)
    # Signed, the award stands: no refusal moves it.
    standing = await _refused(sessionmaker, _next_ranked(pid, first))
    assert isinstance(standing, tendering.WrongState)


async def test_a_single_source_has_no_next_candidate(
    client: Client, gz: Tenderer, sessionmaker: Sessions
) -> None:
    only = await gz.bidder("独家康复社工服务中心")
    procurement = await gz.single_source(only, "本市唯一具备该项服务资质的机构")
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approved.status_code == 200, approved.text
    opened = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert opened.status_code == 201, opened.text
    offered = await client.post(
        f"{gz.base}/{pid}/offers", headers=only.headers, json={"price": "336000"}
    )
    assert offered.status_code == 201, offered.text
    await gz.conclude(pid, "经协商，成交价336000元。")
    await gz.award_and_publish(pid)

    refused = await _refused(sessionmaker, _next_ranked(pid, only))
    assert isinstance(refused, tendering.WrongState) and "procure again" in refused.detail
    await _in_gz(sessionmaker, _abandon(pid, only))
    assert (await _procurement(client, gz, pid))["status"] == "failed"


async def test_a_negotiation_names_the_next_lowest_final_offer(
    client: Client, gz: Tenderer, sessionmaker: Sessions
) -> None:
    suppliers = [await gz.bidder() for _ in range(4)]
    pid = await _negotiated(client, gz, suppliers, ("318000", "319000", "325000", "321000"))
    # The lowest offer's supplier was excluded; the second lowest won and refuses.
    assert (await _procurement(client, gz, pid))["awarded_provider_id"] == suppliers[1].provider_id
    award = await _next(sessionmaker, pid, suppliers[1])
    assert award.provider_id == uuid.UUID(suppliers[3].provider_id)
    assert str(award.price) == "321000.00"
    award = await _next(sessionmaker, pid, suppliers[3])
    assert award.provider_id == uuid.UUID(suppliers[2].provider_id)
    nobody = await _refused(sessionmaker, _next_ranked(pid, suppliers[2]))
    assert isinstance(nobody, tendering.WrongState)


async def _negotiated(
    client: Client, gz: Tenderer, suppliers: list[Bidder], finals: tuple[str, ...]
) -> str:
    """A competitive negotiation to its published result: one round of final offers, the
    lowest one's supplier excluded."""
    procurement = await gz.negotiation(suppliers)
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
    # A technically complex negotiation: its group includes a legal expert (74号令 art. 7).
    await gz.expert(speciality="law", employer="某某律师事务所")
    assert (await gz.draw_committee(pid, 3, speciality)).status_code == 201
    final = await client.post(f"{gz.base}/{pid}/rounds", headers=officer, json={"final": True})
    assert final.status_code == 201, final.text
    for supplier, price in zip(suppliers, finals, strict=True):
        made = await client.post(
            f"{gz.base}/{pid}/offers", headers=supplier.headers, json={"price": price}
        )
        assert made.status_code == 201, made.text
    excluded = await client.post(
        f"{gz.base}/{pid}/exclusions",
        headers=officer,
        json={"provider_id": suppliers[0].provider_id, "reason": "服务方案未响应驻点服务要求"},
    )
    assert excluded.status_code == 201, excluded.text
    await gz.conclude(pid, "最后报价后，一家未实质性响应。")
    await gz.award_and_publish(pid)
    return pid
