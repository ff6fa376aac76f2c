"""Days counted as the law counts them (民法典 arts. 201–203): for each period of the rules, the
last instant on one side of its boundary and the first on the other — and, through the API,
the bid period of 政府采购法 art. 35 and the single-source notice before its approval."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from services.kit import workdays
from services.tendering import rules
from services.tendering.rules import NATIONAL, READINGS, RULES, LegalRuleBroken
from tests.support.client import Client
from tests.support.demo import GZ
from tests.support.shanghai import end_of, sh
from tests.support.tendering import Tenderer, assert_rule_broken, procurement_body

US = timedelta(microseconds=1)


def test_every_period_names_the_function_that_counts_it() -> None:
    periods = {name for name, info in RULES.items() if info.unit in ("days", "working_days")}
    assert set(READINGS) == periods
    for reading in READINGS.values():
        assert callable(getattr(workdays, reading)), reading
    assert READINGS["open_tender_min_days"] == "not_before_nth_day"
    assert READINGS["single_source_notice_working_days"] == "after_working_day_period"
    assert READINGS["contract_days"] == "calendar_deadline"


# --- "from A to B not less than N days": B on the N-th day after A's day, any time ------------


def test_the_bid_period_allows_a_deadline_from_00_00_of_the_20th_day() -> None:
    issued = sh(2026, 9, 30, 18)  # 20 days on: Tuesday 20 Oct
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_bid_period(NATIONAL, issued, sh(2026, 10, 20) - US)
    assert exc.value.rule == "open_tender_min_days"
    assert "2026-10-20 00:00" in exc.value.detail
    rules.check_bid_period(NATIONAL, issued, sh(2026, 10, 20))
    # Issued just before midnight the same day, the first allowed deadline is the same.
    rules.check_bid_period(NATIONAL, end_of(date(2026, 9, 30)), sh(2026, 10, 20))
    with pytest.raises(LegalRuleBroken):
        rules.check_bid_period(NATIONAL, sh(2026, 10, 1), sh(2026, 10, 20))


def test_a_negotiations_response_deadline_from_the_3rd_working_day() -> None:
    issued = sh(2026, 11, 27, 9)  # Friday: Monday, Tuesday, Wednesday 2 Dec
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_negotiation_response(NATIONAL, issued, sh(2026, 12, 2) - US)
    assert exc.value.rule == "negotiation_min_response_working_days"
    rules.check_negotiation_response(NATIONAL, issued, sh(2026, 12, 2))


# --- a notice period, then the act: only after its last working day ----------------------------


def test_a_single_source_notice_of_12_february_2026_allows_approval_from_27_february() -> None:
    """Published Thursday 12 Feb: 13, 14 (a 调休 Saturday), then the Spring Festival 15–23
    Feb, 24, 25, 26 Feb — the fifth working day; approval only once it has ended."""
    assert [workdays.is_working_day(date(2026, 2, d)) for d in range(13, 27)] == (
        [True, True] + [False] * 9 + [True, True, True]
    )
    published = sh(2026, 2, 12, 10)
    last_refused = end_of(date(2026, 2, 26))
    with pytest.raises(LegalRuleBroken) as exc:
        rules.check_single_source_notice(NATIONAL, published, last_refused)
    assert exc.value.rule == "single_source_notice_working_days"
    assert "2026-02-27 00:00" in exc.value.detail
    # The fifth working day is inside the notice: its afternoon is refused too.
    with pytest.raises(LegalRuleBroken):
        rules.check_single_source_notice(NATIONAL, published, sh(2026, 2, 26, 15))
    rules.check_single_source_notice(NATIONAL, published, sh(2026, 2, 27))
    assert last_refused + US == sh(2026, 2, 27)


def test_objections_to_that_notice_are_answered_within_5_working_days_after_it() -> None:
    # The notice ends with 26 Feb; 27 Feb, 28 Feb (调休 Saturday), 2, 3, 4 Mar.
    due = rules.objection_answer_deadline(NATIONAL, sh(2026, 2, 12, 10))
    assert due == end_of(date(2026, 3, 4))
    assert rules.within_working_days(5, end_of(date(2026, 2, 26)), end_of(date(2026, 3, 4)))
    assert not rules.within_working_days(5, end_of(date(2026, 2, 26)), sh(2026, 3, 5))


# --- "within N working days of A": to 24:00 of the N-th working day after A's day -------------


@pytest.mark.parametrize(
    ("deadline", "n", "last_day"),
    [
        # Report on Friday 27 Nov: 30 Nov, 1–4 Dec.
        (rules.confirm_deadline, NATIONAL.confirm_winner_working_days, date(2026, 12, 4)),
        # Confirmed on Friday 27 Nov: Monday 30 Nov, Tuesday 1 Dec.
        (rules.result_notice_deadline, NATIONAL.result_notice_working_days, date(2026, 12, 1)),
        # A challenge on Friday 27 Nov: 30 Nov, 1–4, 7, 8 Dec.
        (rules.answer_deadline, NATIONAL.challenge_answer_working_days, date(2026, 12, 8)),
        # The award notice on Friday 27 Nov: 30 Nov, 1–4 Dec.
        (
            rules.bid_security_return_deadline,
            NATIONAL.bid_security_return_working_days,
            date(2026, 12, 4),
        ),
    ],
)
def test_a_working_day_deadline_ends_at_24_00_of_its_last_day(
    deadline: object, n: int, last_day: date
) -> None:
    assert callable(deadline)
    event = sh(2026, 11, 27, 23, 30)  # late on the day: the day itself still does not count
    due = deadline(NATIONAL, event)
    assert due == end_of(last_day)
    assert rules.within_working_days(n, event, due)
    assert not rules.within_working_days(n, event, due + US)


def test_the_challenge_period_across_national_day() -> None:
    # Published Wednesday 30 Sep: published through 8 Oct; then 9, 10 (调休), 12–16 Oct.
    published = sh(2026, 9, 30, 9)
    due = rules.challenge_deadline(NATIONAL, published)
    assert due == end_of(date(2026, 10, 16))
    rules.check_challenge_time(NATIONAL, published, due)
    with pytest.raises(LegalRuleBroken):
        rules.check_challenge_time(NATIONAL, published, due + US)


# --- "within N days of A": a last day on a rest day moves to the next working day --------------


def test_the_contract_is_due_within_30_days_moved_past_a_rest_day() -> None:
    # Award notice on 1 Sep: the 30th day is 1 Oct, National Day; the first working day is 8 Oct.
    due = rules.contract_deadline(NATIONAL, sh(2026, 9, 1, 16))
    assert due == end_of(date(2026, 10, 8))
    assert due + US == sh(2026, 10, 9)
    # 2 Nov + 30 = Wednesday 2 Dec, a working day: it stays.
    assert rules.contract_deadline(NATIONAL, sh(2026, 11, 2, 16)) == end_of(date(2026, 12, 2))
    # 30 Oct + 30 = Sunday 29 Nov: Monday 30 Nov.
    assert rules.contract_deadline(NATIONAL, sh(2026, 10, 30, 16)) == end_of(date(2026, 11, 30))


# --- through the API -----------------------------------------------------------------------


async def test_a_bid_deadline_from_00_00_of_the_20th_day_is_accepted_one_microsecond_before_not(
    client: Client, gz: Tenderer
) -> None:
    first = workdays.not_before_nth_day(datetime.now(UTC), NATIONAL.open_tender_min_days)
    assert first.astimezone(workdays.SHANGHAI).time().isoformat() == "00:00:00"
    officer = await gz.as_("civil_affairs_officer")
    line = await gz.line()
    early = await client.post(
        gz.base,
        headers=officer,
        json=procurement_body(line, bid_deadline=(first - US).isoformat()),
    )
    assert_rule_broken(early, "open_tender_min_days")
    assert early.json()["field"] == "bid_deadline"
    created = await client.post(
        gz.base, headers=officer, json=procurement_body(line, bid_deadline=first.isoformat())
    )
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["bid_deadline"]) == first
    # Publishing today checks it again against the day the documents are issued.
    published = await client.post(
        f"{gz.base}/{created.json()['id']}/publish", headers=officer, json={}
    )
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "tendering"


def _notice_day_for_today() -> date:
    """The latest day D whose 5-working-day notice has ended before today: a notice published
    during D allows the approval today; one published on D + 1 runs through today at least."""
    today = workdays.local_date(datetime.now(UTC))
    day = today - timedelta(days=1)
    while workdays.add_working_days(day, NATIONAL.single_source_notice_working_days) >= today:
        day -= timedelta(days=1)
    return day


async def _notice_published(admin_db: asyncpg.Connection, pid: str, at: datetime) -> None:
    await admin_db.execute(
        "UPDATE notices SET published_at = $3 WHERE tenant_id = $1 AND procurement_id = $2",
        GZ,
        uuid.UUID(pid),
        at,
    )


async def test_a_single_source_is_approved_only_after_its_notice_has_ended(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    only = await gz.bidder("唯一的禁毒社工机构")
    async with gz.threshold_lowered():
        procurement = await gz.single_source(
            only, "该机构为本区唯一承接社区戒毒康复服务的机构", notice=True
        )
    pid = str(procurement["id"])
    finance = await gz.as_("finance_approver")
    day = _notice_day_for_today()
    # Published at 00:00 of the next day, the notice's fifth working day is today or later:
    # today's approval comes during the notice, and is refused.
    await _notice_published(admin_db, pid, workdays.start_of_day(day + timedelta(days=1)))
    during = await client.post(f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True})
    assert_rule_broken(during, "single_source_notice_working_days")
    officer = await gz.as_("civil_affairs_officer")
    still = await client.get(f"{gz.base}/{pid}", headers=officer)
    assert still.json()["status"] == "single_source_notice"
    # Published at the last instant of that day, the notice ended before today began.
    await _notice_published(admin_db, pid, workdays.end_of_day(day))
    approved = await client.post(
        f"{gz.base}/{pid}/approval", headers=finance, json={"approve": True}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
