"""Entering a year's holiday arrangement, and telling of years nobody entered.

The State Council announces each year's holidays and make-up working days (调休) in a notice
(国办发明电〔YYYY〕N号), usually in November. The chinesecalendar package carries the years up
to its release; a platform administrator enters the others (or corrects one), and the entry
takes precedence. Every process counts working days from memory (``services.kit.workdays``),
reloaded when the table's stamp changes (``services.kit.db.bind_tenant``).

Entering a year does not recount anything in the administrator's request: it enqueues one
outbox job per active region (``RECOUNT_JOB``, committed with the calendar, so a worker that
restarts loses none), and the job, bound to its region, calls the registered listeners there
(``register_calendar_listener``): each context recounts the deadlines it computed by a
working-day or calendar rule. The job's key names the year and the entry's moment, so a
replayed job does nothing; the listeners move only a deadline still equal to what the rule
gave before the entry, so a recount that already ran moves nothing again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.db import PLATFORM_TENANT, bind_tenant, forget_calendars
from services.kit.errors import InvalidField
from services.kit.outbox import enqueue
from services.kit.workdays import YearArrangement
from services.notifications.service import define_event, notify
from services.tenancy.holiday_models import HolidayCalendar
from services.tenancy.models import Tenant

FIRST_YEAR, LAST_YEAR = 2000, 2100

# (session bound to a region, actor in it, the year, the year's arrangement before: None when
# nobody had entered it).
CalendarListener = Callable[[AsyncSession, Actor, int, YearArrangement | None], Awaitable[None]]
_LISTENERS: list[CalendarListener] = []

CALENDAR_MISSING = define_event(
    "platform.holiday_calendar_missing",
    ("节假日安排未录入", "Holiday arrangement not entered"),
    (
        "{year}年节假日安排尚未录入",
        "您好：\n\n{tenant_name}的一个期限落在{year}年，平台尚无该年的节假日安排，"
        "暂按周一至周五计算工作日并标注为暂定。请在国务院办公厅公布后录入该年安排。",
    ),
    (
        "The holiday arrangement of {year} is not entered",
        "Hello,\n\nA deadline in {tenant_name} falls in {year}, a year whose holidays the "
        "platform does not know. It is counted Monday to Friday and shown as provisional. "
        "Please enter the year's arrangement once the State Council has announced it.",
    ),
)


RECOUNT_JOB = "tenancy.calendar_recount"


def register_calendar_listener(listener: CalendarListener) -> CalendarListener:
    """Call ``listener(session, actor, year, previous)`` in every active region when a year
    is entered (in the region's recount job); usable as a decorator. Registered once."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def _check_days(days: list[date], year: int, field: str) -> frozenset[date]:
    outside = sorted(str(day) for day in days if day.year != year)
    if outside:
        raise InvalidField(f"dates outside {year}: {', '.join(outside)}", field=field)
    if len(set(days)) != len(days):
        raise InvalidField("a date is listed twice", field=field)
    return frozenset(days)


def validate(
    year: int, holidays: list[date], workdays: list[date]
) -> tuple[frozenset[date], frozenset[date]]:
    """The arrangement's days, or a refusal naming the field.

    Holidays may include Saturdays and Sundays: a notice's spans (e.g. 10月1日至8日) run over
    them and the entry mirrors the notice; they were off anyway. A make-up working day is a
    Saturday or Sunday by definition (a weekday is a working day already).
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidField(f"must be between {FIRST_YEAR} and {LAST_YEAR}", field="year")
    off = _check_days(holidays, year, "holidays")
    on = _check_days(workdays, year, "workdays")
    both = sorted(str(day) for day in off & on)
    if both:
        raise InvalidField(f"both a holiday and a working day: {', '.join(both)}", field="workdays")
    weekdays = sorted(str(day) for day in on if day.weekday() < 5)
    if weekdays:
        raise InvalidField(
            f"a make-up working day is a Saturday or Sunday: {', '.join(weekdays)}",
            field="workdays",
        )
    return off, on


async def enter_year(
    session: AsyncSession,
    actor: Actor,
    year: int,
    holidays: list[date],
    workdays: list[date],
    notice_no: str,
) -> tuple[HolidayCalendar, int]:
    """Enter (or replace) a year's arrangement, audited in the platform's chain, and queue the
    recount of what was counted without it in every active region; the calendar and how many
    regions' recounts were queued."""
    off, on = validate(year, holidays, workdays)
    if not notice_no.strip():
        raise InvalidField("the State Council notice's number is required", field="notice_no")
    assert actor.user_id is not None
    calendar = await session.get(HolidayCalendar, year, with_for_update=True)
    before = None
    previous = None
    if calendar is None:
        calendar = HolidayCalendar(year=year)
        session.add(calendar)
    else:
        before = _audited(calendar)
        previous = {
            "holidays": [str(day) for day in calendar.holidays],
            "workdays": [str(day) for day in calendar.workdays],
        }
    calendar.holidays = sorted(off)
    calendar.workdays = sorted(on)
    calendar.notice_no = notice_no.strip()
    calendar.entered_by = actor.user_id
    calendar.entered_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        Actor(actor.user_id, PLATFORM_TENANT, actor.request_id),
        "holiday_calendar.entered",
        "holiday_calendar",
        year,
        before=before,
        after=_audited(calendar),
    )
    # Count with the new year from here on, in this transaction too (the stamp changed).
    forget_calendars()
    regions = list(
        await session.scalars(select(Tenant.code).where(Tenant.active).order_by(Tenant.code))
    )
    payload = {"year": year, "previous": previous, "entered_at": calendar.entered_at.isoformat()}
    for region in regions:
        # The outbox row is the region's: bound to it, as its job will be.
        await bind_tenant(session, region)
        await enqueue(
            session,
            Actor(actor.user_id, region, actor.request_id),
            RECOUNT_JOB,
            payload,
            message_key=f"{RECOUNT_JOB}:{year}:{payload['entered_at']}",
        )
    await bind_tenant(session, PLATFORM_TENANT)
    return calendar, len(regions)


async def recount(session: AsyncSession, actor: Actor, payload: dict[str, object]) -> None:
    """The recount job's work in one region (the session bound to it): every listener counts
    its deadlines again, ``previous`` telling how the year was counted before the entry."""
    year = payload["year"]
    assert isinstance(year, int)
    # The job's claim bound the region without reloading the calendars; this reloads them.
    await bind_tenant(session, actor.tenant)
    previous = _arrangement(payload.get("previous"))
    for listener in _LISTENERS:
        await listener(session, actor, year, previous)


def _arrangement(stored: object) -> YearArrangement | None:
    if not isinstance(stored, dict):
        return None
    return YearArrangement(
        frozenset(date.fromisoformat(day) for day in stored["holidays"]),
        frozenset(date.fromisoformat(day) for day in stored["workdays"]),
    )


def _audited(calendar: HolidayCalendar) -> dict[str, object]:
    return {
        "holidays": [str(day) for day in calendar.holidays],
        "workdays": [str(day) for day in calendar.workdays],
        "notice_no": calendar.notice_no,
    }


async def list_years(session: AsyncSession) -> list[HolidayCalendar]:
    return list(await session.scalars(select(HolidayCalendar).order_by(HolidayCalendar.year)))


_PLATFORM_ADMINS = text(
    "SELECT g.user_id FROM platform_role_grants g JOIN users u ON u.id = g.user_id "
    "WHERE g.role = :role AND u.active ORDER BY g.user_id"
)


async def note_provisional(
    session: AsyncSession, actor: Actor, years: set[int], tenant_name: str
) -> None:
    """A region showed a deadline in a year nobody entered: tell the platform administrators,
    once per year across processes (the first region to meet the year is the one told of;
    its inbox is where the notification lands, the session being bound to it)."""
    for year in sorted(years):
        noted = await session.scalar(
            text(
                "INSERT INTO holiday_calendar_gaps (year, region) VALUES (:y, :t) "
                "ON CONFLICT (year) DO NOTHING RETURNING year"
            ),
            {"y": year, "t": actor.tenant},
        )
        if noted is None:
            continue
        admins = [
            uuid.UUID(str(row))
            for row in await session.scalars(_PLATFORM_ADMINS, {"role": Role.platform_admin.value})
        ]
        if admins:
            await notify(
                session,
                actor,
                event_type=CALENDAR_MISSING.name,
                recipients=admins,
                context={"year": year, "tenant_name": tenant_name},
                tenant=actor.tenant,
            )
