"""Entering a year's holidays queues the recount: the PUT answers at once (``recount:
queued``), and a job per region, run by a real worker, moves the deadlines each context
computed by a working-day rule, audits the move and tells whoever acts on it. A replayed job
moves nothing and tells nobody again.

2097 is a year nobody enters (the authorisation matrix enters 2099): each test forgets it
before and after, so other tests still find it unknown."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import asyncpg
import dramatiq
import pytest

from services.contracts.payment_settings import DEFAULT_DAYS
from services.kit import workdays
from services.kit.jobs import run_once
from services.tenancy import holiday_tasks, holidays
from tests.support.client import Client, inbox, json_of
from tests.support.contracts import single_source_deal
from tests.support.database import Sessions
from tests.support.demo import GZ, ROLE_LOGINS
from tests.support.jobs import relay_and_run
from tests.support.shanghai import end_of, sh
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

YEAR = 2097
CALENDAR = f"/v1/platform/holiday-calendars/{YEAR}"
NOTICE_NO = "国办发明电〔2096〕99号"


@pytest.fixture
async def unknown_year(admin_db: asyncpg.Connection) -> AsyncIterator[None]:
    await _forget(admin_db)
    yield
    await _forget(admin_db)


async def _forget(admin_db: asyncpg.Connection) -> None:
    await admin_db.execute("DELETE FROM holiday_calendars WHERE year = $1", YEAR)
    await admin_db.execute("DELETE FROM holiday_calendar_gaps WHERE year = $1", YEAR)


async def _enter(client: Client, login: object, holidays_: list[str]) -> dict[str, object]:
    platform = await login(ROLE_LOGINS["platform_admin"])  # type: ignore[operator]
    entered = await client.put(
        CALENDAR, headers=platform, json={"notice_no": NOTICE_NO, "holidays": holidays_}
    )
    body: dict[str, object] = json_of(entered)
    return body


def _at(shown: dict[str, object], name: str) -> datetime:
    items = shown["deadlines"]
    assert isinstance(items, list)
    [item] = [i for i in items if i["name"] == name]
    return datetime.fromisoformat(str(item["at"]))


async def _replay(admin_db: asyncpg.Connection, sessionmaker: Sessions, *, fresh: bool) -> bool:
    """Run GZ's recount job of 2097 again: under its own key (a redelivery), or under a fresh
    one (as if queued twice). True when it ran."""
    row = await admin_db.fetchrow(
        "SELECT payload, message_key FROM outbox WHERE tenant_id = $1 AND actor_name = $2"
        " AND (payload->>'year')::int = $3 ORDER BY created_at DESC LIMIT 1",
        GZ,
        holidays.RECOUNT_JOB,
        YEAR,
    )
    assert row is not None
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    key = f"replay-{uuid.uuid4()}" if fresh else row["message_key"]
    return await run_once(
        holiday_tasks.calendar_recount, holidays.RECOUNT_JOB, GZ, key, payload, None, sessionmaker
    )


@pytest.mark.usefixtures("unknown_year")
async def test_the_recount_is_queued_and_a_job_moves_the_challenge_deadline_once(
    client: Client,
    gz: Tenderer,
    sz: Tenderer,
    admin_db: asyncpg.Connection,
    login: object,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    pid, bidders = await gz.with_result()
    # Published Monday 4 March 2097, through Tuesday 5; then 7 working days counted
    # Monday–Friday: 6, 7, 8, 11, 12, 13, 14 March.
    await admin_db.execute(
        "UPDATE procurements SET result_published_at = $2 WHERE id = $1::uuid",
        pid,
        sh(YEAR, 3, 4, 10),
    )
    officer = await gz.as_("civil_affairs_officer")
    before = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert _at(before, "challenge_by") == end_of(date(YEAR, 3, 14))

    entered = await _enter(client, login, [f"{YEAR}-03-06"])
    assert entered["recount"] == "queued"
    active = await admin_db.fetchval("SELECT count(*) FROM tenants WHERE active")
    assert entered["recount_regions"] == active
    # Queued, not done: the challenge deadline is counted as shown, but nothing is published,
    # audited or told before the job runs.
    corrections = (
        "SELECT count(*) FROM notices WHERE procurement_id = $1::uuid AND kind = 'correction'"
    )
    audited = (
        "SELECT count(*) FROM audit_log WHERE action = 'procurement.deadlines_recomputed'"
        " AND object_id = $1"
    )
    assert await admin_db.fetchval(corrections, pid) == 0
    assert await admin_db.fetchval(audited, pid) == 0
    queued = "SELECT count(*) FROM outbox WHERE actor_name = $1 AND (payload->>'year')::int = $2"
    assert await admin_db.fetchval(queued, holidays.RECOUNT_JOB, YEAR) >= active

    await relay_and_run(sessionmaker, broker)
    after = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    # The Wednesday off: 7, 8, 11, 12, 13, 14, 15 March.
    assert _at(after, "challenge_by") == end_of(date(YEAR, 3, 15))
    assert await admin_db.fetchval(corrections, pid) == 1
    for headers in (officer, bidders[0].headers):
        told = await inbox(client, headers, "tendering.deadlines_recomputed")
        assert [n["data"]["year"] for n in told if n["data"]["ocid"] == before["ocid"]] == [YEAR]
    assert await admin_db.fetchval(audited, pid) == 1

    # A redelivered job finds its key claimed: nothing moves, nobody is told twice.
    assert await _replay(admin_db, sessionmaker, fresh=False) is False
    assert await admin_db.fetchval(corrections, pid) == 1
    assert await admin_db.fetchval(audited, pid) == 1
    told = await inbox(client, officer, "tendering.deadlines_recomputed")
    assert len([n for n in told if n["data"]["ocid"] == before["ocid"]]) == 1

    # Another region's user does not see the procurement.
    other = await sz.as_("civil_affairs_officer")
    assert (await client.get(f"{sz.base}/{pid}", headers=other)).status_code == 404
    assert (await client.get(f"{gz.base}/{pid}", headers=other)).status_code in (403, 404)


@pytest.mark.usefixtures("unknown_year")
async def test_a_signed_contracts_publication_and_filing_deadlines_move_with_the_holiday(
    client: Client,
    gz: Tenderer,
    admin_db: asyncpg.Connection,
    login: object,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    deal = await single_source_deal(gz)
    await deal.signed()
    # Signed Monday 4 March 2097: published within 2 working days (5, 6 March), filed within
    # 7 (5, 6, 7, 8, 11, 12, 13 March), counted Monday–Friday.
    await deal.moved(
        f"signed_at = '{sh(YEAR, 3, 4, 10).isoformat()}',"
        f" publish_by = '{end_of(date(YEAR, 3, 6)).isoformat()}',"
        f" file_by = '{end_of(date(YEAR, 3, 13)).isoformat()}',"
        " published_at = NULL, filed_at = NULL"
    )
    shown = await deal.read()
    assert shown["publish_by_provisional"] is True

    await _enter(client, login, [f"{YEAR}-03-05"])
    await relay_and_run(sessionmaker, broker)
    shown = await deal.read()
    # Tuesday 5 March off: published by 7 March, filed by 14 March.
    assert datetime.fromisoformat(shown["publish_by"]) == end_of(date(YEAR, 3, 7))
    assert datetime.fromisoformat(shown["file_by"]) == end_of(date(YEAR, 3, 14))
    assert shown["publish_by_provisional"] is False
    told = await deal.told("contracts.deadlines_recomputed")
    assert told  # the buyer's civil affairs, who publish and file
    audited = (
        "SELECT count(*) FROM audit_log WHERE action = 'contract.deadlines_recomputed'"
        " AND object_id = $1"
    )
    assert await admin_db.fetchval(audited, deal.contract["id"]) == 1

    # Run again, even under a fresh key: the deadlines are no longer what the rule gave
    # without the holiday, so nothing moves and nobody is told again.
    assert await _replay(admin_db, sessionmaker, fresh=True) is True
    again = await deal.read()
    assert again["publish_by"] == shown["publish_by"] and again["file_by"] == shown["file_by"]
    assert await deal.told("contracts.deadlines_recomputed") == told
    assert await admin_db.fetchval(audited, deal.contract["id"]) == 1


@pytest.mark.usefixtures("unknown_year")
async def test_a_progress_reports_due_date_moves_off_the_new_holiday_and_the_provider_is_told(
    client: Client,
    gz: Tenderer,
    admin_db: asyncpg.Connection,
    login: object,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    deal = await single_source_deal(gz)
    await deal.signed()
    officer = await gz.as_("civil_affairs_officer")
    schedule = f"{deal.path}/report-schedule"
    json_of(await client.put(schedule, headers=officer, json={"kind": "monthly"}))
    # The first period as if it ended Wednesday 20 February 2097: due 10 days after, Saturday
    # 2 March, a rest day, so Monday 4 March (counted Monday–Friday).
    await admin_db.execute(
        "UPDATE delivery_report_periods SET starts_on = $3, ends_on = $4, due_at = $5"
        " WHERE tenant_id = $1 AND contract_id = $2 AND seq = 1",
        GZ,
        uuid.UUID(deal.contract["id"]),
        date(YEAR, 2, 1),
        date(YEAR, 2, 20),
        end_of(date(YEAR, 3, 4)),
    )

    await _enter(client, login, [f"{YEAR}-03-04"])
    await relay_and_run(sessionmaker, broker)
    shown = json_of(await client.get(schedule, headers=officer))
    # Monday 4 March off: due Tuesday 5 March.
    assert datetime.fromisoformat(shown["periods"][0]["due_at"]) == end_of(date(YEAR, 3, 5))
    event = "delivery.report_due_recomputed"
    told = [
        n
        for n in await inbox(client, deal.winner.headers, event)
        if n["data"]["contract_id"] == deal.contract["id"]
    ]
    assert len(told) == 1  # the provider, who reports
    audited = (
        "SELECT count(*) FROM audit_log WHERE action = 'report_period.due_recomputed'"
        " AND object_id = $1"
    )
    assert await admin_db.fetchval(audited, deal.contract["id"]) == 1

    assert await _replay(admin_db, sessionmaker, fresh=True) is True
    assert await admin_db.fetchval(audited, deal.contract["id"]) == 1
    assert (
        len(
            [
                n
                for n in await inbox(client, deal.winner.headers, event)
                if n["data"]["contract_id"] == deal.contract["id"]
            ]
        )
        == 1
    )


@pytest.mark.usefixtures("unknown_year")
async def test_the_bid_securities_still_owed_move_with_the_holiday(
    client: Client,
    gz: Tenderer,
    admin_db: asyncpg.Connection,
    login: object,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    pid, bidders = await gz.with_result()
    # The award notice as if issued Monday 4 March 2097: the losers' securities are owed back
    # within 5 working days (5, 6, 7, 8, 11 March, counted Monday–Friday).
    owed = end_of(date(YEAR, 3, 11))
    await admin_db.execute(
        "UPDATE procurements SET award_notice_at = $2, result_published_at = $2,"
        " bid_security_due = $3 WHERE id = $1::uuid",
        pid,
        sh(YEAR, 3, 4, 10),
        owed,
    )
    await admin_db.execute(
        "UPDATE bid_securities SET due_at = $2 WHERE procurement_id = $1::uuid AND NOT winner",
        pid,
        owed,
    )
    # One the buyer agreed otherwise (not the rule's date) stays where it is.
    agreed = end_of(date(YEAR, 3, 20))
    kept = await admin_db.fetchval(
        "UPDATE bid_securities SET due_at = $2 WHERE procurement_id = $1::uuid AND bid_id ="
        " (SELECT bid_id FROM bid_securities WHERE procurement_id = $1::uuid AND NOT winner"
        "  ORDER BY bid_id LIMIT 1) RETURNING bid_id",
        pid,
        agreed,
    )

    await _enter(client, login, [f"{YEAR}-03-06"])
    await relay_and_run(sessionmaker, broker)
    finance = await gz.as_("finance_officer")
    listed = await client.get(f"{gz.base}/{pid}/bid-securities", headers=finance)
    assert listed.status_code == 200, listed.text
    rows: list[dict[str, str]] = listed.json()
    dues = {r["bid_id"]: r["due_at"] for r in rows if not r["winner"]}
    assert datetime.fromisoformat(dues.pop(str(kept))) == agreed
    # Wednesday 6 March off: 5, 7, 8, 11, 12 March.
    assert [datetime.fromisoformat(d) for d in dues.values()] == [end_of(date(YEAR, 3, 12))]
    moved = await admin_db.fetchval(
        "SELECT bid_security_due FROM procurements WHERE id = $1::uuid", pid
    )
    assert moved == end_of(date(YEAR, 3, 12))
    officer = await gz.as_("civil_affairs_officer")
    told = await inbox(client, officer, "tendering.deadlines_recomputed")
    [mine] = [n for n in told if n["data"]["procurement_id"] == pid]
    assert "bid_security_due" in mine["body"]
    assert len(bidders) == 3


@pytest.mark.usefixtures("unknown_year")
async def test_a_bid_deadline_a_clarification_moved_out_is_counted_again(
    client: Client,
    gz: Tenderer,
    admin_db: asyncpg.Connection,
    login: object,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    suppliers = [await gz.bidder() for _ in range(3)]
    pid = str((await gz.negotiation(suppliers))["id"])
    officer = await gz.as_("civil_affairs_officer")
    json_of(await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer))
    approver = await gz.as_("finance_approver")
    approval = {"approve": True}
    json_of(await client.post(f"{gz.base}/{pid}/approval", headers=approver, json=approval))
    json_of(await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={}))
    asked = await client.post(
        f"{gz.base}/{pid}/enquiries", headers=suppliers[0].headers, json={"question": "人数？"}
    )
    answer = f"{gz.base}/{pid}/enquiries/{json_of(asked, 201)['id']}/answer"
    body = {"answer": "服务对象由300人调整为400人。", "affects_bids": True}
    json_of(await client.post(answer, headers=officer, json=body))
    # As if the clarification came Monday 4 March 2097 10:00 and moved the deadline out to the
    # 3rd working day after it (74号令 art. 10), counted Monday–Friday: Thursday 7 March, at
    # the deadline's own 09:00; the opening an hour after.
    await admin_db.execute(
        "UPDATE enquiries SET answered_at = $2 WHERE procurement_id = $1::uuid",
        pid,
        sh(YEAR, 3, 4, 10),
    )
    await gz.moved(
        pid,
        f"bid_deadline = '{sh(YEAR, 3, 7, 9).isoformat()}',"
        f" opening_at = '{sh(YEAR, 3, 7, 10).isoformat()}'",
    )

    await _enter(client, login, [f"{YEAR}-03-06"])
    await relay_and_run(sessionmaker, broker)
    shown = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    # Wednesday 6 March off: 5, 7, 8 March.
    assert datetime.fromisoformat(shown["bid_deadline"]) == sh(YEAR, 3, 8, 9)
    assert datetime.fromisoformat(shown["opening_at"]) == sh(YEAR, 3, 8, 10)
    corrections = await admin_db.fetch(
        "SELECT body FROM notices WHERE procurement_id = $1::uuid AND kind = 'correction'", pid
    )
    assert len(corrections) == 1
    assert "顺延的投标截止时间更正为2097年03月08日" in corrections[0]["body"]
    told = await inbox(client, officer, "tendering.deadlines_recomputed")
    assert [n["data"]["year"] for n in told if n["data"]["procurement_id"] == pid] == [YEAR]

    # Counted again: the deadline is no longer what the rule gave without the holiday.
    assert await _replay(admin_db, sessionmaker, fresh=True) is True
    again = json_of(await client.get(f"{gz.base}/{pid}", headers=officer))
    assert again["bid_deadline"] == shown["bid_deadline"]
    assert (
        len(
            await admin_db.fetch(
                "SELECT 1 FROM notices WHERE procurement_id = $1::uuid AND kind = 'correction'", pid
            )
        )
        == 1
    )


@pytest.mark.usefixtures("unknown_year")
async def test_an_unsigned_contracts_sign_by_moves_off_the_holiday_and_both_sides_are_told(
    client: Client,
    gz: Tenderer,
    login: object,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    deal = await single_source_deal(gz)
    # The award notice as if issued Sunday 3 February 2097: signed within 30 days, by 5 March.
    await deal.moved(
        f"award_notice_at = '{sh(YEAR, 2, 3, 10).isoformat()}',"
        f" sign_by = '{end_of(date(YEAR, 3, 5)).isoformat()}'"
    )
    await _enter(client, login, [f"{YEAR}-03-05"])
    await relay_and_run(sessionmaker, broker)
    shown = await deal.read()
    assert datetime.fromisoformat(shown["sign_by"]) == end_of(date(YEAR, 3, 6))
    told = await deal.told("contracts.deadlines_recomputed")
    winner = await inbox(client, deal.winner.headers, "contracts.deadlines_recomputed")
    assert [n for n in winner if n["data"]["contract_id"] == deal.contract["id"]]
    assert len(told) > 1  # the provider and the buyer


@pytest.mark.usefixtures("unknown_year")
async def test_an_owed_payments_pay_by_moves_off_the_holiday_and_civil_affairs_is_told(
    client: Client,
    gz: Tenderer,
    admin_db: asyncpg.Connection,
    login: object,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    deal = await single_source_deal(gz)
    await deal.signed()
    payment = await deal.confirmed_first_instalment()
    days = await admin_db.fetchval(
        "SELECT payment_days FROM contract_payment_settings WHERE tenant_id = $1", GZ
    )
    days = days or DEFAULT_DAYS
    # Confirmed Friday 1 March 2097: due within ``days`` days, counted from 2 March, its last
    # day a weekday that the holiday entered below makes a rest day.
    confirmed_at = sh(YEAR, 3, 1, 10)
    due = workdays.calendar_deadline(confirmed_at, days)
    last_day = workdays.local_date(due)
    assert last_day.weekday() < 4, "the test wants a Monday–Thursday last day"
    await admin_db.execute(
        "UPDATE contract_payments SET confirmed_at = $2, pay_by = $3 WHERE id = $1",
        uuid.UUID(payment),
        confirmed_at,
        due,
    )

    await _enter(client, login, [last_day.isoformat()])
    await relay_and_run(sessionmaker, broker)
    moved = await admin_db.fetchval(
        "SELECT pay_by FROM contract_payments WHERE id = $1", uuid.UUID(payment)
    )
    # The last day is now a holiday: due by 24:00 of the next working day (民法典 art. 203).
    assert moved == end_of(last_day + timedelta(days=1))
    told = await deal.told("contracts.deadlines_recomputed")
    assert told  # civil affairs, who pay under the treasury
    audited = await admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'contract.deadlines_recomputed'"
        " AND object_type = 'contract_payment' AND object_id = $1",
        payment,
    )
    assert audited == 1

    # Counted again: the stored date is no longer the rule's without the holiday; nothing moves.
    assert await _replay(admin_db, sessionmaker, fresh=True) is True
    assert (
        await admin_db.fetchval(
            "SELECT pay_by FROM contract_payments WHERE id = $1", uuid.UUID(payment)
        )
        == moved
    )
    assert await deal.told("contracts.deadlines_recomputed") == told
