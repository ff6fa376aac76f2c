"""Response bodies built from rows: money as strings, linked ids gathered in one query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import NotFound
from services.kit.money import ZERO, text
from services.planning import declarations as declaration_service
from services.planning import projects as project_service
from services.planning import repository
from services.planning.models import (
    Budget,
    Commitment,
    CostLine,
    DeclarationVersion,
    NeedsAssessment,
    NeedsDeclaration,
    Project,
    ServiceTarget,
)
from services.planning.schemas import (
    AssessmentOut,
    BudgetOut,
    BudgetStatus,
    CommitmentOut,
    CommitmentPurpose,
    CostCategory,
    CostLineOut,
    DeclarationOut,
    DeclarationStatus,
    DeclarationVersionOut,
    EvaluationGrade,
    FundingSource,
    LineDetail,
    LineOut,
    ProgrammeArea,
    ProjectDetail,
    ProjectOrigin,
    ProjectOut,
    ProjectStatus,
    SourceOut,
    StaffLevel,
    TargetDimension,
    TargetGroup,
    TargetOut,
)


def version_out(v: DeclarationVersion) -> DeclarationVersionOut:
    return DeclarationVersionOut(
        version=v.version,
        title=v.title,
        programme_area=ProgrammeArea(v.programme_area),
        target_groups=[TargetGroup(g) for g in v.target_groups],
        county_code=v.county_code,
        street=v.street,
        estimated_beneficiaries=v.estimated_beneficiaries,
        requested_amount=text(v.requested_amount),
        justification=v.justification,
        created_at=v.created_at,
        submitted_at=v.submitted_at,
        decision=v.decision,
        decision_comment=v.decision_comment,
        decided_at=v.decided_at,
    )


def _declaration_out(
    d: NeedsDeclaration,
    current: DeclarationVersion,
    project_id: uuid.UUID | None,
    versions: Sequence[DeclarationVersion] | None = None,
) -> DeclarationOut:
    return DeclarationOut(
        id=d.id,
        tenant_id=d.tenant_id,
        organisation_id=d.organisation_id,
        fiscal_year=d.fiscal_year,
        status=DeclarationStatus(d.status),
        version=d.version,
        current=version_out(current),
        created_by=d.created_by,
        created_at=d.created_at,
        updated_at=d.updated_at,
        project_id=project_id,
        versions=[version_out(v) for v in versions] if versions is not None else None,
    )


async def declaration(
    session: AsyncSession, d: NeedsDeclaration, with_versions: bool = False
) -> DeclarationOut:
    await session.refresh(d)
    current = await declaration_service.current_version(session, d)
    await session.refresh(current)
    linked = await repository.projects_of_declarations(session, d.tenant_id, [d.id])
    versions = await declaration_service.versions(session, d) if with_versions else None
    return _declaration_out(d, current, linked.get(d.id), versions)


async def declarations(
    session: AsyncSession, rows: list[tuple[NeedsDeclaration, DeclarationVersion]]
) -> list[DeclarationOut]:
    if not rows:
        return []
    linked = await repository.projects_of_declarations(
        session, rows[0][0].tenant_id, [d.id for d, _ in rows]
    )
    return [_declaration_out(d, v, linked.get(d.id)) for d, v in rows]


def _project_fields(p: Project, links: list[tuple[uuid.UUID, uuid.UUID]]) -> dict[str, Any]:
    return {
        "id": p.id,
        "tenant_id": p.tenant_id,
        "fiscal_year": p.fiscal_year,
        "title": p.title,
        "programme_area": ProgrammeArea(p.programme_area),
        "target_groups": [TargetGroup(g) for g in p.target_groups],
        "county_code": p.county_code,
        "street": p.street,
        "estimated_beneficiaries": p.estimated_beneficiaries,
        "rationale": p.rationale,
        "service_months": p.service_months,
        "status": ProjectStatus(p.status),
        "origin": ProjectOrigin(p.origin),
        "estimated_amount": text(p.estimated_amount),
        "withdrawn_reason": p.withdrawn_reason,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "declaration_ids": [declaration_id for declaration_id, _ in links],
        "organisation_ids": list(dict.fromkeys(org for _, org in links)),
        "evaluation_grade": EvaluationGrade(p.evaluation_grade) if p.evaluation_grade else None,
        "evaluation_graded_on": p.evaluation_graded_on,
        "evaluation_id": p.evaluation_id,
    }


async def projects(session: AsyncSession, tenant: str, rows: Sequence[Project]) -> list[ProjectOut]:
    links = await repository.declarations_of_projects(session, tenant, [p.id for p in rows])
    return [ProjectOut(**_project_fields(p, links.get(p.id, []))) for p in rows]


def assessment(a: NeedsAssessment) -> AssessmentOut:
    return AssessmentOut(
        id=a.id,
        project_id=a.project_id,
        survey_method=a.survey_method,
        survey_period=a.survey_period,
        sample_size=a.sample_size,
        findings=a.findings,
        conclusion=a.conclusion,
        assessed_by=a.assessed_by,
        assessed_at=a.assessed_at,
    )


def cost_line(c: CostLine) -> CostLineOut:
    return CostLineOut(
        line_no=c.line_no,
        category=CostCategory(c.category),
        description=c.description,
        staff_level=StaffLevel(c.staff_level) if c.staff_level else None,
        quantity=text(c.quantity),
        unit=c.unit,
        unit_cost=text(c.unit_cost),
        amount=text(c.amount),
    )


def target(t: ServiceTarget) -> TargetOut:
    return TargetOut(
        line_no=t.line_no,
        dimension=TargetDimension(t.dimension),
        name=t.name,
        unit=t.unit,
        target_value=text(t.target_value),
    )


async def project_detail(session: AsyncSession, p: Project) -> ProjectDetail:
    await session.refresh(p)
    links = await repository.declarations_of_projects(session, p.tenant_id, [p.id])
    found = await project_service.assessment_of(session, p.tenant_id, p.id)
    return ProjectDetail(
        **_project_fields(p, links.get(p.id, [])),
        assessment=assessment(found) if found else None,
        cost_lines=[
            cost_line(c) for c in await project_service.cost_lines(session, p.tenant_id, p.id)
        ],
        targets=[target(t) for t in await project_service.targets(session, p.tenant_id, p.id)],
    )


def _line_fields(row: repository.LineRow) -> dict[str, Any]:
    line = row.line
    approved = line.approved_amount
    return {
        "id": line.id,
        "budget_id": line.budget_id,
        "project_id": line.project_id,
        "project_title": row.project_title,
        "requested_amount": text(line.requested_amount),
        "approved_amount": text(approved) if approved is not None else None,
        "cut_reason": line.cut_reason,
        "committed_amount": text(line.committed_amount),
        "available_amount": text((approved or ZERO) - line.committed_amount),
        "sources": [
            SourceOut(
                source=FundingSource(s.source),
                requested_amount=text(s.requested_amount),
                approved_amount=text(s.approved_amount) if s.approved_amount is not None else None,
            )
            for s in row.sources
        ],
        "fiscal_year": row.budget.fiscal_year,
        "budget_status": BudgetStatus(row.budget.status),
        "project_evaluation_grade": (
            EvaluationGrade(row.project_evaluation_grade) if row.project_evaluation_grade else None
        ),
    }


def line_out(row: repository.LineRow) -> LineOut:
    return LineOut(**_line_fields(row))


async def _line_row(session: AsyncSession, tenant: str, line_id: uuid.UUID) -> repository.LineRow:
    rows = await repository.lines(session, tenant, line_id=line_id)
    if not rows:
        raise NotFound("No such budget line.")
    await session.refresh(rows[0].line)
    return rows[0]


async def line(session: AsyncSession, tenant: str, line_id: uuid.UUID) -> LineOut:
    return line_out(await _line_row(session, tenant, line_id))


def commitment(c: Commitment) -> CommitmentOut:
    return CommitmentOut(
        id=c.id,
        line_id=c.line_id,
        amount=text(c.amount),
        purpose=CommitmentPurpose(c.purpose),
        reference_type=c.reference_type,
        reference_id=c.reference_id,
        created_at=c.created_at,
        released_at=c.released_at,
    )


async def line_detail(session: AsyncSession, tenant: str, line_id: uuid.UUID) -> LineDetail:
    row = await _line_row(session, tenant, line_id)
    commitments = await repository.commitments_of_line(session, tenant, line_id)
    return LineDetail(**_line_fields(row), commitments=[commitment(c) for c in commitments])


def _budget_out(
    b: Budget, requested: Decimal | None, approved: Decimal | None, lines: list[LineOut] | None
) -> BudgetOut:
    return BudgetOut(
        id=b.id,
        tenant_id=b.tenant_id,
        fiscal_year=b.fiscal_year,
        title=b.title,
        status=BudgetStatus(b.status),
        submissions=b.submissions,
        requested_total=text(requested or ZERO),
        approved_total=text(approved) if approved is not None and b.status == "approved" else None,
        submitted_at=b.submitted_at,
        decided_at=b.decided_at,
        decision_comment=b.decision_comment,
        created_at=b.created_at,
        updated_at=b.updated_at,
        lines=lines,
    )


async def budget(session: AsyncSession, b: Budget, with_lines: bool = False) -> BudgetOut:
    await session.refresh(b)
    totals = await repository.budget_totals(session, b.tenant_id, [b.id])
    requested, approved = totals.get(b.id, (ZERO, None))
    lines = None
    if with_lines:
        rows = await repository.lines(session, b.tenant_id, budget_ids=[b.id])
        lines = [line_out(row) for row in rows]
    return _budget_out(b, requested, approved, lines)


async def budgets(session: AsyncSession, tenant: str, rows: Sequence[Budget]) -> list[BudgetOut]:
    totals = await repository.budget_totals(session, tenant, [b.id for b in rows])
    return [_budget_out(b, *totals.get(b.id, (ZERO, None)), None) for b in rows]
