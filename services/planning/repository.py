"""Queries of the planning context. Every one filters by tenant as well as RLS does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.models import (
    Budget,
    BudgetLine,
    Commitment,
    DeclarationVersion,
    LineSource,
    NeedsDeclaration,
    Project,
    ProjectDeclaration,
)


def _declarations_in_scope(
    tenant: str, organisation_ids: Sequence[uuid.UUID] | None
) -> Select[NeedsDeclaration]:
    query = select(NeedsDeclaration).where(NeedsDeclaration.tenant_id == tenant)
    if organisation_ids is None:
        return query.where(NeedsDeclaration.first_submitted_at.is_not(None))
    return query.where(NeedsDeclaration.organisation_id.in_(organisation_ids))


async def get_declaration(
    session: AsyncSession,
    tenant: str,
    declaration_id: uuid.UUID,
    organisation_ids: Sequence[uuid.UUID] | None,
    lock: bool = False,
) -> NeedsDeclaration | None:
    query = _declarations_in_scope(tenant, organisation_ids).where(
        NeedsDeclaration.id == declaration_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


@dataclass(frozen=True)
class DeclarationFilter:
    status: str | None = None
    fiscal_year: int | None = None
    programme_area: str | None = None
    organisation_id: uuid.UUID | None = None


async def list_declarations(
    session: AsyncSession,
    tenant: str,
    organisation_ids: Sequence[uuid.UUID] | None,
    where: DeclarationFilter,
    limit: int,
    offset: int,
) -> list[tuple[NeedsDeclaration, DeclarationVersion]]:
    query = (
        _declarations_in_scope(tenant, organisation_ids)
        .add_columns(DeclarationVersion)
        .join(
            DeclarationVersion,
            (DeclarationVersion.tenant_id == NeedsDeclaration.tenant_id)
            & (DeclarationVersion.declaration_id == NeedsDeclaration.id)
            & (DeclarationVersion.version == NeedsDeclaration.version),
        )
    )
    if where.status is not None:
        query = query.where(NeedsDeclaration.status == where.status)
    if where.fiscal_year is not None:
        query = query.where(NeedsDeclaration.fiscal_year == where.fiscal_year)
    if where.programme_area is not None:
        query = query.where(DeclarationVersion.programme_area == where.programme_area)
    if where.organisation_id is not None:
        query = query.where(NeedsDeclaration.organisation_id == where.organisation_id)
    query = query.order_by(NeedsDeclaration.updated_at.desc(), NeedsDeclaration.id)
    rows = (await session.execute(query.limit(limit).offset(offset))).all()
    return [(row[0], row[1]) for row in rows]


async def projects_of_declarations(
    session: AsyncSession, tenant: str, declaration_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(
        select(ProjectDeclaration.declaration_id, ProjectDeclaration.project_id).where(
            ProjectDeclaration.tenant_id == tenant,
            ProjectDeclaration.declaration_id.in_(declaration_ids),
        )
    )
    return {row[0]: row[1] for row in rows.all()}


# --- projects ------------------------------------------------------------------------------------


def _projects_in_scope(
    tenant: str, organisation_ids: Sequence[uuid.UUID] | None
) -> Select[Project]:
    query = select(Project).where(Project.tenant_id == tenant)
    if organisation_ids is None:
        return query
    # A partner department sees the projects that answer its declarations.
    return query.where(
        exists().where(
            ProjectDeclaration.tenant_id == Project.tenant_id,
            ProjectDeclaration.project_id == Project.id,
            ProjectDeclaration.organisation_id.in_(organisation_ids),
        )
    )


async def projects_declared_by(
    session: AsyncSession, tenant: str, organisation_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    if not organisation_ids:
        return []
    rows = await session.scalars(
        select(ProjectDeclaration.project_id)
        .where(
            ProjectDeclaration.tenant_id == tenant,
            ProjectDeclaration.organisation_id.in_(organisation_ids),
        )
        .distinct()
    )
    return list(rows.all())


async def get_project(
    session: AsyncSession,
    tenant: str,
    project_id: uuid.UUID,
    organisation_ids: Sequence[uuid.UUID] | None = None,
    lock: bool = False,
) -> Project | None:
    query = _projects_in_scope(tenant, organisation_ids).where(Project.id == project_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


@dataclass(frozen=True)
class ProjectFilter:
    programme_area: str | None = None
    target_group: str | None = None
    fiscal_year: int | None = None
    status: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    organisation_id: uuid.UUID | None = None
    text: str | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_projects(
    session: AsyncSession,
    tenant: str,
    organisation_ids: Sequence[uuid.UUID] | None,
    where: ProjectFilter,
    limit: int,
    offset: int,
) -> Sequence[Project]:
    query = _projects_in_scope(tenant, organisation_ids)
    if where.programme_area is not None:
        query = query.where(Project.programme_area == where.programme_area)
    if where.target_group is not None:
        query = query.where(Project.target_groups.contains([where.target_group]))
    if where.fiscal_year is not None:
        query = query.where(Project.fiscal_year == where.fiscal_year)
    if where.status is not None:
        query = query.where(Project.status == where.status)
    if where.min_amount is not None:
        query = query.where(Project.estimated_amount >= where.min_amount)
    if where.max_amount is not None:
        query = query.where(Project.estimated_amount <= where.max_amount)
    if where.organisation_id is not None:
        query = query.where(
            exists().where(
                ProjectDeclaration.tenant_id == Project.tenant_id,
                ProjectDeclaration.project_id == Project.id,
                ProjectDeclaration.organisation_id == where.organisation_id,
            )
        )
    if where.text:
        pattern = _like(where.text)
        query = query.where(
            or_(
                Project.title.ilike(pattern, escape="\\"),
                Project.rationale.ilike(pattern, escape="\\"),
            )
        )
    query = query.order_by(Project.fiscal_year.desc(), Project.created_at.desc(), Project.id)
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def declarations_of_projects(
    session: AsyncSession, tenant: str, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]]:
    """Per project: (declaration id, declaring organisation id) pairs."""
    rows = await session.execute(
        select(
            ProjectDeclaration.project_id,
            ProjectDeclaration.declaration_id,
            ProjectDeclaration.organisation_id,
        )
        .where(
            ProjectDeclaration.tenant_id == tenant,
            ProjectDeclaration.project_id.in_(project_ids),
        )
        .order_by(ProjectDeclaration.declaration_id)
    )
    links: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = {}
    for project_id, declaration_id, organisation_id in rows.all():
        links.setdefault(project_id, []).append((declaration_id, organisation_id))
    return links


async def line_of_project(
    session: AsyncSession, tenant: str, project_id: uuid.UUID, fiscal_year: int | None = None
) -> tuple[BudgetLine, Budget] | None:
    """The project's line in its own year's budget (the earliest year), or in ``fiscal_year``'s."""
    query = (
        select(BudgetLine, Budget)
        .join(
            Budget,
            (Budget.tenant_id == BudgetLine.tenant_id) & (Budget.id == BudgetLine.budget_id),
        )
        .where(BudgetLine.tenant_id == tenant, BudgetLine.project_id == project_id)
        .order_by(Budget.fiscal_year, Budget.created_at)
        .limit(1)
    )
    if fiscal_year is not None:
        query = query.where(Budget.fiscal_year == fiscal_year)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


# --- budgets -------------------------------------------------------------------------------------


async def get_budget(
    session: AsyncSession, tenant: str, budget_id: uuid.UUID, lock: bool = False
) -> Budget | None:
    query = select(Budget).where(Budget.tenant_id == tenant, Budget.id == budget_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def list_budgets(
    session: AsyncSession,
    tenant: str,
    fiscal_year: int | None,
    status: str | None,
    limit: int,
    offset: int,
) -> Sequence[Budget]:
    query = select(Budget).where(Budget.tenant_id == tenant)
    if fiscal_year is not None:
        query = query.where(Budget.fiscal_year == fiscal_year)
    if status is not None:
        query = query.where(Budget.status == status)
    query = query.order_by(Budget.fiscal_year.desc(), Budget.created_at.desc(), Budget.id)
    return (await session.scalars(query.limit(limit).offset(offset))).all()


@dataclass(frozen=True)
class LineRow:
    line: BudgetLine
    budget: Budget
    project_title: str
    sources: list[LineSource]
    # The project's latest confirmed third-party evaluation grade, for the budget review.
    project_evaluation_grade: str | None = None


async def lines(
    session: AsyncSession,
    tenant: str,
    *,
    budget_ids: Sequence[uuid.UUID] | None = None,
    line_id: uuid.UUID | None = None,
    fiscal_year: int | None = None,
    approved_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[LineRow]:
    query = (
        select(BudgetLine, Budget, Project.title, Project.evaluation_grade)
        .join(
            Budget,
            (Budget.tenant_id == BudgetLine.tenant_id) & (Budget.id == BudgetLine.budget_id),
        )
        .join(
            Project,
            (Project.tenant_id == BudgetLine.tenant_id) & (Project.id == BudgetLine.project_id),
        )
        .where(BudgetLine.tenant_id == tenant)
    )
    if budget_ids is not None:
        query = query.where(BudgetLine.budget_id.in_(budget_ids))
    if line_id is not None:
        query = query.where(BudgetLine.id == line_id)
    if fiscal_year is not None:
        query = query.where(Budget.fiscal_year == fiscal_year)
    if approved_only:
        query = query.where(Budget.status == "approved")
    query = query.order_by(Budget.fiscal_year.desc(), Project.title, BudgetLine.id)
    rows = (await session.execute(query.limit(limit).offset(offset))).all()
    line_ids = [row[0].id for row in rows]
    sources: dict[uuid.UUID, list[LineSource]] = {}
    if line_ids:
        for source in await session.scalars(
            select(LineSource)
            .where(LineSource.tenant_id == tenant, LineSource.line_id.in_(line_ids))
            .order_by(LineSource.source)
        ):
            sources.setdefault(source.line_id, []).append(source)
    return [LineRow(row[0], row[1], row[2], sources.get(row[0].id, []), row[3]) for row in rows]


async def budget_totals(
    session: AsyncSession, tenant: str, budget_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Decimal, Decimal | None]]:
    """Per budget: requested total and approved total (None until approved)."""
    rows = await session.execute(
        select(
            BudgetLine.budget_id,
            func.sum(BudgetLine.requested_amount),
            func.sum(BudgetLine.approved_amount),
        )
        .where(BudgetLine.tenant_id == tenant, BudgetLine.budget_id.in_(budget_ids))
        .group_by(BudgetLine.budget_id)
    )
    return {row[0]: (row[1], row[2]) for row in rows.all()}


async def commitments_of_line(
    session: AsyncSession, tenant: str, line_id: uuid.UUID
) -> Sequence[Commitment]:
    return (
        await session.scalars(
            select(Commitment)
            .where(Commitment.tenant_id == tenant, Commitment.line_id == line_id)
            .order_by(Commitment.created_at, Commitment.id)
        )
    ).all()
