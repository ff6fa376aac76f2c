"""Progress reports (服务进度报告): the provider drafts its report on one period of the
schedule, its administrator submits it, civil affairs accepts it or returns it with comments,
and a returned report is revised and submitted again. The partner department whose
declaration the project answers may remark on a submitted report.

A report submitted after its period's due moment is taken, and marked late. Drafts are the
provider's own: government users see a report once it has been submitted. Each read of a
report's full body by a government user is recorded in the audit chain (``report.read``):
reports describe vulnerable people, in counts only, but by group and place.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.service import ContractBrief, ContractStatus
from services.delivery import report_events, report_telling
from services.delivery import report_repository as repository
from services.delivery.report_errors import (
    ContractNotSigned,
    NoSchedule,
    ReportExists,
    WrongReportState,
)
from services.delivery.report_models import Report, ReportComment, ReportPeriod
from services.delivery.report_schemas import (
    AcceptIn,
    ReportContent,
    ReportIn,
    ReportStatus,
    ReviewIn,
)
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.planning import service as planning

S = ReportStatus
TRANSITIONS: dict[S, frozenset[S]] = {
    S.draft: frozenset({S.submitted}),
    S.submitted: frozenset({S.accepted, S.returned}),
    S.returned: frozenset({S.submitted}),
    S.accepted: frozenset(),
}
EDITABLE = frozenset({S.draft, S.returned})


@dataclass(frozen=True)
class Reader:
    """Whom a request reads for: a provider (its own contracts), a partner department (the
    projects its declarations fed: ``projects``) or civil affairs and finance (all)."""

    actor: Actor
    projects: Sequence[uuid.UUID] | None = None

    @property
    def government(self) -> bool:
        return self.actor.provider_id is None


def _move(report: Report, to: S) -> None:
    if to not in TRANSITIONS[S(report.status)]:
        raise WrongReportState(f"A {report.status} report cannot become {to.value}.")
    report.status = to.value


async def reachable(
    session: AsyncSession, reader: Reader, report_id: uuid.UUID, *, lock: bool = False
) -> tuple[ContractBrief, Report]:
    """The report and its contract as the reader may reach them; else 404."""
    actor = reader.actor
    found = await repository.report(
        session, actor.tenant, report_id, provider_id=actor.provider_id, lock=lock
    )
    # A draft is the provider's own until it is submitted.
    if found is None or (reader.government and found.submissions == 0):
        raise NotFound("No such report.")
    try:
        contract = await repository.contract_for(session, actor, found.contract_id, reader.projects)
    except NotFound:
        raise NotFound("No such report.") from None
    return contract, found


def _within(code: str, tenant: str) -> bool:
    """A division code inside the region: 440106 is in 440100 (广州) and in 440000 (广东)."""
    prefix = tenant
    while prefix.endswith("00"):
        prefix = prefix[:-2]
    return code.startswith(prefix) and code != tenant


async def _checked(
    session: AsyncSession, contract: ContractBrief, period: ReportPeriod, content: ReportContent
) -> dict[str, Any]:
    """The content as stored, each entry checked against the contract, its project's cost
    lines and the period; 422 naming the first wrong field."""
    for i, activity in enumerate(content.activities):
        if not period.starts_on <= activity.held_on <= period.ends_on:
            raise InvalidField(
                f"must fall within the period ({period.starts_on} to {period.ends_on})",
                field=f"content.activities[{i}].held_on",
            )
    groups = set(contract.target_groups)
    seen_places: set[tuple[str, str, str | None]] = set()
    for i, served in enumerate(content.served):
        if served.target_group not in groups:
            raise InvalidField(
                f"must be one of the contract's target groups: {', '.join(sorted(groups))}",
                field=f"content.served[{i}].target_group",
            )
        if not _within(served.county_code, contract.tenant):
            raise InvalidField(
                f"must be a county of region {contract.tenant}",
                field=f"content.served[{i}].county_code",
            )
        place = (served.target_group, served.county_code, served.street)
        if place in seen_places:
            raise InvalidField(
                "the same group and place is counted once", field=f"content.served[{i}]"
            )
        seen_places.add(place)
    levels = [h.staff_level for h in content.hours]
    for i, level in enumerate(levels):
        if level in levels[:i]:
            raise InvalidField(
                "each staff level is given once", field=f"content.hours[{i}].staff_level"
            )
    indexes = [p.target_index for p in content.progress]
    for i, index in enumerate(indexes):
        if index > len(contract.targets):
            raise InvalidField(
                f"the contract has {len(contract.targets)} targets",
                field=f"content.progress[{i}].target_index",
            )
        if index in indexes[:i]:
            raise InvalidField(
                "each target is reported once", field=f"content.progress[{i}].target_index"
            )
    lines = {
        c.line_no for c in await planning.cost_lines(session, contract.tenant, contract.project_id)
    }
    numbers = [f.cost_line_no for f in content.funds]
    for i, number in enumerate(numbers):
        if number not in lines:
            raise InvalidField(
                "no such line in the project's cost accounting",
                field=f"content.funds[{i}].cost_line_no",
            )
        if number in numbers[:i]:
            raise InvalidField(
                "each cost line is reported once", field=f"content.funds[{i}].cost_line_no"
            )
    stored: dict[str, Any] = msgspec.to_builtins(content)
    return stored


async def _period(
    session: AsyncSession, contract: ContractBrief, seq: int, *, lock: bool = False
) -> ReportPeriod:
    if await repository.schedule(session, contract.tenant, contract.id) is None:
        raise NoSchedule("Civil affairs has not set the contract's reporting schedule yet.")
    found = await repository.period(session, contract.tenant, contract.id, seq, lock=lock)
    if found is None:
        raise InvalidField("the schedule has no such period", field="period_seq")
    return found


async def draft(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: ReportIn
) -> tuple[ContractBrief, Report]:
    """The provider drafts its report on one period; one report per period."""
    contract = await repository.contract_for(session, actor, contract_id)
    if actor.provider_id is None:  # pragma: no cover - the policy lets only providers write
        raise NotFound("No such contract.")
    if contract.status is not ContractStatus.signed:
        raise ContractNotSigned(f"The contract is {contract.status.value}; only a signed one.")
    period = await _period(session, contract, data.period_seq, lock=True)
    existing = [
        r
        for r in await repository.reports(session, contract.tenant, contract.id)
        if r.period_seq == period.seq
    ]
    if existing:
        raise ReportExists(f"Period {period.seq} has report {existing[0].id} already.")
    content = await _checked(session, contract, period, data.content)
    assert actor.user_id is not None
    now = datetime.now(UTC)
    made = Report(
        tenant_id=contract.tenant,
        id=uuid.uuid4(),
        contract_id=contract.id,
        period_seq=period.seq,
        provider_id=contract.provider_id,
        status=S.draft.value,
        content=content,
        late=False,
        submissions=0,
        created_at=now,
        created_by=actor.user_id,
        updated_at=now,
        updated_by=actor.user_id,
    )
    session.add(made)
    await session.flush()
    await record(
        session,
        actor,
        "report.drafted",
        "report",
        made.id,
        after={"contract_id": contract.id, "period_seq": period.seq},
    )
    return contract, made


async def revise(
    session: AsyncSession, actor: Actor, report_id: uuid.UUID, content: ReportContent
) -> tuple[ContractBrief, Report]:
    """The provider revises a draft or a returned report."""
    contract, report = await reachable(session, Reader(actor), report_id, lock=True)
    if S(report.status) not in EDITABLE:
        raise WrongReportState(f"A {report.status} report is not edited.")
    period = await _period(session, contract, report.period_seq)
    report.content = await _checked(session, contract, period, content)
    assert actor.user_id is not None
    report.updated_at, report.updated_by = datetime.now(UTC), actor.user_id
    await session.flush()
    await record(
        session, actor, "report.revised", "report", report.id, after={"status": report.status}
    )
    return contract, report


async def submit(
    session: AsyncSession, actor: Actor, report_id: uuid.UUID
) -> tuple[ContractBrief, Report]:
    """The provider's administrator submits (or, once returned, resubmits); after the due
    moment it is taken and marked late."""
    contract, report = await reachable(session, Reader(actor), report_id, lock=True)
    period = await _period(session, contract, report.period_seq)
    before = {"status": report.status}
    _move(report, S.submitted)
    now = datetime.now(UTC)
    if report.submissions == 0:
        report.late = now > period.due_at
    report.submissions += 1
    report.submitted_at, report.submitted_by = now, actor.user_id
    report.reviewed_at = report.reviewed_by = None
    await session.flush()
    await record(
        session,
        actor,
        "report.submitted",
        "report",
        report.id,
        before=before,
        after={"status": report.status, "late": report.late, "submissions": report.submissions},
    )
    await report_telling.tell(
        session,
        actor,
        contract,
        report_events.REPORT_SUBMITTED,
        period=period.label,
        due_at=period.due_at,
        roles=report_telling.CIVIL_AFFAIRS,
        extra={"report_id": report.id, "late": report.late},
    )
    return contract, report


async def review(
    session: AsyncSession,
    actor: Actor,
    report_id: uuid.UUID,
    to: S,
    data: AcceptIn | ReviewIn,
) -> tuple[ContractBrief, Report]:
    """Civil affairs accepts a submitted report, or returns it with its comments."""
    contract, report = await reachable(session, Reader(actor), report_id, lock=True)
    before = {"status": report.status}
    _move(report, to)
    assert actor.user_id is not None
    now = datetime.now(UTC)
    report.reviewed_at, report.reviewed_by = now, actor.user_id
    if data.comment:
        session.add(
            ReportComment(
                tenant_id=report.tenant_id,
                id=uuid.uuid4(),
                report_id=report.id,
                kind=to.value,
                body=data.comment,
                author_id=actor.user_id,
                created_at=now,
            )
        )
    await session.flush()
    await record(
        session,
        actor,
        f"report.{to.value}",
        "report",
        report.id,
        before=before,
        after={"status": report.status, "comment": data.comment},
    )
    period = await _period(session, contract, report.period_seq)
    await report_telling.tell(
        session,
        actor,
        contract,
        report_events.REPORT_REVIEWED,
        period=period.label,
        due_at=period.due_at,
        provider=True,
        extra={
            "report_id": report.id,
            "outcome": to.value,
            "outcome_zh": "已通过" if to is S.accepted else "被退回，请补正后重新提交",
            "comment": data.comment or "无",
        },
    )
    return contract, report


async def remark(
    session: AsyncSession, reader: Reader, report_id: uuid.UUID, data: ReviewIn
) -> tuple[ContractBrief, Report]:
    """A remark on a submitted report, by the partner department or civil affairs; it does
    not move the report."""
    contract, report = await reachable(session, reader, report_id, lock=True)
    actor = reader.actor
    assert actor.user_id is not None
    made = ReportComment(
        tenant_id=report.tenant_id,
        id=uuid.uuid4(),
        report_id=report.id,
        kind="remark",
        body=data.comment,
        author_id=actor.user_id,
        created_at=datetime.now(UTC),
    )
    session.add(made)
    await session.flush()
    await record(
        session, actor, "report.commented", "report", report.id, after={"comment_id": made.id}
    )
    return contract, report


async def read(
    session: AsyncSession, reader: Reader, report_id: uuid.UUID
) -> tuple[ContractBrief, Report]:
    """The report's full body; a government user's read goes into the audit chain."""
    contract, report = await reachable(session, reader, report_id)
    if reader.government:
        await record(
            session,
            reader.actor,
            "report.read",
            "report",
            report.id,
            after={"contract_id": report.contract_id, "period_seq": report.period_seq},
        )
    return contract, report
