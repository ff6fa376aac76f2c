"""A signed contract's reporting schedule (报告周期), set by civil affairs.

The periods cover the contract's service period: each calendar month or quarter of it, or
periods ending on named milestone dates. A period's report is due ``due_days`` days after the
period ends. Legal reading (民法典 arts. 201, 203): the days start the day after the period's
last day and end at 24:00 Asia/Shanghai of the last of them; a last day that is a rest day
moves to the next working day.

The schedule may change while no report exists of a period that would change: every period
already reported on must come out of the new schedule as it was (same number, same days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.service import ContractBrief, ContractStatus
from services.delivery import report_repository as repository
from services.delivery.report_errors import ContractNotSigned, ScheduleHasReports
from services.delivery.report_models import ReportPeriod, ReportSchedule
from services.delivery.report_schemas import PeriodOut, ScheduleIn, ScheduleKind, ScheduleOut
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound


@dataclass(frozen=True)
class Span:
    label: str
    starts_on: date
    ends_on: date


def due_at(ends_on: date, due_days: int) -> datetime:
    """24:00 Asia/Shanghai of the ``due_days``-th day after ``ends_on`` (a rest day moves to
    the next working day), in UTC."""
    return workdays.end_of_day(workdays.calendar_last_day(ends_on, due_days))


def _month_end(day: date) -> date:
    first_next = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _quarter_end(day: date) -> date:
    last_month = (day.month - 1) // 3 * 3 + 3
    return _month_end(date(day.year, last_month, 1))


def spans(data: ScheduleIn, start: date, end: date) -> list[Span]:
    """The periods of the schedule over the service period [start, end]."""
    found: list[Span] = []
    if data.kind is ScheduleKind.milestones:
        if not data.milestones:
            raise InvalidField("a milestone schedule names at least one date", field="milestones")
        since = start
        for index, milestone in enumerate(data.milestones):
            field = f"milestones[{index}].ends_on"
            if milestone.ends_on < since:
                raise InvalidField(
                    f"must be on or after {since} (the service period's start, then the day "
                    "after the previous milestone)",
                    field=field,
                )
            if milestone.ends_on > end:
                raise InvalidField(f"must be within the service period (to {end})", field=field)
            found.append(Span(milestone.label, since, milestone.ends_on))
            since = milestone.ends_on + timedelta(days=1)
        return found
    if data.milestones:
        raise InvalidField("only a milestone schedule names milestones", field="milestones")
    day = start
    while day <= end:
        if data.kind is ScheduleKind.monthly:
            last = min(_month_end(day), end)
            label = f"{day.year}年{day.month}月"
        else:
            last = min(_quarter_end(day), end)
            label = f"{day.year}年第{(day.month - 1) // 3 + 1}季度"
        found.append(Span(label, day, last))
        day = last + timedelta(days=1)
    return found


async def view(session: AsyncSession, contract: ContractBrief) -> ScheduleOut:
    schedule = await repository.schedule(session, contract.tenant, contract.id)
    if schedule is None:
        raise NotFound("The contract has no reporting schedule yet.")
    reported = {
        r.period_seq: r for r in await repository.reports(session, contract.tenant, contract.id)
    }
    return ScheduleOut(
        contract_id=contract.id,
        kind=ScheduleKind(schedule.kind),
        due_days=schedule.due_days,
        updated_at=schedule.updated_at,
        updated_by=schedule.updated_by,
        periods=[
            PeriodOut(
                seq=p.seq,
                label=p.label,
                starts_on=p.starts_on,
                ends_on=p.ends_on,
                due_at=p.due_at,
                report_id=reported[p.seq].id if p.seq in reported else None,
                report_status=reported[p.seq].status if p.seq in reported else None,
            )
            for p in await repository.periods(session, contract.tenant, contract.id)
        ],
    )


async def replace(
    session: AsyncSession, actor: Actor, contract: ContractBrief, data: ScheduleIn
) -> None:
    """Set (or change) the schedule; periods already reported on stay as they were."""
    if contract.status is not ContractStatus.signed:
        raise ContractNotSigned(f"The contract is {contract.status.value}; only a signed one.")
    if contract.period_start is None or contract.period_end is None:  # pragma: no cover
        raise ContractNotSigned("The contract has no service period.")
    new = spans(data, contract.period_start, contract.period_end)
    schedule = await repository.schedule(session, contract.tenant, contract.id, lock=True)
    old = {p.seq: p for p in await repository.periods(session, contract.tenant, contract.id)}
    reports = await repository.reports(session, contract.tenant, contract.id)
    for report in reports:
        kept = new[report.period_seq - 1] if report.period_seq <= len(new) else None
        was = old.get(report.period_seq)
        if (
            kept is None
            or was is None
            or (kept.starts_on, kept.ends_on) != (was.starts_on, was.ends_on)
        ):
            raise ScheduleHasReports(
                f"Period {report.period_seq} has a report: it must stay as it is "
                f"({was.starts_on if was else '?'} to {was.ends_on if was else '?'})."
            )
    assert actor.user_id is not None
    now = datetime.now(UTC)
    before = None
    if schedule is None:
        schedule = ReportSchedule(
            tenant_id=contract.tenant,
            contract_id=contract.id,
            provider_id=contract.provider_id,
            kind=data.kind.value,
            due_days=data.due_days,
            updated_at=now,
            updated_by=actor.user_id,
        )
        session.add(schedule)
    else:
        before = {"kind": schedule.kind, "due_days": schedule.due_days, "periods": len(old)}
        schedule.kind, schedule.due_days = data.kind.value, data.due_days
        schedule.updated_at, schedule.updated_by = now, actor.user_id
    await session.flush()
    await session.execute(
        delete(ReportPeriod).where(
            ReportPeriod.tenant_id == contract.tenant, ReportPeriod.contract_id == contract.id
        )
    )
    for gone in old.values():
        session.expunge(gone)  # the rows are deleted; their numbers are taken again below
    for seq, span in enumerate(new, start=1):
        was = old.get(seq)
        due = due_at(span.ends_on, data.due_days)
        # A warning already sent about the same period and due moment is not sent again.
        same = was is not None and (was.ends_on, was.due_at) == (span.ends_on, due)
        session.add(
            ReportPeriod(
                tenant_id=contract.tenant,
                contract_id=contract.id,
                seq=seq,
                label=span.label,
                starts_on=span.starts_on,
                ends_on=span.ends_on,
                due_at=due,
                warnings_sent=list(was.warnings_sent) if same and was else [],
            )
        )
    await session.flush()
    await record(
        session,
        actor,
        "report_schedule.set",
        "contract",
        contract.id,
        before=before,
        after={
            "kind": data.kind.value,
            "due_days": data.due_days,
            "periods": [[s.label, s.starts_on, s.ends_on] for s in new],
        },
    )
