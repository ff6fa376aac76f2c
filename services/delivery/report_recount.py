"""Progress reports' due dates counted again once a year's holidays are entered (the recount
job of ``tenancy.holidays`` calls :func:`recount_year` in each region).

A period's ``due_at`` is computed, never typed: 24:00 of the schedule's ``due_days``-th day
after the period ends, moved off a rest day (``report_schedule.due_at``). A period not yet
reported whose due date is still what that rule gave before the entry moves to what it gives
now (``kit.recount``); the provider, who reports, is told, and the move is audited. Payment
due dates are contracts' (``services.contracts.calendar``).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.contracts.service import ContractStatus
from services.delivery import report_events, report_telling
from services.delivery import report_repository as repository
from services.delivery.report_models import ReportSchedule
from services.delivery.report_schedule import due_at
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.recount import changes_text, recounted
from services.tenancy import service as tenancy


async def recount_year(
    session: AsyncSession, actor: Actor, year: int, previous: workdays.YearArrangement | None
) -> None:
    schedules = await session.scalars(
        select(ReportSchedule)
        .where(ReportSchedule.tenant_id == actor.tenant)
        .order_by(ReportSchedule.contract_id)
    )
    for schedule in list(schedules):
        contract = await contracts.contract_brief(session, actor.tenant, schedule.contract_id)
        if contract is None or contract.status is not ContractStatus.signed:
            continue
        reported = {
            r.period_seq
            for r in await repository.reports(session, actor.tenant, schedule.contract_id)
            if r.submissions > 0
        }
        for period in await repository.periods(session, actor.tenant, schedule.contract_id):
            if period.seq in reported:
                continue
            stored = period.due_at
            rule = partial(due_at, period.ends_on, schedule.due_days)
            now = recounted(stored, rule, year, previous)
            if now is None:
                continue
            period.due_at = now
            await session.flush()
            await _tell(session, actor, contract, period.label, period.seq, year, stored, now)


async def _tell(
    session: AsyncSession,
    actor: Actor,
    contract: contracts.ContractBrief,
    label: str,
    seq: int,
    year: int,
    was: datetime,
    now: datetime,
) -> None:
    await record(
        session,
        actor,
        "report_period.due_recomputed",
        "contract",
        contract.id,
        before={"year": year, "seq": seq, "due_at": was},
        after={"year": year, "seq": seq, "due_at": now},
    )
    await report_telling.tell(
        session,
        actor,
        contract,
        report_events.REPORT_DUE_MOVED,
        period=label,
        due_at=now,
        provider=True,
        extra={"year": year, "changes": changes_text({"due_at": (was, now)})},
    )


tenancy.register_calendar_listener(recount_year)
