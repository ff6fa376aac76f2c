"""The rules of a disqualification that need no database: its period and where it applies.

The database holds the same rules (the table's CHECKs, the ``credit_bars`` function of
migration 0006); these are what the API explains a refusal with and what the worker uses to
decide which regions a record concerns.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.credit.schemas import Scope
from services.tenancy.service import Level, division_level

LOCAL = ZoneInfo("Asia/Shanghai")
MIN_YEARS, MAX_YEARS = 1, 3
ONE_DAY = timedelta(days=1)


def today(now: datetime | None = None) -> date:
    """The day in China: a bar ending on 1 March is over at midnight Beijing time."""
    return (now or datetime.now(UTC)).astimezone(LOCAL).date()


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February, as PostgreSQL's
    ``date + interval 'n years'`` does, so both sides agree on every boundary."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def period_ok(starts_on: date, ends_on: date) -> bool:
    return add_years(starts_on, MIN_YEARS) <= ends_on <= add_years(starts_on, MAX_YEARS)


def in_force(starts_on: date, ends_on: date, day: date) -> bool:
    return starts_on <= day < ends_on


def applies_in(source: str, scope: Scope, tenant: str) -> bool:
    """``tenant``: the recording region only; ``province``: every region whose code shares
    its first two digits (the province and all its cities and counties); ``national``: all."""
    if scope is Scope.national:
        return True
    if scope is Scope.province:
        return source[:2] == tenant[:2]
    return source == tenant


def scopes_allowed(source: str) -> frozenset[Scope]:
    """Any region may bar within itself or its province; only a province-level region may
    bar nationwide (a city's record reaching all of China is the province's call to make)."""
    if division_level(source) is Level.province:
        return frozenset(Scope)
    return frozenset({Scope.tenant, Scope.province})


def province_of(code: str) -> str:
    return code[:2] + "0000"
