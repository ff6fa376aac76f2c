"""Moments on the clock of Beijing time, where working days and legal deadlines are counted."""

from __future__ import annotations

from datetime import date, datetime

from services.kit.workdays import SHANGHAI


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in Beijing time."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(day: date) -> datetime:
    """The last moment of a day in Beijing time, when a deadline on that day runs out."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=SHANGHAI)
