"""A single source's notice only where the law asks it, and the supplementary justification of
its objections (财政部令第74号 arts. 38–40): who may go on, who is told, what finance sees."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.kit import workdays
from services.tendering import rules
from services.tendering.rules import NATIONAL, LegalRuleBroken
from tests.support.client import Client, inbox, json_of
from tests.support.demo import GZ
from tests.support.shanghai import end_of, sh
from tests.support.tendering import Bidder, Tenderer, assert_rule_broken

pytestmark = pytest.mark.usefixtures("demo")

WHY = "该机构为本市唯一具备精神康复社工服务能力的机构"
OPINION = "经组织专家补充论证，异议人不具备精神康复专业资质，异议不成立。"


def test_the_justification_comes_after_the_notice_and_is_due_five_working_days_later() -> None:
    # A notice of Thursday 12 Feb 2026 runs 13, 14 (调休 Saturday), 24, 25 and 26 Feb.
    published = sh(2026, 2, 12, 10)
    last_refused = sh(2026, 2, 27) - timedelta(microseconds=1)
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_justification_time(NATIONAL, published, last_refused)
    assert exc.value.rule == "single_source_notice_working_days"
    rules.check_justification_time(NATIONAL, published, sh(2026, 2, 27))
    # Then 5 working days from the notice's end: 27, 28 (调休 Saturday) Feb, 2, 3 and 4 Mar.
    due = rules.objection_answer_deadline(NATIONAL, published)
    assert due == end_of(date(2026, 3, 4))


async def _objected(gz: Tenderer, client: Client) -> tuple[str, Bidder]:
    """A noticed single source (threshold lowered for it) with one objection, its notice run."""
    only = await gz.bidder("唯一的康复社工机构")
    objector = await gz.bidder()
    async with gz.threshold_lowered():
        procurement = await gz.single_source(only, WHY, notice=True)
    pid = str(procurement["id"])
    filed = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=objector.headers,
        json={"question": "我机构同样具备精神康复服务能力，对单一来源有异议。"},
    )
    assert filed.status_code == 201, filed.text
    await gz.notice_ran(pid)
    return pid, objector


async def _justify(gz: Tenderer, pid: str, upheld: bool, **more: Any) -> Any:
    return await gz.client.post(
        f"{gz.base}/{pid}/supplementary-justification",
        headers=await gz.as_("civil_affairs_officer"),
        json={"objections_upheld": upheld, "opinion": OPINION, **more},
    )


async def test_below_the_threshold_a_single_source_goes_to_finance_without_a_notice(
    client: Client, gz: Tenderer
) -> None:
    only = await gz.bidder()
    procurement = await gz.create(
        method="single_source",
        method_reason="only_one_supplier",
        method_justification=WHY,
        proposed_provider_id=only.provider_id,
    )
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    noticed = await client.post(f"{gz.base}/{pid}/single-source-notice", headers=officer)
    assert noticed.status_code == 409, noticed.text
    assert "needs no single-source notice" in noticed.json()["detail"]
    submitted = json_of(await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer))
    assert submitted["status"] == "awaiting_approval"
    assert submitted["justification_due"] is None
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert json_of(approved)["status"] == "approved"
    public = await client.get("/v1/notices", params={"q": procurement["title"]})
    assert json_of(public)["items"] == []


async def test_at_the_threshold_another_ground_needs_no_notice_either(
    client: Client, gz: Tenderer
) -> None:
    only = await gz.bidder()
    async with gz.threshold_lowered():
        procurement = await gz.create(
            method="single_source",
            method_reason="continuity_addition",
            method_justification="原合同服务的延续，需与原供应商保持一致",
            proposed_provider_id=only.provider_id,
        )
        officer = await gz.as_("civil_affairs_officer")
        url = f"{gz.base}/{procurement['id']}"
        refused = await client.post(f"{url}/single-source-notice", headers=officer)
        assert refused.status_code == 409, refused.text
        submitted = await client.post(f"{url}/submit-for-approval", headers=officer)
        assert json_of(submitted)["status"] == "awaiting_approval"


async def test_at_the_threshold_the_only_supplier_ground_needs_its_notice(
    client: Client, gz: Tenderer
) -> None:
    only = await gz.bidder("唯一的助残社工机构")
    async with gz.threshold_lowered():
        procurement = await gz.create(
            method="single_source",
            method_reason="only_one_supplier",
            method_justification=WHY,
            proposed_provider_id=only.provider_id,
        )
        officer = await gz.as_("civil_affairs_officer")
        url = f"{gz.base}/{procurement['id']}"
        submitted = await client.post(f"{url}/submit-for-approval", headers=officer)
        assert submitted.status_code == 409, submitted.text
        assert submitted.json()["code"] == "wrong_state"
        assert "single-source notice" in submitted.json()["detail"]
        noticed = await client.post(f"{url}/single-source-notice", headers=officer)
    assert json_of(noticed)["status"] == "single_source_notice"
    public = await client.get(
        "/v1/notices", params={"kind": "single_source", "q": procurement["title"]}
    )
    assert "唯一的助残社工机构" in json_of(public)["items"][0]["body"]


async def test_an_objection_holds_approval_until_a_justification_finds_it_does_not_hold(
    client: Client, gz: Tenderer
) -> None:
    pid, objector = await _objected(gz, client)
    finance = await gz.as_("finance_approver")
    officer = await gz.as_("civil_affairs_officer")
    waiting = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert waiting["justification_due"] is not None
    refused = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert refused.status_code == 409, refused.text
    assert "supplementary justification" in refused.json()["detail"]

    document = await gz.written(pid)
    justified = await _justify(
        gz, pid, False, experts=["张教授", "李主任"], document_ids=[document]
    )
    after = json_of(justified)
    assert (after["status"], after["justification_due"]) == ("awaiting_approval", None)

    # Finance reads the notice, the objection and the opinion together.
    package = json_of(
        await client.get(f"{gz.base}/{pid}/supplementary-justification", headers=finance)
    )
    assert package["notice"]["kind"] == "single_source"
    [objection] = package["objections"]
    assert objection["objector"]["name"] == objector.name
    assert objection["answer"].startswith("补充论证结论：异议不成立")
    assert package["justification"]["opinion"] == OPINION
    assert package["justification"]["experts"] == ["张教授", "李主任"]
    assert package["justification"]["document_ids"] == [document]
    assert package["justification"]["late"] is False
    [told] = await inbox(client, objector.headers, "tendering.objection_concluded")
    assert told["data"]["procurement_id"] == pid and "异议不成立" in told["body"]

    approved = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert json_of(approved)["status"] == "approved"


async def test_an_upheld_objection_ends_the_single_source_and_its_objector_is_told(
    client: Client, gz: Tenderer
) -> None:
    pid, objector = await _objected(gz, client)
    officer = await gz.as_("civil_affairs_officer")
    line = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))["budget_line_id"]
    before = await gz.available(line)
    ended = json_of(await _justify(gz, pid, True))
    assert ended["status"] == "cancelled"
    assert "异议成立" in (ended["transitions"][-1]["reason"] or "")
    # The money goes back to the budget line, for another procurement.
    assert float(await gz.available(line)) == float(before) + float(ended["budget_amount"])
    public = json_of(await client.get("/v1/notices", params={"kind": "termination"}))
    assert any(n["procurement_id"] == pid for n in public["items"])
    [told] = await inbox(client, objector.headers, "tendering.objection_concluded")
    assert "异议成立" in told["body"]
    finance = await gz.as_("finance_approver")
    refused = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert refused.status_code == 409, refused.text
    again = await _justify(gz, pid, False)
    assert again.status_code == 409, again.text


def _notice_day_for_today() -> datetime:
    """The latest day D whose notice has ended before today (as in test_days)."""
    today = workdays.local_date(datetime.now(UTC))
    day = today - timedelta(days=1)
    while workdays.add_working_days(day, NATIONAL.single_source_notice_working_days) >= today:
        day -= timedelta(days=1)
    return workdays.end_of_day(day)


async def test_the_justification_waits_for_the_notice_to_end_and_for_an_objection(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    only = await gz.bidder()
    objector = await gz.bidder()
    async with gz.threshold_lowered():
        procurement = await gz.single_source(only, WHY, notice=True)
    pid = str(procurement["id"])
    no_objection = await _justify(gz, pid, False)
    assert_rule_broken(no_objection, "single_source_notice_working_days")
    filed = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=objector.headers,
        json={"question": "对单一来源有异议。"},
    )
    assert filed.status_code == 201, filed.text

    async def published(at: datetime) -> None:
        await admin_db.execute(
            "UPDATE notices SET published_at = $3 WHERE tenant_id = $1 AND procurement_id = $2",
            GZ,
            uuid.UUID(pid),
            at,
        )

    ended = _notice_day_for_today()
    # Published at 00:00 of the next day, the notice runs through today: refused.
    await published(ended + timedelta(microseconds=1))
    during = await _justify(gz, pid, False)
    assert_rule_broken(during, "single_source_notice_working_days")
    late_objection = await client.post(
        f"{gz.base}/{pid}/enquiries", headers=objector.headers, json={"question": "再提异议。"}
    )
    assert late_objection.status_code == 201, late_objection.text
    # Published at the last instant of that day, the notice ended before today began.
    await published(ended)
    closed = await client.post(
        f"{gz.base}/{pid}/enquiries", headers=objector.headers, json={"question": "迟到的异议。"}
    )
    assert closed.status_code == 409, closed.text
    assert json_of(await _justify(gz, pid, False))["status"] == "awaiting_approval"


async def test_a_notice_without_objections_takes_no_justification(
    client: Client, gz: Tenderer
) -> None:
    only = await gz.bidder()
    async with gz.threshold_lowered():
        procurement = await gz.single_source(only, WHY, notice=True)
    pid = str(procurement["id"])
    await gz.notice_ran(pid)
    nothing = await _justify(gz, pid, False)
    assert nothing.status_code == 409, nothing.text
    assert "no objection" in nothing.json()["detail"]
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert json_of(approved)["status"] == "approved"


async def test_a_late_justification_is_recorded_as_late(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    pid, _ = await _objected(gz, client)
    await admin_db.execute(
        "UPDATE notices SET published_at = now() - interval '40 days'"
        " WHERE tenant_id = $1 AND procurement_id = $2",
        GZ,
        uuid.UUID(pid),
    )
    officer = await gz.as_("civil_affairs_officer")
    overdue = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert datetime.fromisoformat(overdue["justification_due"]) < datetime.now(UTC)
    json_of(await _justify(gz, pid, False))
    package = json_of(
        await client.get(f"{gz.base}/{pid}/supplementary-justification", headers=officer)
    )
    assert package["justification"]["late"] is True


async def test_another_region_finds_no_such_procurement(
    client: Client, gz: Tenderer, sz: Tenderer
) -> None:
    pid, _ = await _objected(gz, client)
    url = f"/v1/tenants/{sz.city}/procurements/{pid}/supplementary-justification"
    officer = await sz.as_("civil_affairs_officer")
    written = await client.post(
        url, headers=officer, json={"objections_upheld": True, "opinion": OPINION}
    )
    assert written.status_code == 404, written.text
    read = await client.get(url, headers=await sz.as_("finance_approver"))
    assert read.status_code == 404, read.text
    still = json_of(await client.get(f"{gz.base}/{pid}", headers=await gz.as_("finance_officer")))
    assert still["status"] == "single_source_notice"
