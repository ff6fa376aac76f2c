"""Routes of the holiday calendar the platform keeps (``/v1/platform/holiday-calendars``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, put
from litestar.params import JSONBody, PathParameter

from services.kit.guard import CurrentActor, Session
from services.kit.types import ONE_LINE
from services.tenancy import holidays
from services.tenancy.holiday_models import HolidayCalendar

YearPath = Annotated[
    int,
    PathParameter(ge=holidays.FIRST_YEAR, le=holidays.LAST_YEAR, description="a calendar year"),
]
Days = Annotated[list[date], msgspec.Meta(max_length=366)]


class HolidayCalendarIn(msgspec.Struct, forbid_unknown_fields=True):
    # 国办发明电〔2026〕x号: the State Council notice that announced the arrangement.
    notice_no: Annotated[str, msgspec.Meta(pattern=ONE_LINE, min_length=1, max_length=100)]
    # Days off (放假), weekends within the notice's spans included or not.
    holidays: Days
    # Make-up working days (调休上班), each a Saturday or Sunday.
    workdays: Days = msgspec.field(default_factory=list)


class HolidayCalendarOut(msgspec.Struct):
    year: int
    notice_no: str
    holidays: list[date]
    workdays: list[date]
    entered_by: uuid.UUID
    entered_at: datetime


class HolidayCalendarEntered(HolidayCalendarOut):
    # "queued": the recount of the deadlines counted without the year runs as a job per region.
    recount: Literal["queued"]
    # How many regions' recounts were queued (every active region).
    recount_regions: int


def calendar_out(calendar: HolidayCalendar) -> HolidayCalendarOut:
    return HolidayCalendarOut(
        year=calendar.year,
        notice_no=calendar.notice_no,
        holidays=list(calendar.holidays),
        workdays=list(calendar.workdays),
        entered_by=calendar.entered_by,
        entered_at=calendar.entered_at,
    )


class HolidayCalendarController(Controller):
    path = "/v1/platform/holiday-calendars"
    tags = ["platform"]

    @get("/", opt={"permission": "holiday_calendar:read"})
    async def list_holiday_calendars(self, session: Session) -> list[HolidayCalendarOut]:
        """The years a platform administrator entered (they take precedence over the
        chinesecalendar package, which knows the years up to its release)."""
        return [calendar_out(c) for c in await holidays.list_years(session)]

    @put("/{year:int}", opt={"permission": "holiday_calendar:manage"})
    async def enter_holiday_calendar(
        self,
        session: Session,
        actor: CurrentActor,
        year: YearPath,
        data: JSONBody[HolidayCalendarIn],
    ) -> HolidayCalendarEntered:
        """Enter or replace a year's official arrangement. The deadlines counted without it
        are recounted by a job per active region, after this returns (``recount: queued``); a
        moved one is recorded and told to whoever acts on it."""
        calendar, regions = await holidays.enter_year(
            session, actor, year, data.holidays, data.workdays, data.notice_no
        )
        out = calendar_out(calendar)
        return HolidayCalendarEntered(
            **msgspec.structs.asdict(out), recount="queued", recount_regions=regions
        )
