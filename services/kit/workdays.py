"""Working days of the Chinese calendar (工作日), and the deadlines the procurement law counts.

Public holidays are off and the 调休 make-up Saturdays and Sundays are on, as the State
Council announces them each year; the ``chinesecalendar`` package (``chinese_calendar``) carries
those announcements. A release knows the years up to its own (1.11.0: 2004–2026) and raises
``NotImplementedError`` for the others. For such a year Monday–Friday count as working days and
weekends do not, and a warning is logged once per year: the deployment must then update the
package (``pip install -U chinesecalendar``), which it does every year once the next year's
holidays are announced (usually in November).

A platform administrator may also enter a year's arrangement (``holiday_calendars``, see
``services.kit.holiday_calendars``): an entered year takes precedence over the package. Each
process keeps the entered years in memory (:func:`install`), so these functions stay
synchronous; a day of a year that neither knows is *provisional* (:func:`is_provisional`).

Every day is a day in Asia/Shanghai. Functions that take a moment require a timezone-aware
datetime and convert it to Shanghai before taking its date; deadlines come back as aware UTC
datetimes, the last microsecond (23:59:59.999999) of a Shanghai day.
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


def deadline_after(moment: datetime, working_days: int) -> datetime:
    """The end of a period "within N working days of ``moment``": the end (23:59:59.999999
    Asia/Shanghai) of the N-th working day after the moment's Shanghai date, in UTC.

    A result notice due within 2 working days of a confirmation on a Friday is due at the end
    of the next Tuesday. N = 0 is the end of the moment's day when that is a working day, else
    of the next working day (see :func:`add_working_days`).
    """
    return end_of_day(add_working_days(local_date(moment), working_days))


def deadline_after_days(moment: datetime, days: int) -> datetime:
    """The end (23:59:59.999999 Asia/Shanghai, in UTC) of the day ``days`` calendar days
    after the moment's Shanghai date (the start day does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return end_of_day(local_date(moment) + timedelta(days=days))


def earliest_after_working_days(moment: datetime, working_days: int) -> datetime:
    """The first moment by which at least N whole working days have passed since ``moment``,
    for rules of the form "at least N working days from A to B" (B ≥ this), in UTC.

    From a working day it is the same Shanghai clock time on the N-th working day after;
    from a holiday or weekend nothing counts until the next working day begins, so it is
    the end of the N-th working day after. N = 0 is the moment itself.
    """
    if working_days < 0:
        raise ValueError("working_days must not be negative")
    day = local_date(moment)  # refuses a naive moment
    if working_days == 0:
        return moment.astimezone(UTC)
    local = moment.astimezone(SHANGHAI)
    target = add_working_days(day, working_days)
    if not is_working_day(day):
        return end_of_day(target)
    return datetime.combine(target, local.timetz()).astimezone(UTC)


__all__ = [
    "SHANGHAI",
    "YearArrangement",
    "add_working_days",
    "counting_as",
    "deadline_after",
    "deadline_after_days",
    "earliest_after_working_days",
    "end_of_day",
    "entered_years",
    "install",
    "is_provisional",
    "is_provisional_moment",
    "is_working_day",
    "local_date",
    "require_aware",
    "working_days_between",
]
