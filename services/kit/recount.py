"""Counting a stored deadline again once a year's holidays are entered.

A deadline computed by a working-day or calendar rule was stored as the rule gave it. When the
year's arrangement changes, it moves to what the rule gives now — but only when it is still
what the rule gave before (``previous``): a date somebody typed in, or one already recounted,
stays. That makes a recount safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from services.kit import workdays


def recounted(
    stored: datetime | None,
    rule: Callable[[], datetime],
    year: int,
    previous: workdays.YearArrangement | None,
) -> datetime | None:
    """Where ``stored`` moves now that ``year`` is entered, or None when it stays."""
    if stored is None:
        return None
    with workdays.counting_as(year, previous):
        was = rule()
    if stored != was:
        return None
    now = rule()
    return now if now != was else None


def local_text(moment: datetime) -> str:
    """A moment as messages show it: Shanghai time, to the minute."""
    return workdays.require_aware(moment).astimezone(workdays.SHANGHAI).strftime("%Y-%m-%d %H:%M")


def changes_text(moved: Mapping[str, tuple[datetime, datetime]]) -> str:
    """``name：before → after`` for each moved deadline, as one line."""
    return "；".join(
        f"{name}：{local_text(before)} → {local_text(after)}"
        for name, (before, after) in moved.items()
    )
