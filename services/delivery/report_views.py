"""Progress reports as the API shows them: a contract's list (no body), one report in full."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.service import ContractBrief
from services.delivery import report_repository as repository
from services.delivery.report_models import Report, ReportPeriod
from services.delivery.report_schemas import (
    ActivityIn,
    CommentOut,
    FundsOut,
    HoursIn,
    ReportOut,
    ReportPeriodOut,
    ReportStatus,
    ReportSummaryOut,
    ServedIn,
    TargetProgressOut,
)
from services.planning import service as planning


def _period(p: ReportPeriod | None) -> ReportPeriodOut | None:
    if p is None:
        return None
    return ReportPeriodOut(
        seq=p.seq, label=p.label, starts_on=p.starts_on, ends_on=p.ends_on, due_at=p.due_at
    )


def summary(r: Report, period: ReportPeriod | None) -> ReportSummaryOut:
    return ReportSummaryOut(
        id=r.id,
        contract_id=r.contract_id,
        provider_id=r.provider_id,
        period=_period(period),
        status=ReportStatus(r.status),
        late=r.late,
        submissions=r.submissions,
        submitted_at=r.submitted_at,
        reviewed_at=r.reviewed_at,
    )


async def of_contract(
    session: AsyncSession, contract: ContractBrief, *, government: bool
) -> list[ReportSummaryOut]:
    """The contract's reports by period; government users see those submitted at least once."""
    periods = {p.seq: p for p in await repository.periods(session, contract.tenant, contract.id)}
    return [
        summary(r, periods.get(r.period_seq))
        for r in await repository.reports(session, contract.tenant, contract.id)
        if not government or r.submissions > 0
    ]


async def full(session: AsyncSession, contract: ContractBrief, r: Report) -> ReportOut:
    content = r.content
    period = await repository.period(session, r.tenant_id, r.contract_id, r.period_seq)
    lines = {
        c.line_no: c.description
        for c in await planning.cost_lines(session, contract.tenant, contract.project_id)
    }
    targets = contract.targets
    return ReportOut(
        id=r.id,
        contract_id=r.contract_id,
        provider_id=r.provider_id,
        period=_period(period),
        status=ReportStatus(r.status),
        late=r.late,
        submissions=r.submissions,
        activities=msgspec.convert(content.get("activities", []), list[ActivityIn]),
        served=msgspec.convert(content.get("served", []), list[ServedIn]),
        hours=msgspec.convert(content.get("hours", []), list[HoursIn]),
        progress=[
            TargetProgressOut(
                target_index=p["target_index"],
                target_name=(
                    targets[p["target_index"] - 1].get("name")
                    if p["target_index"] <= len(targets)
                    else None
                ),
                actual_value=p["actual_value"],
                note=p.get("note"),
            )
            for p in content.get("progress", [])
        ],
        funds=[
            FundsOut(
                cost_line_no=f["cost_line_no"],
                description=lines.get(f["cost_line_no"]),
                spent=f["spent"],
                note=f.get("note"),
            )
            for f in content.get("funds", [])
        ],
        problems=content.get("problems"),
        created_at=r.created_at,
        created_by=r.created_by,
        updated_at=r.updated_at,
        submitted_at=r.submitted_at,
        submitted_by=r.submitted_by,
        reviewed_at=r.reviewed_at,
        reviewed_by=r.reviewed_by,
        comments=[
            CommentOut(
                id=c.id, kind=c.kind, body=c.body, author_id=c.author_id, created_at=c.created_at
            )
            for c in await repository.comments(session, r)
        ],
    )
