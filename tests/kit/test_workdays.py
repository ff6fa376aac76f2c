"""Working days of the Chinese calendar, against the dates the State Council announced for 2026
(as chinesecalendar carries them), and the Monday–Friday fallback for a year it does not know."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from services.kit import workdays
from services.kit.workdays import (
    add_working_days,
    after_working_day_period,
    calendar_deadline,
    calendar_last_day,
    deadline_after,
    end_of_nth_working_day,
    is_working_day,
    latest_before_nth_day,
    latest_before_nth_working_day,
    not_before_nth_day,
    not_before_nth_working_day,
    working_days_between,
)
from tests.support.shanghai import end_of, sh

# --- National Day 2026: 1–7 Oct off; Sunday 20 Sep and Saturday 10 Oct are make-up days -----


def test_national_day_2026_is_off_and_its_make_up_days_are_on() -> None:
    assert not any(is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert is_working_day(date(2026, 10, 8))  # Thursday: back at work
    assert is_working_day(date(2026, 10, 9))
    assert is_working_day(date(2026, 10, 10))  # Saturday, 调休
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert is_working_day(date(2026, 9, 20))  # Sunday, 调休
    assert not is_working_day(date(2026, 9, 25))  # 中秋节, a Friday


def test_add_working_days_crosses_the_national_day_holiday() -> None:
    wednesday = date(2026, 9, 30)
    assert add_working_days(wednesday, 1) == date(2026, 10, 8)
    assert add_working_days(wednesday, 3) == date(2026, 10, 10)  # the make-up Saturday
    assert add_working_days(wednesday, 4) == date(2026, 10, 12)
    assert add_working_days(wednesday, 5) == date(2026, 10, 13)


def test_add_zero_working_days_is_the_day_itself_or_the_next_working_day() -> None:
    assert add_working_days(date(2026, 9, 30), 0) == date(2026, 9, 30)
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 25), 0) == date(2026, 9, 28)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 9, 30), -1)


def test_working_days_between_counts_after_start_up_to_and_including_end() -> None:
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert working_days_between(date(2026, 9, 18), date(2026, 9, 20)) == 1  # Sunday 调休
    assert working_days_between(date(2026, 10, 13), date(2026, 10, 13)) == 0
    assert working_days_between(date(2026, 10, 13), date(2026, 10, 1)) == 0


# --- Spring Festival 2026: 15–23 Feb off; Saturdays 14 and 28 Feb are make-up days ----------


def test_spring_festival_2026() -> None:
    assert not any(is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert is_working_day(date(2026, 2, 14))
    assert is_working_day(date(2026, 2, 28))
    assert is_working_day(date(2026, 2, 24))
    friday = date(2026, 2, 13)
    assert add_working_days(friday, 1) == date(2026, 2, 14)
    assert add_working_days(friday, 2) == date(2026, 2, 24)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6  # 14, 24–28


# --- an ordinary weekend --------------------------------------------------------------------


def test_an_ordinary_weekend_is_off() -> None:
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 11, 29))  # Sunday
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1


# --- deadlines ------------------------------------------------------------------------------


def test_a_notice_due_within_two_working_days_of_a_friday_is_due_at_the_end_of_tuesday() -> None:
    friday = sh(2026, 11, 27, 16, 30)
    due = deadline_after(friday, 2)
    assert due == end_of(date(2026, 12, 1))
    assert due.tzinfo == UTC
    assert due == datetime(2026, 12, 1, 15, 59, 59, 999999, tzinfo=UTC)


def test_deadline_after_takes_the_shanghai_date_of_a_utc_moment() -> None:
    # 17:00 UTC on Thursday 26 Nov is 01:00 on Friday 27 Nov in Shanghai.
    moment = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert deadline_after(moment, 1) == end_of(date(2026, 11, 30))
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_after(datetime(2026, 11, 26, 17, 0), 1)


def test_deadline_after_crosses_national_day() -> None:
    assert deadline_after(sh(2026, 9, 30, 9), 2) == end_of(date(2026, 10, 9))
    assert deadline_after(sh(2026, 10, 3, 9), 0) == end_of(date(2026, 10, 8))


def test_the_older_name_is_the_same_reading() -> None:
    assert deadline_after is end_of_nth_working_day


# --- the readings of the law's periods (民法典 arts. 201–203) ---------------------------------


def test_a_calendar_deadline_ends_at_24_00_of_the_nth_day_after() -> None:
    # Wednesday 30 Sep + 20 days: Tuesday 20 Oct, a working day.
    assert calendar_deadline(sh(2026, 9, 30, 9), 20) == end_of(date(2026, 10, 20))
    assert calendar_deadline(sh(2026, 9, 30, 23, 59), 20) == end_of(date(2026, 10, 20))
    assert calendar_deadline(sh(2026, 9, 30, 9), 0) == end_of(date(2026, 9, 30))


def test_a_calendar_deadline_on_a_rest_day_moves_to_the_next_working_day() -> None:
    # 1 Sep + 30 days = 1 Oct, National Day: the period ends with 8 Oct, the first working day.
    assert calendar_deadline(sh(2026, 9, 1, 15), 30) == end_of(date(2026, 10, 8))
    # 31 Aug + 30 = 30 Sep, a working day: it stays.
    assert calendar_deadline(sh(2026, 8, 31, 15), 30) == end_of(date(2026, 9, 30))
    # An ordinary Saturday gives way to the Monday; a 调休 Saturday is a working day itself.
    assert calendar_last_day(date(2026, 11, 18), 10) == date(2026, 11, 30)
    assert calendar_last_day(date(2026, 9, 30), 10) == date(2026, 10, 10)
    # The Spring Festival: 15 Feb … 23 Feb off.
    assert calendar_last_day(date(2026, 1, 16), 30) == date(2026, 2, 24)
    with pytest.raises(ValueError, match="negative"):
        calendar_last_day(date(2026, 9, 30), -1)


def test_not_before_the_nth_day_is_any_time_of_that_day() -> None:
    # Issued Monday 2 Nov at 10:00: the 20th day after is Sunday 22 Nov, any time that day.
    assert not_before_nth_day(sh(2026, 11, 2, 10), 20) == sh(2026, 11, 22)
    assert not_before_nth_day(sh(2026, 11, 2, 23, 59), 20) == sh(2026, 11, 22)
    # 17:00 UTC on 1 Nov is 01:00 on 2 Nov in Shanghai: the same day counts.
    assert not_before_nth_day(datetime(2026, 11, 1, 17, tzinfo=UTC), 20) == sh(2026, 11, 22)
    assert not_before_nth_day(sh(2026, 11, 2, 10), 20).tzinfo == UTC
    # The inverse: the last moment a clarification keeps a deadline 15 days away.
    assert latest_before_nth_day(sh(2026, 12, 1, 9, 30), 15) == end_of(date(2026, 11, 16))


def test_not_before_the_nth_working_day_crosses_national_day() -> None:
    # Issued 30 Sep: 8, 9 and 10 Oct (调休 Saturday) are the three working days.
    assert not_before_nth_working_day(sh(2026, 9, 30, 15), 3) == sh(2026, 10, 10)
    # Issued on a holiday: nothing counts before 8 Oct.
    assert not_before_nth_working_day(sh(2026, 10, 3, 15), 1) == sh(2026, 10, 8)
    assert not_before_nth_working_day(sh(2026, 10, 3, 15), 0) == sh(2026, 10, 3)
    # The inverse: a Thursday deadline is 3 working days after Monday, or the Sunday before.
    assert latest_before_nth_working_day(sh(2026, 12, 10, 15), 3) == end_of(date(2026, 12, 7))
    # Saturday 10 Oct (调休) is the 3rd working day after 30 Sep and after 1–7 Oct: the last
    # day that keeps it is 7 Oct, a holiday.
    assert latest_before_nth_working_day(sh(2026, 10, 10, 9), 3) == end_of(date(2026, 10, 7))
    assert latest_before_nth_working_day(sh(2026, 10, 10, 9), 0) == end_of(date(2026, 10, 10))


def test_an_act_after_a_notice_period_comes_the_day_after_its_last_working_day() -> None:
    # Published Thursday 12 Feb 2026: 13, 14 (调休 Saturday), then the Spring Festival (15–23
    # Feb), 24, 25, 26 Feb. The fifth working day is 26 Feb; the act may come from 27 Feb.
    assert is_working_day(date(2026, 2, 14)) and not is_working_day(date(2026, 2, 23))
    assert add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert after_working_day_period(sh(2026, 2, 12, 9), 5) == sh(2026, 2, 27)
    assert after_working_day_period(sh(2026, 2, 12, 23, 59), 5) == sh(2026, 2, 27)
    with pytest.raises(ValueError, match="timezone-aware"):
        after_working_day_period(datetime(2026, 2, 12, 9), 5)


def test_within_n_working_days_ends_at_24_00_of_the_nth() -> None:
    assert end_of_nth_working_day(sh(2026, 9, 30, 9), 5) == end_of(date(2026, 10, 13))
    assert end_of_nth_working_day(sh(2026, 10, 2, 9), 0) == end_of(date(2026, 10, 8))


def test_a_moment_is_not_a_date() -> None:
    with pytest.raises(TypeError):
        is_working_day(sh(2026, 10, 8, 9))


# --- a year the package does not know ---------------------------------------------------------


def test_an_unknown_year_falls_back_to_monday_to_friday_and_warns_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workdays, "_warned_years", set())
    with capture_logs() as logs:
        week = [date(2027, 1, 4) + timedelta(days=d) for d in range(7)]  # Monday 4 Jan 2027
        assert [is_working_day(d) for d in week] == [True] * 5 + [False] * 2
        assert add_working_days(date(2027, 1, 8), 1) == date(2027, 1, 11)
        assert working_days_between(date(2027, 1, 1), date(2027, 1, 31)) == 20
    warnings = [e for e in logs if e["event"] == "working_days_calendar_unknown_year"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning" and warnings[0]["year"] == 2027


def test_the_fallback_spans_the_turn_of_the_year() -> None:
    # Thursday 31 Dec 2026 + 2 working days: Friday 1 Jan 2027 counts (no data), then Monday.
    assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)
