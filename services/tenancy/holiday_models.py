"""The holiday calendar the platform keeps: years entered by a platform administrator."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base


class HolidayCalendar(Base):
    """One year's official arrangement (国务院办公厅 notice): days off and make-up working
    days. Platform data: it takes precedence over the chinesecalendar package."""

    __tablename__ = "holiday_calendars"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[date]] = mapped_column(ARRAY(Date))
    workdays: Mapped[list[date]] = mapped_column(ARRAY(Date))
    notice_no: Mapped[str] = mapped_column(String(100))
    entered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HolidayCalendarGap(Base):
    """A year a deadline fell in before anyone entered it: the administrators were told."""

    __tablename__ = "holiday_calendar_gaps"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The region whose deadline met the gap first (where the notice went).
    region: Mapped[str] = mapped_column(String(6))
    noted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
