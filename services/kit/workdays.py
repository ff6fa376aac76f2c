"""Working days of the Chinese calendar (工作日), and the deadlines the procurement law counts.

Public holidays are off and the 调休 make-up Saturdays and Sundays are on, as the State
Council announces them each year; the ``chinesecalendar`` package (``chinese_calendar``) carries
those announcements. A release knows the years up to its own (1.11.0: 2004–2026) and raises
``NotImplementedError`` for the others. For such a year Monday–Friday count as working days and
weekends do not, and a warning is logged once per year: the deployment must then update the
package (``pip install -U chinesecalendar``), which it does every year once the next year's
holidays are announced (usually in November).

A platform administrator may also enter a year's arrangement (``holiday_calendars``, see
``services.tenancy.holidays``): an entered year takes precedence over the package. Each
process keeps the entered years in memory (:func:`install`), so these functions stay
synchronous; a day of a year that neither knows is *provisional* (:func:`is_provisional`).

Every day is a day in Asia/Shanghai. Functions that take a moment require a timezone-aware
datetime and convert it to Shanghai before taking its date; deadlines come back as aware UTC
datetimes, the last microsecond (23:59:59.999999) of a Shanghai day, and earliest moments as
00:00 of a Shanghai day.

This module is the one place where the law's periods are counted, one function per reading
(民法典 arts. 201–203: a period starts the day after the event and ends at 24:00 of its last
day; a calendar-day period whose last day is a rest day ends on the next working day):
:func:`not_before_nth_day` / :func:`not_before_nth_working_day` ("from A to B not less than N
(working) days"), :func:`after_working_day_period` (an act after a notice period),
:func:`end_of_nth_working_day` ("within N working days of A") and :func:`calendar_deadline`
("within N days of A").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import structlog

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = structlog.get_logger(__name__)

_warned_years: set[int] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True)
class YearArrangement:
    """One year's official arrangement as entered: days off and make-up working days."""

    holidays: frozenset[date]
    workdays: frozenset[date]


# Entered years, replaced whole by install(): readers never see half a reload.
_entered: dict[int, YearArrangement] = {}


def install(years: dict[int, YearArrangement]) -> None:
    """Replace the entered years this process counts with (called by the loader)."""
    global _entered
    _entered = dict(years)


@contextmanager
def counting_as(year: int, arrangement: YearArrangement | None) -> Iterator[None]:
    """Count ``year`` by ``arrangement`` (None: as if nobody had entered it) inside the block,
    to tell what a deadline was before a year was entered. Only for synchronous blocks: with
    no ``await`` inside, no other task of the event loop counts meanwhile."""
    global _entered
    saved = _entered
    changed = dict(saved)
    if arrangement is None:
        changed.pop(year, None)
    else:
        changed[year] = arrangement
    _entered = changed
    try:
        yield
    finally:
        _entered = saved


def entered_years() -> frozenset[int]:
    return frozenset(_entered)


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_provisional(day: date) -> bool:
    """Whether ``day``'s year is known to nobody (neither entered nor in the package): a
    deadline on such a day was counted Monday–Friday and may move once the year is entered."""
    day = _plain_date(day)
    return day.year not in _entered and not _package_knows(day.year)


def is_provisional_moment(moment: datetime) -> bool:
    """:func:`is_provisional` of an aware moment's Shanghai date."""
    return is_provisional(local_date(moment))


def _fallback_warning(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    log.warning(
        "working_days_calendar_unknown_year",
        year=year,
        detail="chinesecalendar does not know this year's holidays; counting Monday-Friday "
        "as working days. Update it: pip install -U chinesecalendar",
    )


def _plain_date(day: date) -> date:
    # A datetime is a date too, but its date is the one of its own timezone, not Shanghai's.
    if isinstance(day, datetime):
        raise TypeError("pass a date; convert a moment with local_date() first")
    return day


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in mainland China.

    A year a platform administrator entered is read from that entry first.

    Public holidays are not; make-up working days (调休) on a Saturday or Sunday are. For a
    year the installed ``chinesecalendar`` does not know (1.11.0 knows 2004–2026), Monday to
    Friday are working days and Saturday and Sunday are not, and a structlog warning
    ``working_days_calendar_unknown_year`` is logged once per year and process.
    """
    day = _plain_date(day)
    entered = _entered.get(day.year)
    if entered is not None:
        if day in entered.holidays:
            return False
        return day in entered.workdays or day.weekday() < 5
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _fallback_warning(day.year)
        return day.weekday() < 5


def require_aware(moment: datetime) -> datetime:
    """The moment itself; a naive datetime (whose zone is anyone's guess) is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a moment must be timezone-aware")
    return moment


def local_date(moment: datetime) -> date:
    """The Shanghai date of an aware moment."""
    return require_aware(moment).astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """The last microsecond of a Shanghai day (23:59:59.999999), as an aware UTC datetime."""
    return datetime.combine(_plain_date(day), time.max, tzinfo=SHANGHAI).astimezone(UTC)


def add_working_days(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself never counts).

    ``n`` = 0 returns ``day`` when it is a working day, else the first working day after it.
    Examples in 2026: Friday 25 Sep (中秋) + 0 → Monday 28 Sep; Wednesday 30 Sep + 1 →
    Thursday 8 Oct (1–7 Oct are the National Day holiday).
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day = _plain_date(day)
    if n == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """The working days in (start, end]: after ``start``, up to and including ``end``.

    0 when ``end`` is not after ``start``.
    """
    start, end = _plain_date(start), _plain_date(end)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count


# --- the periods of the law, one function per reading -------------------------------------
#
# 民法典 art. 201: a period counted in days starts the day after the event (the event's own day
# never counts); art. 203: it ends at 24:00 of its last day, and a last day that is a rest day
# (法定休假日) gives way to the day after the rest ends. Each rule's wording decides which of
# the readings below it follows; ``services/tendering/rules.py`` names one per rule.


def start_of_day(day: date) -> datetime:
    """00:00 of a Shanghai day, as an aware UTC datetime."""
    return datetime.combine(_plain_date(day), time.min, tzinfo=SHANGHAI).astimezone(UTC)


def not_before_nth_day(moment: datetime, days: int) -> datetime:
    """The earliest B for "from A to B not less than N days" (``moment`` is A): 00:00
    Asia/Shanghai of the N-th calendar day after A's date, in UTC.

    政府采购法 art. 35 (≥ 20 days from issuing the tender documents to the bid deadline),
    政府采购法实施条例 art. 31 (a clarification ≥ 15 days before the bid deadline) and 财库
    〔2014〕214号 art. 10 (≥ 5 days before the first responses): A's day does not count
    (民法典 art. 201), so B may fall on the N-th day after A's day, at any time that day.
    Documents issued on 2 Nov at 10:00 allow a bid deadline from 22 Nov 00:00. A rest day is
    no obstacle: B is the later event, and it may be any day from that one on.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    return start_of_day(local_date(moment) + timedelta(days=days))


def not_before_nth_working_day(moment: datetime, working_days: int) -> datetime:
    """The earliest B for "from A to B not less than N working days" (``moment`` is A): 00:00
    Asia/Shanghai of the N-th working day after A's date, in UTC (N = 0: A's own day).

    财政部令第74号 art. 10: ≥ 3 working days from issuing the negotiation documents to the first
    response deadline, and a clarification ≥ 3 working days before it. A's day does not count
    (民法典 art. 201); B may fall on the N-th working day, at any time that day. Documents issued
    on 30 Sep 2026 allow a deadline from 10 Oct 00:00 (8, 9 and the 调休 Saturday 10 Oct).
    """
    if working_days < 0:
        raise ValueError("working_days must not be negative")
    day = local_date(moment)
    return start_of_day(add_working_days(day, working_days) if working_days else day)


def latest_before_nth_day(deadline: datetime, days: int) -> datetime:
    """The inverse of :func:`not_before_nth_day`: the last moment A for which ``deadline`` is
    still not less than N days away — 24:00 of the N-th day before the deadline's date.

    A clarification published up to then keeps a tender's bid deadline (实施条例 art. 31).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    return end_of_day(local_date(deadline) - timedelta(days=days))


def latest_before_nth_working_day(deadline: datetime, working_days: int) -> datetime:
    """The inverse of :func:`not_before_nth_working_day`: the last moment A for which
    ``deadline`` falls on or after the N-th working day after A's date — 24:00 of the latest
    such day (a rest day before the N-th working day before the deadline may be it).

    A negotiation's clarification published up to then keeps its deadline (74号令 art. 10).
    """
    if working_days < 0:
        raise ValueError("working_days must not be negative")
    last = local_date(deadline)
    day = last
    # add_working_days never decreases as the day grows: the first day found going back is the
    # latest that fits.
    while working_days and add_working_days(day, working_days) > last:
        day -= timedelta(days=1)
    return end_of_day(day)


def after_working_day_period(moment: datetime, working_days: int) -> datetime:
    """The first moment after a notice period of N working days (公示期不少于N个工作日)
    published at ``moment``, for an act the period must precede: 00:00 Asia/Shanghai of the
    day after the N-th working day after the publication's date, in UTC.

    财政部令第74号 art. 38: a single-source purchase is approved only after its notice has run
    5 working days. The period starts the day after the publication (民法典 art. 201) and ends
    at 24:00 of its last day (art. 203); the act comes after it, not during its last day. A
    notice published on 12 Feb 2026 runs 13, 14 (调休 Saturday), 24, 25 and 26 Feb (the
    Spring Festival is off): approval from 27 Feb 00:00.
    """
    if working_days < 0:
        raise ValueError("working_days must not be negative")
    return start_of_day(add_working_days(local_date(moment), working_days) + timedelta(days=1))


def end_of_nth_working_day(moment: datetime, working_days: int) -> datetime:
    """The end of a period "within N working days of A" (``moment`` is A): 24:00 (the last
    microsecond, 23:59:59.999999) Asia/Shanghai of the N-th working day after A's date, in UTC.

    政府采购法实施条例 art. 43 (confirm the winner within 5, announce within 2 working days),
    arts. 52–53 (challenge and answer within 7), 财政部令第87号 art. 38 (bid securities back
    within 5), 74号令 art. 40: the period starts the day after A (民法典 art. 201) and ends at
    24:00 of its last day (art. 203); a working-day count never ends on a rest day. A result
    notice due within 2 working days of a confirmation on a Friday is due at the end of the
    next Tuesday. N = 0 is the end of A's day when that is a working day, else of the next
    working day (see :func:`add_working_days`).
    """
    return end_of_day(add_working_days(local_date(moment), working_days))


def calendar_last_day(day: date, days: int) -> date:
    """The last day of a period of N calendar days after ``day``: the N-th day after it, or,
    when that is a rest day, the first working day after (民法典 arts. 201, 203)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return add_working_days(_plain_date(day) + timedelta(days=days), 0)


def calendar_deadline(moment: datetime, days: int) -> datetime:
    """The end of a period "within N days of A" (``moment`` is A): 24:00 Asia/Shanghai of the
    N-th calendar day after A's date, moved to the end of the next working day when that day is
    a rest day, in UTC (民法典 art. 201: the period starts the day after A; art. 203: it ends at
    24:00 of its last day, and a last day on a rest day gives way to the day after the rest).

    政府采购法 art. 46 (the contract within 30 days of the award notice), 财政部令第94号
    art. 28 (finance's suspension of at most 30 days), 保障中小企业款项支付条例 arts. 8–9 (a
    payment within the agreed days). An award notice of 1 Sep 2026 has 1 Oct, National Day, as
    its 30th day: the contract is due by 24:00 of 8 Oct, the first working day after it.
    """
    return end_of_day(calendar_last_day(local_date(moment), days))


# The older names, kept so callers written against them keep working: the same readings.
deadline_after = end_of_nth_working_day
deadline_after_days = calendar_deadline


__all__ = [
    "SHANGHAI",
    "YearArrangement",
    "add_working_days",
    "after_working_day_period",
    "calendar_deadline",
    "calendar_last_day",
    "counting_as",
    "deadline_after",
    "deadline_after_days",
    "end_of_day",
    "end_of_nth_working_day",
    "entered_years",
    "install",
    "is_provisional",
    "is_provisional_moment",
    "is_working_day",
    "latest_before_nth_day",
    "latest_before_nth_working_day",
    "local_date",
    "not_before_nth_day",
    "not_before_nth_working_day",
    "require_aware",
    "start_of_day",
    "working_days_between",
]
