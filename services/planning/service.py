"""What later stages use of planning: approved budget lines, the budget guard, and moving a
project along its lifecycle. Other contexts import this module, never planning's tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.kit.rows import rows_of
from services.planning import repository
from services.planning.declarations import scope_for
from services.planning.errors import WrongState
from services.planning.grades import record_evaluation_grade
from services.planning.guard import commit, reduce, release, transfer
from services.planning.models import (
    Budget,
    BudgetLine,
    Commitment,
    CostLine,
    DeclarationVersion,
    LineSource,
    NeedsAssessment,
    NeedsDeclaration,
    Project,
    ProjectDeclaration,
    ServiceTarget,
)
from services.planning.projects import advance
from services.planning.projects import cost_lines as cost_lines_of
from services.planning.projects import targets as targets_of
from services.planning.repository import LineRow
from services.planning.schemas import (
    FUNDING_SOURCE_NAMES,
    CommitmentPurpose,
    EvaluationGrade,
    ProgrammeArea,
    ProjectStatus,
)

__all__ = [
    "FUNDING_SOURCE_NAMES",
    "CommitmentPurpose",
    "CostLineBrief",
    "EvaluationGrade",
    "LineRow",
    # The plans of 民发〔2012〕196号; tendering's supplier library admits providers by them.
    "ProgrammeArea",
    "ProjectFile",
    "ProjectScope",
    "ProjectStatus",
    "WrongState",
    "advance",
    "commit",
    "completed_projects",
    "cost_lines",
    "declared_projects",
    "get_line",
    "line_for_year",
    "project_file",
    "project_scope",
    "project_status",
    "record_evaluation_grade",
    "reduce",
    "release",
    "transfer",
]


async def get_line(session: AsyncSession, tenant: str, line_id: uuid.UUID) -> LineRow:
    """A budget line with its budget, its project's title and its funding sources."""
    rows = await repository.lines(session, tenant, line_id=line_id)
    if not rows:
        raise NotFound("No such budget line.")
    return rows[0]


async def line_for_year(
    session: AsyncSession, tenant: str, project_id: uuid.UUID, fiscal_year: int
) -> LineRow | None:
    """The project's approved line in ``fiscal_year``'s budget, if finance approved one: what a
    contract running into that year commits its share against (财政部令第102号: no purchase
    without a budget)."""
    placed = await repository.line_of_project(session, tenant, project_id, fiscal_year)
    if placed is None or placed[0].approved_amount is None:
        return None
    return await get_line(session, tenant, placed[0].id)


async def declared_projects(session: AsyncSession, actor: Actor) -> list[uuid.UUID]:
    """The projects that answer declarations of the actor's own partner departments: what a
    department reads of later stages (its projects' contracts, say)."""
    scope = await scope_for(session, actor, sees_all=False)
    assert scope.organisation_ids is not None
    return await repository.projects_declared_by(session, actor.tenant, scope.organisation_ids)


@dataclass(frozen=True)
class ProjectScope:
    """What a project's procurement documents carry into its contract: whom it serves, how
    many, where, and its targets of quantity, quality and effect (绩效目标)."""

    title: str
    programme_area: str
    county_code: str
    target_groups: list[str]
    beneficiaries: int
    # Each: dimension, name, unit and target value (a string of the exact decimal).
    targets: list[dict[str, str]]


async def project_scope(session: AsyncSession, tenant: str, project_id: uuid.UUID) -> ProjectScope:
    project = await repository.get_project(session, tenant, project_id)
    if project is None:
        raise NotFound("No such project.")
    rows = await targets_of(session, tenant, project_id)
    return ProjectScope(
        title=project.title,
        programme_area=project.programme_area,
        county_code=project.county_code,
        target_groups=list(project.target_groups),
        beneficiaries=project.estimated_beneficiaries,
        targets=[
            {
                "dimension": t.dimension,
                "name": t.name,
                "unit": t.unit,
                "target_value": f"{t.target_value.normalize():f}",
            }
            for t in rows
        ],
    )


@dataclass(frozen=True)
class ProjectFile:
    """A project's planning records for its archive, as plain JSON-safe rows."""

    status: str
    # "project", "declarations", "declaration_versions", "assessment", "costing", "targets",
    # "budget_lines", "budgets", "line_sources", "commitments": lists of rows.
    records: dict[str, list[dict[str, Any]]]
    # (object type, id) of every object whose documents and audit entries belong to the file.
    objects: list[tuple[str, uuid.UUID]]


async def project_file(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> ProjectFile | None:
    """Declarations, needs assessment and costing, budget lines and decisions of a project of
    ``tenant``; None when there is no such project."""
    project = await repository.get_project(session, tenant, project_id)
    if project is None:
        return None
    declaration_ids = list(
        await session.scalars(
            select(ProjectDeclaration.declaration_id).where(
                ProjectDeclaration.tenant_id == tenant, ProjectDeclaration.project_id == project_id
            )
        )
    )
    line_ids = list(
        await session.scalars(
            select(BudgetLine.id).where(
                BudgetLine.tenant_id == tenant, BudgetLine.project_id == project_id
            )
        )
    )
    lines = await rows_of(
        session, BudgetLine, BudgetLine.tenant_id == tenant, BudgetLine.id.in_(line_ids)
    )
    budget_ids = sorted({uuid.UUID(line["budget_id"]) for line in lines})
    assessment = await rows_of(
        session,
        NeedsAssessment,
        NeedsAssessment.tenant_id == tenant,
        NeedsAssessment.project_id == project_id,
    )
    records = {
        "project": await rows_of(
            session, Project, Project.tenant_id == tenant, Project.id == project_id
        ),
        "declarations": await rows_of(
            session,
            NeedsDeclaration,
            NeedsDeclaration.tenant_id == tenant,
            NeedsDeclaration.id.in_(declaration_ids),
            order_by=[NeedsDeclaration.id],
        ),
        "declaration_versions": await rows_of(
            session,
            DeclarationVersion,
            DeclarationVersion.tenant_id == tenant,
            DeclarationVersion.declaration_id.in_(declaration_ids),
            order_by=[DeclarationVersion.declaration_id, DeclarationVersion.version],
        ),
        "assessment": assessment,
        "costing": await rows_of(
            session,
            CostLine,
            CostLine.tenant_id == tenant,
            CostLine.project_id == project_id,
            order_by=[CostLine.line_no],
        ),
        "targets": await rows_of(
            session,
            ServiceTarget,
            ServiceTarget.tenant_id == tenant,
            ServiceTarget.project_id == project_id,
            order_by=[ServiceTarget.line_no],
        ),
        "budget_lines": lines,
        "budgets": await rows_of(
            session, Budget, Budget.tenant_id == tenant, Budget.id.in_(budget_ids)
        ),
        "line_sources": await rows_of(
            session,
            LineSource,
            LineSource.tenant_id == tenant,
            LineSource.line_id.in_(line_ids),
            order_by=[LineSource.line_id, LineSource.source],
        ),
        "commitments": await rows_of(
            session,
            Commitment,
            Commitment.tenant_id == tenant,
            Commitment.line_id.in_(line_ids),
            order_by=[Commitment.created_at],
        ),
    }
    objects: list[tuple[str, uuid.UUID]] = [("project", project_id)]
    objects += [("needs_declaration", d) for d in declaration_ids]
    objects += [("needs_assessment", uuid.UUID(a["id"])) for a in assessment]
    objects += [("budget", b) for b in budget_ids]
    objects += [("budget_line", line) for line in line_ids]
    return ProjectFile(status=project.status, records=records, objects=objects)


async def project_status(session: AsyncSession, tenant: str, project_id: uuid.UUID) -> str | None:
    """The project's status (``ProjectStatus``), None when ``tenant`` has no such project."""
    project = await repository.get_project(session, tenant, project_id)
    return None if project is None else project.status


async def completed_projects(
    session: AsyncSession, since: datetime, limit: int
) -> list[tuple[str, uuid.UUID]]:
    """(tenant, project) of the projects completed since ``since``, in every region the
    session's role may read (the archive's sweep reads them through its narrow role)."""
    rows = await session.execute(
        select(Project.tenant_id, Project.id)
        .where(Project.status == ProjectStatus.completed, Project.updated_at >= since)
        .order_by(Project.updated_at)
        .limit(limit)
    )
    return [(tenant, project_id) for tenant, project_id in rows.all()]


@dataclass(frozen=True)
class CostLineBrief:
    """One line of a project's cost accounting (成本核算), as delivery reports spending on it."""

    line_no: int
    category: str
    description: str
    staff_level: str | None
    amount: Decimal


async def cost_lines(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> list[CostLineBrief]:
    """The project's cost lines in their order; none for a project not costed."""
    return [
        CostLineBrief(
            line_no=c.line_no,
            category=c.category,
            description=c.description,
            staff_level=c.staff_level,
            amount=c.amount,
        )
        for c in await cost_lines_of(session, tenant, project_id)
    ]
