"""What later stages use of planning: approved budget lines, the budget guard, and moving a
project along its lifecycle. Other contexts import this module, never planning's tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.planning import repository
from services.planning.declarations import scope_for
from services.planning.errors import WrongState
from services.planning.guard import commit, reduce, release, transfer
from services.planning.projects import advance
from services.planning.projects import cost_lines as cost_lines_of
from services.planning.projects import targets as targets_of
from services.planning.repository import LineRow
from services.planning.schemas import CommitmentPurpose, ProjectStatus

__all__ = [
    "CommitmentPurpose",
    "CostLineBrief",
    "LineRow",
    "ProjectScope",
    "ProjectStatus",
    "WrongState",
    "advance",
    "commit",
    "cost_lines",
    "declared_projects",
    "get_line",
    "line_for_year",
    "project_scope",
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
