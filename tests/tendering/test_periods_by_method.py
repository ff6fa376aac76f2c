"""The challenge period after the result's publication (实施条例 art. 53) and clarifications by
method (实施条例 art. 31, 74号令 art. 10, 214号 art. 10): the last refused and the first allowed
instant of each, and the same through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from services.kit import workdays
from services.kit.db import transaction
from services.kit.jobs import JobContext
from services.tendering import rules, tasks
from services.tendering.rules import NATIONAL, LegalRuleBroken
from tests.support.client import Client
from tests.support.database import Sessions
from tests.support.demo import GZ
from tests.support.shanghai import end_of, sh
from tests.support.tendering import Tenderer

US = timedelta(microseconds=1)
NEGOTIATION, CONSULTATION = "competitive_negotiation", "competitive_consultation"

# --- the challenge period ---------------------------------------------------------------------


def test_the_challenge_period_starts_when_the_results_publication_ends() -> None:
    published = sh(2026, 9, 28, 11)  # Monday; published through Tuesday 29 Sep
    assert rules.publication_end(NATIONAL, published) == end_of(date(2026, 9, 29))
    # 30 Sep, then 8, 9, 10 (调休 Saturday), 12, 13, 14 Oct: the 7th working day is 14 Oct.
    last = end_of(date(2026, 10, 14))
    assert rules.challenge_deadline(NATIONAL, published) == last
    rules.check_challenge_time(NATIONAL, published, last)  # the last instant still counts
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_challenge_time(NATIONAL, published, last + US)
    assert (exc.value.rule, exc.value.extra["field"]) == ("challenge_working_days", "grounds")
    assert "2026-10-14 23:59" in exc.value.detail and "实施条例 art. 53" in exc.value.detail
    # The award concludes only once the period is over: not at its last instant, just after.
    assert not rules.challenge_period_over(NATIONAL, published, last)
    assert rules.challenge_period_over(NATIONAL, published, last + US)


def test_a_result_published_on_a_friday_is_published_through_monday() -> None:
    published = sh(2026, 11, 27, 18)  # Friday evening
    assert rules.publication_end(NATIONAL, published) == end_of(date(2026, 11, 30))
    # 1–4, 7, 8, 9 Dec.
    assert rules.challenge_deadline(NATIONAL, published) == end_of(date(2026, 12, 9))
    longer = rules.LegalRules(result_publication_working_days=2)
    assert rules.challenge_deadline(longer, published) == end_of(date(2026, 12, 10))


# --- clarifications by method -----------------------------------------------------------------


def test_a_negotiation_clarification_2_working_days_before_the_deadline_moves_it() -> None:
    deadline = sh(2026, 12, 10, 15)  # Thursday
    published = sh(2026, 12, 8, 15)  # Tuesday: 9 and 10 Dec, two working days
    moved = rules.check_clarification(NATIONAL, published, deadline, NEGOTIATION)
    assert moved == sh(2026, 12, 11, 15)
    # Thursday is the 3rd working day after Monday: any time on Monday keeps it, Tuesday
    # 00:00 moves it to Friday, at its own clock time.
    keeps = end_of(date(2026, 12, 7))
    assert rules.check_clarification(NATIONAL, keeps, deadline, NEGOTIATION) is None
    moved_by_next = rules.check_clarification(NATIONAL, keeps + US, deadline, NEGOTIATION)
    assert moved_by_next == sh(2026, 12, 11, 15)
    assert rules.latest_clarification(NATIONAL, NEGOTIATION, deadline) == keeps


def test_a_negotiation_clarification_counts_working_days_across_national_day() -> None:
    published = sh(2026, 9, 30, 10)  # 1–7 Oct off: 8, 9 Oct are two working days
    moved = rules.check_clarification(NATIONAL, published, sh(2026, 10, 9, 10), NEGOTIATION)
    assert moved == sh(2026, 10, 10, 10)  # the 调休 Saturday is the third
    assert rules.check_clarification(NATIONAL, published, sh(2026, 10, 10, 10), NEGOTIATION) is None


def test_the_15_day_rule_is_for_tenders_and_5_days_for_consultations() -> None:
    deadline = sh(2026, 12, 10, 15)
    for method in ("open_tender", "invited_tender"):
        # 10 Dec is the 15th day after 25 Nov: any time that day keeps it, 26 Nov moves it.
        last = end_of(date(2026, 11, 25))
        assert rules.latest_clarification(NATIONAL, method, deadline) == last
        assert rules.check_clarification(NATIONAL, last, deadline, method) is None
        moved = rules.check_clarification(NATIONAL, last + US, deadline, method)
        assert moved == sh(2026, 12, 11, 15)
    # A negotiation 4 working days out keeps its deadline where a tender's would move.
    four_out = sh(2026, 12, 4, 15)
    assert rules.check_clarification(NATIONAL, four_out, deadline, NEGOTIATION) is None
    assert rules.check_clarification(NATIONAL, four_out, deadline, "open_tender") is not None
    last = end_of(date(2026, 12, 5))
    assert rules.check_clarification(NATIONAL, last, deadline, CONSULTATION) is None
    moved = rules.check_clarification(NATIONAL, last + US, deadline, CONSULTATION)
    assert moved == sh(2026, 12, 11, 15)
    assert rules.RULES["consultation_clarification_min_days"].source == "财库〔2014〕214号 art. 10"
    # A single source answers objections to its notice instead.
    assert rules.check_clarification(NATIONAL, last, deadline, "single_source") is None


@pytest.mark.parametrize("hour", [0, 9, 15])
def test_the_last_clarification_that_keeps_a_negotiation_deadline_is_exact(hour: int) -> None:
    """For deadlines on every day from late September to mid October (National Day, a 调休
    Saturday, weekends), the last moment found keeps the deadline and the next one moves it."""
    for offset in range(30):
        deadline = sh(2026, 9, 20, hour) + timedelta(days=offset)
        last = rules.latest_clarification(NATIONAL, NEGOTIATION, deadline)
        assert last is not None
        assert rules.check_clarification(NATIONAL, last, deadline, NEGOTIATION) is None, deadline
        assert rules.check_clarification(NATIONAL, last + US, deadline, NEGOTIATION), deadline


def test_an_enquiry_in_a_negotiation_is_due_by_the_last_moment_that_keeps_the_deadline() -> None:
    deadline = sh(2026, 12, 10, 15)
    due = rules.enquiry_answer_deadline(NATIONAL, sh(2026, 12, 4, 9), deadline, NEGOTIATION)
    assert due == end_of(date(2026, 12, 7))
    late = rules.enquiry_answer_deadline(NATIONAL, sh(2026, 12, 8, 9), deadline, NEGOTIATION)
    assert late == deadline


# --- through the API --------------------------------------------------------------------------


async def _published_negotiation(client: Client, gz: Tenderer) -> tuple[str, str]:
    """A competitive negotiation approved and published; its id and one invited supplier's
    question asked."""
    suppliers = [await gz.bidder() for _ in range(3)]
    procurement = await gz.negotiation(suppliers)
    pid = str(procurement["id"])
    officer = await gz.as_("civil_affairs_officer")
    asked = await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer)
    assert asked.status_code == 200, asked.text
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approved.status_code == 200, approved.text
    published = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert published.status_code == 200, published.text
    question = await client.post(
        f"{gz.base}/{pid}/enquiries",
        headers=suppliers[0].headers,
        json={"question": "服务对象人数是否调整？"},
    )
    assert question.status_code == 201, question.text
    return pid, str(question.json()["id"])


def _noon_of_working_day(n: int) -> datetime:
    """Noon (Shanghai) of the ``n``-th working day after today."""
    today = workdays.local_date(datetime.now(UTC))
    return workdays.start_of_day(workdays.add_working_days(today, n)) + timedelta(hours=12)


async def _deadline_in(gz: Tenderer, pid: str, working_days: int) -> datetime:
    deadline = _noon_of_working_day(working_days)
    await gz.admin_db.execute(
        "UPDATE procurements SET bid_deadline = $3, opening_at = $3"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
        deadline,
    )
    return deadline


async def _answer(client: Client, gz: Tenderer, pid: str, enquiry: str) -> datetime:
    answered = await client.post(
        f"{gz.base}/{pid}/enquiries/{enquiry}/answer",
        headers=await gz.as_("civil_affairs_officer"),
        json={"answer": "服务对象由300人调整为400人。", "affects_bids": True},
    )
    assert answered.status_code == 200, answered.text
    got = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    return datetime.fromisoformat(got.json()["bid_deadline"])


async def test_a_negotiation_clarification_2_working_days_before_the_deadline_moves_it_api(
    client: Client, gz: Tenderer
) -> None:
    pid, enquiry = await _published_negotiation(client, gz)
    await _deadline_in(gz, pid, 2)
    moved = await _answer(client, gz, pid, enquiry)
    # To the 3rd working day after today, at the deadline's own clock time.
    assert moved == _noon_of_working_day(3)


async def test_a_negotiation_clarification_4_working_days_before_keeps_the_deadline(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    pid, enquiry = await _published_negotiation(client, gz)
    deadline = await _deadline_in(gz, pid, 4)
    # Under the tenders' 15-day rule this would move; a negotiation's rule is 3 working days.
    assert await _answer(client, gz, pid, enquiry) == deadline


def _published_on(before_today: int) -> datetime:
    """Noon (Shanghai) of the latest day whose challenge period, under the old reading (7
    working days from the publication), ended before today, but under art. 53 (after 1 working
    day of publication) still runs today — with ``before_today`` = 0; each 1 steps a day
    further back until the period has fully ended."""
    today = workdays.local_date(datetime.now(UTC))
    day = today - timedelta(days=1)
    while workdays.add_working_days(day, 7) >= today:
        day -= timedelta(days=1)
    if before_today:
        while workdays.add_working_days(day, 8) >= today:
            day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, 12, tzinfo=workdays.SHANGHAI)


async def _conclude(sessionmaker: Sessions, pid: str) -> None:
    async with transaction(sessionmaker, GZ) as session:
        ctx = JobContext(session, GZ, f"conclude-{uuid.uuid4()}", None)
        await tasks.conclude(ctx, {"procurement_id": pid})


async def test_a_challenge_on_the_8th_working_day_after_publication_is_in_time(
    client: Client, gz: Tenderer, sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    pid, bidders = await gz.with_result()
    published = _published_on(0)
    await admin_db.execute(
        "UPDATE procurements SET result_published_at = $3 WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
        published,
    )
    officer = await gz.as_("civil_affairs_officer")
    # The period still runs: the award does not conclude.
    await _conclude(sessionmaker, pid)
    status = (await client.get(f"{gz.base}/{pid}", headers=officer)).json()["status"]
    assert status == "result_published"
    filed = await client.post(
        f"{gz.base}/{pid}/challenges", headers=bidders[1].headers, json={"grounds": "评分有误"}
    )
    assert filed.status_code == 201, filed.text


async def test_the_award_concludes_once_the_challenge_period_is_over(
    client: Client, gz: Tenderer, sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    pid, bidders = await gz.with_result()
    await admin_db.execute(
        "UPDATE procurements SET result_published_at = $3 WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(pid),
        _published_on(1),
    )
    late = await client.post(
        f"{gz.base}/{pid}/challenges", headers=bidders[1].headers, json={"grounds": "评分有误"}
    )
    assert late.status_code == 422 and late.json()["rule"] == "challenge_working_days"
    await _conclude(sessionmaker, pid)
    officer = await gz.as_("civil_affairs_officer")
    status = (await client.get(f"{gz.base}/{pid}", headers=officer)).json()["status"]
    assert status == "concluded"
