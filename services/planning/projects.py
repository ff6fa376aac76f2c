"""项目库: candidate projects with their needs assessment, cost accounting and targets.

candidate → budgeted → in_procurement → contracted → completed; candidate or budgeted (with
nothing committed) → withdrawn. Budgets move candidates to budgeted; later stages call
``advance`` as procurements and contracts move.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.money import ZERO, money, to_cents
from services.planning import repository
from services.planning.errors import DeclarationUnavailable, WrongState
from services.planning.locations import check_location
from services.planning.models import (
    CostLine,
    NeedsAssessment,
    NeedsDeclaration,
    Project,
    ProjectDeclaration,
    ServiceTarget,
)
from services.planning.schemas import (
    AssessmentIn,
    CostCategory,
    CostLineIn,
    DeclarationStatus,
    ProjectCreate,
    ProjectOrigin,
    ProjectStatus,
    TargetIn,
)

# The numbered lines a project owns and replaces as a whole.
ProjectLine = TypeVar("ProjectLine", CostLine, ServiceTarget)

P = ProjectStatus
TRANSITIONS: dict[P, frozenset[P]] = {
    P.candidate: frozenset({P.budgeted, P.withdrawn}),
    P.budgeted: frozenset({P.in_procurement, P.withdrawn}),
    # A failed procurement gives the project back to its budget line.
    P.in_procurement: frozenset({P.contracted, P.budgeted}),
    P.contracted: frozenset({P.completed}),
    P.completed: frozenset(),
    P.withdrawn: frozenset(),
}
PROJECT_FIELDS = (
    "fiscal_year",
    "title",
    "programme_area",
    "target_groups",
    "county_code",
    "street",
    "estimated_beneficiaries",
    "rationale",
    "service_months",
    "status",
    "estimated_amount",
)


def snapshot(project: Project) -> dict[str, Any]:
    return {name: getattr(project, name) for name in PROJECT_FIELDS}


async def get(
    session: AsyncSession,
    actor: Actor,
    project_id: uuid.UUID,
    organisation_ids: Sequence[uuid.UUID] | None = None,
    lock: bool = False,
) -> Project:
    project = await repository.get_project(
        session, actor.tenant, project_id, organisation_ids, lock
    )
    if project is None:
        raise NotFound("No such project.")
    return project


async def create(session: AsyncSession, actor: Actor, body: ProjectCreate) -> Project:
    assert actor.user_id is not None
    check_location(actor.tenant, body.county_code)
    declaration_ids = list(dict.fromkeys(body.declaration_ids))
    declarations = await _usable_declarations(session, actor, declaration_ids)
    project = Project(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        fiscal_year=body.fiscal_year,
        title=body.title,
        programme_area=body.programme_area.value,
        target_groups=[group.value for group in dict.fromkeys(body.target_groups)],
        county_code=body.county_code,
        street=body.street,
        estimated_beneficiaries=body.estimated_beneficiaries,
        rationale=body.rationale,
        service_months=body.service_months,
        status=P.candidate.value,
        origin=(ProjectOrigin.declarations if declarations else ProjectOrigin.initiative).value,
        estimated_amount=ZERO,
        created_by=actor.user_id,
    )
    session.add(project)
    await session.flush()
    for declaration in declarations:
        session.add(
            ProjectDeclaration(
                tenant_id=actor.tenant,
                declaration_id=declaration.id,
                project_id=project.id,
                organisation_id=declaration.organisation_id,
            )
        )
    await session.flush()
    await record(
        session,
        actor,
        "project.created",
        "project",
        project.id,
        after={**snapshot(project), "declaration_ids": declaration_ids},
    )
    return project


async def _usable_declarations(
    session: AsyncSession, actor: Actor, declaration_ids: list[uuid.UUID]
) -> list[NeedsDeclaration]:
    """Accepted declarations of this region that no project answers yet, locked."""
    if not declaration_ids:
        return []
    found = {
        d.id: d
        for d in await session.scalars(
            select(NeedsDeclaration)
            .where(
                NeedsDeclaration.tenant_id == actor.tenant,
                NeedsDeclaration.id.in_(declaration_ids),
            )
            .with_for_update()
        )
    }
    taken = await repository.projects_of_declarations(session, actor.tenant, declaration_ids)
    for index, declaration_id in enumerate(declaration_ids):
        field = f"declaration_ids[{index}]"
        declaration = found.get(declaration_id)
        if declaration is None:
            raise DeclarationUnavailable(f"no needs declaration {declaration_id} here", field=field)
        if declaration.status != DeclarationStatus.accepted:
            raise DeclarationUnavailable(
                f"declaration {declaration_id} is {declaration.status}, not accepted", field=field
            )
        if declaration_id in taken:
            raise DeclarationUnavailable(
                f"declaration {declaration_id} already feeds project {taken[declaration_id]}",
                field=field,
            )
    return [found[declaration_id] for declaration_id in declaration_ids]


async def _editable(session: AsyncSession, actor: Actor, project_id: uuid.UUID) -> Project:
    """A candidate not yet before finance: its content and costs may still change."""
    project = await get(session, actor, project_id, lock=True)
    if project.status != P.candidate:
        raise WrongState(f"A {project.status} project cannot be changed.")
    placed = await repository.line_of_project(session, actor.tenant, project.id)
    if placed is not None and placed[1].status not in ("draft", "returned"):
        raise WrongState(
            f"The project is in budget {placed[1].id}, which is {placed[1].status}; "
            "it cannot change until finance returns it."
        )
    return project


async def _record_change(
    session: AsyncSession,
    actor: Actor,
    project: Project,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any],
) -> Project:
    """Stamp the project as changed now and add the change to the audit chain."""
    project.updated_at = datetime.now(UTC)
    await session.flush()
    await record(session, actor, action, "project", project.id, before=before, after=after)
    return project


async def update(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, changes: dict[str, Any]
) -> Project:
    project = await _editable(session, actor, project_id)
    before = snapshot(project)
    if "county_code" in changes:
        check_location(actor.tenant, changes["county_code"])
    if "programme_area" in changes:
        changes["programme_area"] = changes["programme_area"].value
    if "target_groups" in changes:
        changes["target_groups"] = [g.value for g in dict.fromkeys(changes["target_groups"])]
    for name, value in changes.items():
        setattr(project, name, value)
    return await _record_change(
        session, actor, project, "project.updated", before=before, after=snapshot(project)
    )


async def assessment_of(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> NeedsAssessment | None:
    return await session.scalar(
        select(NeedsAssessment).where(
            NeedsAssessment.tenant_id == tenant, NeedsAssessment.project_id == project_id
        )
    )


async def set_assessment(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, body: AssessmentIn
) -> NeedsAssessment:
    assert actor.user_id is not None
    project = await _editable(session, actor, project_id)
    assessment = await assessment_of(session, actor.tenant, project.id)
    fields = {
        "survey_method": body.survey_method,
        "survey_period": body.survey_period,
        "sample_size": body.sample_size,
        "findings": body.findings,
        "conclusion": body.conclusion,
    }
    before = None
    if assessment is None:
        assessment = NeedsAssessment(
            tenant_id=actor.tenant, id=uuid.uuid4(), project_id=project.id, **fields
        )
        session.add(assessment)
    else:
        before = {name: getattr(assessment, name) for name in fields}
        for name, value in fields.items():
            setattr(assessment, name, value)
    assessment.assessed_by = actor.user_id
    assessment.assessed_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "needs_assessment.recorded",
        "needs_assessment",
        assessment.id,
        before=before,
        after={**fields, "project_id": project.id},
    )
    return assessment


def _cost_line(tenant: str, project_id: uuid.UUID, index: int, line: CostLineIn) -> CostLine:
    field = f"lines[{index}].staff_level"
    if line.category is CostCategory.staff and line.staff_level is None:
        raise InvalidField("is required for a staff line: which certified level", field=field)
    if line.category is not CostCategory.staff and line.staff_level is not None:
        raise InvalidField("applies to staff lines only", field=field)
    quantity = Decimal(line.quantity)
    if quantity <= 0:
        raise InvalidField("must be more than 0", field=f"lines[{index}].quantity")
    unit_cost = money(line.unit_cost)
    return CostLine(
        tenant_id=tenant,
        project_id=project_id,
        line_no=index + 1,
        category=line.category.value,
        description=line.description,
        staff_level=line.staff_level.value if line.staff_level else None,
        quantity=quantity,
        unit=line.unit,
        unit_cost=unit_cost,
        amount=to_cents(quantity * unit_cost),
    )


async def _lines_of(
    session: AsyncSession, kind: type[ProjectLine], tenant: str, project_id: uuid.UUID
) -> Sequence[ProjectLine]:
    return (
        await session.scalars(
            select(kind)
            .where(kind.tenant_id == tenant, kind.project_id == project_id)
            .order_by(kind.line_no)
        )
    ).all()


async def _replace_lines(
    session: AsyncSession,
    kind: type[ProjectLine],
    tenant: str,
    project_id: uuid.UUID,
    new: list[ProjectLine],
) -> None:
    """A project's lines of one kind are replaced as a whole, never edited one by one."""
    await session.execute(
        delete(kind).where(kind.tenant_id == tenant, kind.project_id == project_id)
    )
    session.add_all(new)


async def cost_lines(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> Sequence[CostLine]:
    return await _lines_of(session, CostLine, tenant, project_id)


async def set_cost_lines(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, lines: list[CostLineIn]
) -> Project:
    """成本核算: replace the project's cost lines; its estimate is their exact sum."""
    project = await _editable(session, actor, project_id)
    new = [_cost_line(actor.tenant, project.id, i, line) for i, line in enumerate(lines)]
    before = project.estimated_amount
    await _replace_lines(session, CostLine, actor.tenant, project.id, new)
    project.estimated_amount = sum((line.amount for line in new), ZERO)
    return await _record_change(
        session,
        actor,
        project,
        "project.costed",
        before={"estimated_amount": before},
        after={
            "estimated_amount": project.estimated_amount,
            "lines": [
                {
                    "category": line.category,
                    "description": line.description,
                    "staff_level": line.staff_level,
                    "quantity": line.quantity,
                    "unit": line.unit,
                    "unit_cost": line.unit_cost,
                    "amount": line.amount,
                }
                for line in new
            ],
        },
    )


async def targets(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> Sequence[ServiceTarget]:
    return await _lines_of(session, ServiceTarget, tenant, project_id)


async def set_targets(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, items: list[TargetIn]
) -> Project:
    """Targets of quantity, scale, quality and effect, replaced as a whole."""
    project = await _editable(session, actor, project_id)
    new = [
        ServiceTarget(
            tenant_id=actor.tenant,
            project_id=project.id,
            line_no=index + 1,
            dimension=item.dimension.value,
            name=item.name,
            unit=item.unit,
            target_value=Decimal(item.target_value),
        )
        for index, item in enumerate(items)
    ]
    await _replace_lines(session, ServiceTarget, actor.tenant, project.id, new)
    return await _record_change(
        session,
        actor,
        project,
        "project.targets_set",
        after={
            "targets": [
                {"dimension": t.dimension, "name": t.name, "unit": t.unit, "value": t.target_value}
                for t in new
            ]
        },
    )


async def advance(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, to: ProjectStatus, **note: Any
) -> Project:
    """Move a project along its lifecycle; the only way its status changes."""
    project = await get(session, actor, project_id, lock=True)
    if to not in TRANSITIONS[P(project.status)]:
        raise WrongState(f"A {project.status} project cannot become {to.value}.")
    before = project.status
    project.status = to.value
    return await _record_change(
        session,
        actor,
        project,
        f"project.{to.value}",
        before={"status": before},
        after={"status": project.status, **note},
    )


async def withdraw(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, reason: str
) -> Project:
    project = await get(session, actor, project_id, lock=True)
    placed = await repository.line_of_project(session, actor.tenant, project.id)
    if placed is not None:
        line, budget = placed
        if budget.status != "approved":
            raise WrongState(
                f"The project is a line of budget {budget.id} ({budget.status}); "
                "take it out of the budget first."
            )
        if line.committed_amount > 0:
            raise WrongState("Money is committed against this project's budget line.")
    project.withdrawn_reason = reason
    return await advance(session, actor, project.id, P.withdrawn, reason=reason)
