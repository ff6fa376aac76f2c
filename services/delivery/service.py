"""What other contexts use of delivery (the archive): plain records of a contract's delivery.
Each step keeps its own block; other contexts import this module only, and nothing here
commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import inspections as _inspections
from services.delivery import rectifications as _rectifications
from services.delivery import report_repository
from services.delivery.acceptance_models import (
    Acceptance,
    AcceptanceMember,
    AcceptanceOpinion,
    AcceptanceSignature,
)
from services.delivery.evaluation_models import Evaluation

__all__ = [
    "AcceptanceBrief",
    "AcceptanceRecord",
    "AcceptanceSignatureRecord",
    "EvaluationBrief",
    "EvaluationRecord",
    "FindingRecord",
    "InspectionRecord",
    "PanelMemberRecord",
    "RectificationRecord",
    "RectificationStep",
    "ReportBrief",
    "ReportPeriodRecord",
    "ReportScheduleRecord",
    "acceptance_records_of_contract",
    "acceptances_of_contract",
    "evaluation_records_of_contract",
    "evaluations_of_contract",
    "inspections_of_contract",
    "rectifications_of_contract",
    "report_schedule_of_contract",
    "reports_of_contract",
]

# --- inspections and rectification ------------------------------------------------------------


@dataclass(frozen=True)
class FindingRecord:
    seq: int
    text: str
    severity: str  # minor | major | serious
    rectification_id: uuid.UUID | None


@dataclass(frozen=True)
class InspectionRecord:
    """An inspection as recorded, notes included: the archive is a government file."""

    id: uuid.UUID
    contract_id: uuid.UUID
    bureau: str  # civil_affairs | finance
    manner: str  # announced (明查) | unannounced (暗访)
    inspected_on: date
    place: str
    inspectors: list[str]
    scope: list[str]
    notes: str | None
    recorded_by: uuid.UUID | None
    recorded_at: datetime
    findings: list[FindingRecord]


@dataclass(frozen=True)
class RectificationStep:
    seq: int
    kind: str  # answer | reopen | close
    text: str
    user_id: uuid.UUID | None
    at: datetime
    # [{document_id, version, sha256}] the provider showed with an answer.
    documents: list[dict[str, Any]]


@dataclass(frozen=True)
class RectificationRecord:
    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    source_kind: str  # inspection | acceptance
    source_id: uuid.UUID
    finding: str
    required_action: str
    due_on: date
    due_at: datetime
    status: str  # open | answered | closed
    reopened: int
    ordered_by: uuid.UUID | None
    ordered_at: datetime
    closed_at: datetime | None
    closed_by: uuid.UUID | None
    close_note: str | None
    steps: list[RectificationStep]


async def inspections_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[InspectionRecord]:
    """The contract's inspections with their findings, oldest first."""
    rows = await _inspections.of_contract(session, tenant, contract_id)
    found = await _inspections.findings(session, tenant, [i.id for i in rows])
    return [
        InspectionRecord(
            id=i.id,
            contract_id=i.contract_id,
            bureau=i.bureau,
            manner=i.manner,
            inspected_on=i.inspected_on,
            place=i.place,
            inspectors=list(i.inspectors),
            scope=list(i.scope),
            notes=i.notes,
            recorded_by=i.recorded_by,
            recorded_at=i.recorded_at,
            findings=[
                FindingRecord(f.seq, f.text, f.severity, f.rectification_id) for f in found[i.id]
            ],
        )
        for i in rows
    ]


async def rectifications_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[RectificationRecord]:
    """The contract's rectifications (from inspections and acceptances) with every answer,
    reopening and closing, oldest first."""
    records = []
    for r in await _rectifications.of_contract(session, tenant, contract_id):
        steps = [
            RectificationStep(e.seq, e.kind, e.text, e.user_id, e.at, list(e.documents or []))
            for e in await _rectifications.entries(session, r)
        ]
        records.append(
            RectificationRecord(
                id=r.id,
                contract_id=r.contract_id,
                provider_id=r.provider_id,
                source_kind=r.source_kind,
                source_id=r.source_id,
                finding=r.finding,
                required_action=r.required_action,
                due_on=r.due_on,
                due_at=r.due_at,
                status=r.status,
                reopened=r.reopened,
                ordered_by=r.ordered_by,
                ordered_at=r.ordered_at,
                closed_at=r.closed_at,
                closed_by=r.closed_by,
                close_note=r.close_note,
                steps=steps,
            )
        )
    return records


# --- third-party evaluation --------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationBrief:
    """An evaluation as the project's file records it."""

    id: uuid.UUID
    contract_id: uuid.UUID
    evaluator_id: uuid.UUID
    kind: str
    status: str
    total: str | None
    grade: str | None
    report_document_id: uuid.UUID | None
    confirmed_at: datetime | None


async def evaluations_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[EvaluationBrief]:
    """Every evaluation of the contract, oldest first (the final one, then its follow-up)."""
    rows = await session.scalars(
        select(Evaluation)
        .where(Evaluation.tenant_id == tenant, Evaluation.contract_id == contract_id)
        .order_by(Evaluation.created_at, Evaluation.id)
    )
    return [
        EvaluationBrief(
            id=e.id,
            contract_id=e.contract_id,
            evaluator_id=e.evaluator_id,
            kind=e.kind,
            status=e.status,
            total=f"{e.total:f}" if e.total is not None else None,
            grade=e.grade,
            report_document_id=e.report_document_id,
            confirmed_at=e.confirmed_at,
        )
        for e in rows
    ]


# --- progress reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportBrief:
    """A progress report as the project's file keeps it: its period, its state, its body
    (counts and sums, never names) and the comments on it."""

    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    period_seq: int
    period_label: str | None
    period_starts_on: date | None
    period_ends_on: date | None
    due_at: datetime | None
    status: str
    late: bool
    submissions: int
    submitted_at: datetime | None
    reviewed_at: datetime | None
    content: dict[str, Any]
    # [{"kind", "body", "author_id", "created_at"}, …], oldest first.
    comments: list[dict[str, Any]]


async def reports_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[ReportBrief]:
    """The contract's reports by period, drafts included (the caller decides what to keep)."""
    periods = {p.seq: p for p in await report_repository.periods(session, tenant, contract_id)}
    found: list[ReportBrief] = []
    for r in await report_repository.reports(session, tenant, contract_id):
        p = periods.get(r.period_seq)
        found.append(
            ReportBrief(
                id=r.id,
                contract_id=r.contract_id,
                provider_id=r.provider_id,
                period_seq=r.period_seq,
                period_label=p.label if p else None,
                period_starts_on=p.starts_on if p else None,
                period_ends_on=p.ends_on if p else None,
                due_at=p.due_at if p else None,
                status=r.status,
                late=r.late,
                submissions=r.submissions,
                submitted_at=r.submitted_at,
                reviewed_at=r.reviewed_at,
                content=dict(r.content),
                comments=[
                    {
                        "kind": c.kind,
                        "body": c.body,
                        "author_id": c.author_id,
                        "created_at": c.created_at,
                    }
                    for c in await report_repository.comments(session, r)
                ],
            )
        )
    return found


# --- acceptance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptanceBrief:
    """One acceptance round of a contract, as the archive and the credit record see it."""

    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    round: int
    status: str  # open | concluded | published
    planned_on: date
    result: str | None  # pass | fail, once concluded
    signed_at: datetime | None  # both sides signed the report; published then
    signed_sha256: str | None
    notice_id: uuid.UUID | None
    breach_liability: str | None  # a re-acceptance failed: what the contract says


async def acceptances_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[AcceptanceBrief]:
    """The contract's acceptance rounds, first first."""
    rows = await session.scalars(
        select(Acceptance)
        .where(Acceptance.tenant_id == tenant, Acceptance.contract_id == contract_id)
        .order_by(Acceptance.round)
    )
    return [
        AcceptanceBrief(
            id=a.id,
            contract_id=a.contract_id,
            provider_id=a.provider_id,
            round=a.round,
            status=a.status,
            planned_on=a.planned_on,
            result=a.result,
            signed_at=a.signed_at,
            signed_sha256=a.signed_sha256,
            notice_id=a.notice_id,
            breach_liability=a.breach_liability,
        )
        for a in rows
    ]


# --- the project's file (archive): what the briefs above leave out ------------------------------


@dataclass(frozen=True)
class ReportPeriodRecord:
    seq: int
    label: str
    starts_on: date
    ends_on: date
    due_at: datetime


@dataclass(frozen=True)
class ReportScheduleRecord:
    """The reporting schedule civil affairs set on a contract, and its periods."""

    contract_id: uuid.UUID
    kind: str  # monthly | quarterly | milestones
    due_days: int
    updated_at: datetime
    updated_by: uuid.UUID
    periods: list[ReportPeriodRecord]


async def report_schedule_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> ReportScheduleRecord | None:
    """The contract's reporting schedule with its periods; None before one is set."""
    found = await report_repository.schedule(session, tenant, contract_id)
    if found is None:
        return None
    return ReportScheduleRecord(
        contract_id=found.contract_id,
        kind=found.kind,
        due_days=found.due_days,
        updated_at=found.updated_at,
        updated_by=found.updated_by,
        periods=[
            ReportPeriodRecord(p.seq, p.label, p.starts_on, p.ends_on, p.due_at)
            for p in await report_repository.periods(session, tenant, contract_id)
        ],
    )


@dataclass(frozen=True)
class PanelMemberRecord:
    """A member of an acceptance panel and the opinion they recorded (None: none yet). The
    name is the buyer's record: it goes to the restricted government file, never published."""

    user_id: uuid.UUID
    kind: str  # buyer | recipient | third_party
    display_name: str
    added_by: uuid.UUID | None
    added_at: datetime
    opinion: str | None
    # [{"seq", "passed", "score", "comment"}, …], one per standard.
    scores: list[dict[str, Any]]
    recorded_at: datetime | None


@dataclass(frozen=True)
class AcceptanceSignatureRecord:
    party: str  # buyer | provider
    user_id: uuid.UUID
    document_id: uuid.UUID
    version: int
    sha256: str
    signed_at: datetime


@dataclass(frozen=True)
class AcceptanceRecord:
    """One acceptance round in full: the plan and its standards, the panel with each
    member's opinion, the conclusion and the signatures of the report."""

    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    round: int
    status: str
    method: str
    planned_on: date
    # [{"seq", "name", "indicator", "value", "source"}, …]
    standards: list[dict[str, Any]]
    created_by: uuid.UUID | None
    created_at: datetime
    result: str | None
    # [{"seq", "passed", "reason"}, …], once concluded.
    findings: list[dict[str, Any]] | None
    summary: str | None
    rectify_within_days: int | None
    concluded_at: datetime | None
    concluded_by: uuid.UUID | None
    signed_document_id: uuid.UUID | None
    signed_version: int | None
    signed_sha256: str | None
    signed_at: datetime | None
    notice_id: uuid.UUID | None
    breach_liability: str | None
    panel: list[PanelMemberRecord]
    signatures: list[AcceptanceSignatureRecord]


async def acceptance_records_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[AcceptanceRecord]:
    """The contract's acceptance rounds in full, first first."""
    rows = await session.scalars(
        select(Acceptance)
        .where(Acceptance.tenant_id == tenant, Acceptance.contract_id == contract_id)
        .order_by(Acceptance.round)
    )
    found: list[AcceptanceRecord] = []
    for a in rows.all():
        members = await session.scalars(
            select(AcceptanceMember)
            .where(AcceptanceMember.tenant_id == tenant, AcceptanceMember.acceptance_id == a.id)
            .order_by(AcceptanceMember.added_at, AcceptanceMember.user_id)
        )
        opinions = {
            o.user_id: o
            for o in await session.scalars(
                select(AcceptanceOpinion).where(
                    AcceptanceOpinion.tenant_id == tenant, AcceptanceOpinion.acceptance_id == a.id
                )
            )
        }
        signatures = await session.scalars(
            select(AcceptanceSignature)
            .where(
                AcceptanceSignature.tenant_id == tenant, AcceptanceSignature.acceptance_id == a.id
            )
            .order_by(AcceptanceSignature.signed_at, AcceptanceSignature.id)
        )
        panel = []
        for m in members.all():
            said = opinions.get(m.user_id)
            panel.append(
                PanelMemberRecord(
                    user_id=m.user_id,
                    kind=m.kind,
                    display_name=m.display_name,
                    added_by=m.added_by,
                    added_at=m.added_at,
                    opinion=said.opinion if said else None,
                    scores=list(said.scores) if said else [],
                    recorded_at=said.recorded_at if said else None,
                )
            )
        found.append(
            AcceptanceRecord(
                id=a.id,
                contract_id=a.contract_id,
                provider_id=a.provider_id,
                round=a.round,
                status=a.status,
                method=a.method,
                planned_on=a.planned_on,
                standards=list(a.standards),
                created_by=a.created_by,
                created_at=a.created_at,
                result=a.result,
                findings=list(a.findings) if a.findings is not None else None,
                summary=a.summary,
                rectify_within_days=a.rectify_within_days,
                concluded_at=a.concluded_at,
                concluded_by=a.concluded_by,
                signed_document_id=a.signed_document_id,
                signed_version=a.signed_version,
                signed_sha256=a.signed_sha256,
                signed_at=a.signed_at,
                notice_id=a.notice_id,
                breach_liability=a.breach_liability,
                panel=panel,
                signatures=[
                    AcceptanceSignatureRecord(
                        s.party, s.user_id, s.document_id, s.version, s.sha256, s.signed_at
                    )
                    for s in signatures.all()
                ],
            )
        )
    return found


@dataclass(frozen=True)
class EvaluationRecord:
    """An evaluation in full: the engagement, each dimension's points, the total and grade,
    the evaluator's comments and who submitted and confirmed it."""

    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    evaluator_id: uuid.UUID
    kind: str
    parent_id: uuid.UUID | None
    follow_up_months: int | None
    follow_up_due_at: datetime | None
    follow_up_opened_at: datetime | None
    status: str
    # Dimension → points, as exact decimal strings.
    scores: dict[str, Any]
    total: str | None
    grade: str | None
    comments: str | None
    report_document_id: uuid.UUID | None
    return_note: str | None
    engaged_by: uuid.UUID | None
    created_at: datetime
    submitted_by: uuid.UUID | None
    submitted_at: datetime | None
    confirmed_by: uuid.UUID | None
    confirmed_at: datetime | None


async def evaluation_records_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[EvaluationRecord]:
    """Every evaluation of the contract in full, oldest first."""
    rows = await session.scalars(
        select(Evaluation)
        .where(Evaluation.tenant_id == tenant, Evaluation.contract_id == contract_id)
        .order_by(Evaluation.created_at, Evaluation.id)
    )
    return [
        EvaluationRecord(
            id=e.id,
            contract_id=e.contract_id,
            provider_id=e.provider_id,
            evaluator_id=e.evaluator_id,
            kind=e.kind,
            parent_id=e.parent_id,
            follow_up_months=e.follow_up_months,
            follow_up_due_at=e.follow_up_due_at,
            follow_up_opened_at=e.follow_up_opened_at,
            status=e.status,
            scores=dict(e.scores or {}),
            total=f"{e.total:f}" if e.total is not None else None,
            grade=e.grade,
            comments=e.comments,
            report_document_id=e.report_document_id,
            return_note=e.return_note,
            engaged_by=e.engaged_by,
            created_at=e.created_at,
            submitted_by=e.submitted_by,
            submitted_at=e.submitted_at,
            confirmed_by=e.confirmed_by,
            confirmed_at=e.confirmed_at,
        )
        for e in rows
    ]
