"""年度预算: civil affairs compiles library projects into a year's budget; finance approves
it (cutting lines with reasons) or returns it.

draft ─submit→ submitted ─approve→ approved
                    └──return→ returned ─submit→ submitted
Lines change only while the budget is a draft or returned. Each line's funding sources sum
exactly to the line, before and after finance's decision.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField, NotFound
from services.kit.money import ZERO, money
from services.notifications import service as notifications
from services.planning import events, projects, repository
from services.planning.errors import (
    ProjectNotCosted,
    ProjectUnavailable,
    SourcesDoNotSum,
    WrongState,
)
from services.planning.handoffs import CIVIL_AFFAIRS, FINANCE, notify_holders
from services.planning.models import Budget, BudgetLine, LineSource, Project
from services.planning.schemas import (
    BudgetDecision,
    BudgetOutcome,
    BudgetStatus,
    LineCut,
    ProjectStatus,
    SourceIn,
)
from services.tenancy import service as tenancy

B = BudgetStatus
TRANSITIONS: dict[B, frozenset[B]] = {
    B.draft: frozenset({B.submitted}),
    B.submitted: frozenset({B.approved, B.returned}),
    B.returned: frozenset({B.submitted}),
    B.approved: frozenset(),
}
EDITABLE = frozenset({B.draft, B.returned})


def _move(budget: Budget, to: B) -> None:
    if to not in TRANSITIONS[B(budget.status)]:
        raise WrongState(f"A {budget.status} budget cannot become {to.value}.")
    budget.status = to.value
    budget.updated_at = datetime.now(UTC)


async def get(
    session: AsyncSession, actor: Actor, budget_id: uuid.UUID, lock: bool = False
) -> Budget:
    budget = await repository.get_budget(session, actor.tenant, budget_id, lock)
    if budget is None:
        raise NotFound("No such budget.")
    return budget


async def _editable(session: AsyncSession, actor: Actor, budget_id: uuid.UUID) -> Budget:
    budget = await get(session, actor, budget_id, lock=True)
    if B(budget.status) not in EDITABLE:
        raise WrongState(f"A {budget.status} budget cannot be changed.")
    return budget


async def create(session: AsyncSession, actor: Actor, fiscal_year: int, title: str) -> Budget:
    assert actor.user_id is not None
    budget = Budget(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        fiscal_year=fiscal_year,
        title=title,
        status=B.draft.value,
        submissions=0,
        created_by=actor.user_id,
    )
    session.add(budget)
    await session.flush()
    await record(
        session,
        actor,
        "budget.created",
        "budget",
        budget.id,
        after={"fiscal_year": fiscal_year, "title": title, "status": budget.status},
    )
    return budget


def _sources(
    amount: Decimal, sources: Sequence[SourceIn], field: str = "sources"
) -> dict[str, Decimal]:
    """Funding sources, each named once, summing exactly to ``amount``."""
    split: dict[str, Decimal] = {}
    for index, item in enumerate(sources):
        if item.source.value in split:
            raise InvalidField("is named twice", field=f"{field}[{index}].source")
        value = money(item.amount)
        if value <= 0:
            raise InvalidField("must be more than 0", field=f"{field}[{index}].amount")
        split[item.source.value] = value
    total = sum(split.values(), ZERO)
    if total != amount:
        raise SourcesDoNotSum(f"the sources sum to {total}, the line is {amount}", field=field)
    return split


def _line_snapshot(line: BudgetLine, split: dict[str, Decimal]) -> dict[str, Any]:
    return {
        "budget_id": line.budget_id,
        "project_id": line.project_id,
        "requested_amount": line.requested_amount,
        "sources": split,
    }


async def add_line(
    session: AsyncSession,
    actor: Actor,
    budget_id: uuid.UUID,
    project_id: uuid.UUID,
    amount_text: str,
    sources: Sequence[SourceIn],
) -> BudgetLine:
    budget = await _editable(session, actor, budget_id)
    project = await repository.get_project(session, actor.tenant, project_id, lock=True)
    if project is None:
        raise ProjectUnavailable(f"no project {project_id} here", field="project_id")
    _check_budgetable(project, budget)
    placed = await repository.line_of_project(session, actor.tenant, project.id, budget.fiscal_year)
    if placed is not None:
        raise ProjectUnavailable(
            f"the project is in budget {placed[1].id} of {budget.fiscal_year} already",
            field="project_id",
        )
    amount = _positive(amount_text, "amount")
    split = _sources(amount, sources)
    line = BudgetLine(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        budget_id=budget.id,
        project_id=project.id,
        requested_amount=amount,
        committed_amount=ZERO,
    )
    session.add(line)
    await session.flush()
    await _fund_line(session, actor, budget, line, split, "budget_line.added")
    return line


# A project whose contract runs on past its year (a continuing service, 财政部令第102号 art. 24)
# is funded year by year: a later year's budget takes a line for it while it is being bought or
# delivered, and the contract commits that year's share against it.
CONTINUING = frozenset({ProjectStatus.in_procurement, ProjectStatus.contracted})


def _check_budgetable(project: Project, budget: Budget) -> None:
    status = ProjectStatus(project.status)
    if budget.fiscal_year > project.fiscal_year and status in CONTINUING:
        return  # a later year's share of a continuing service
    if status != ProjectStatus.candidate:
        raise ProjectUnavailable(
            f"the project is {project.status}, not a candidate", field="project_id"
        )
    if project.fiscal_year != budget.fiscal_year:
        raise ProjectUnavailable(
            f"the project is for {project.fiscal_year}, the budget for {budget.fiscal_year}",
            field="project_id",
        )
    if project.estimated_amount <= 0:
        raise ProjectNotCosted(
            "cost the project (成本核算) before budgeting it", field="project_id"
        )


def _positive(text: str, field: str) -> Decimal:
    value = money(text)
    if value <= 0:
        raise InvalidField("must be more than 0", field=field)
    return value


def _source_rows(line: BudgetLine, split: dict[str, Decimal]) -> list[LineSource]:
    return [
        LineSource(tenant_id=line.tenant_id, line_id=line.id, source=source, requested_amount=value)
        for source, value in split.items()
    ]


async def _fund_line(
    session: AsyncSession,
    actor: Actor,
    budget: Budget,
    line: BudgetLine,
    split: dict[str, Decimal],
    action: str,
    before: dict[str, Any] | None = None,
) -> None:
    """Give a line its funding sources, touch its budget and audit the line as it now stands."""
    session.add_all(_source_rows(line, split))
    budget.updated_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        action,
        "budget_line",
        line.id,
        before=before,
        after=_line_snapshot(line, split),
    )


async def _line_in(
    session: AsyncSession, actor: Actor, budget: Budget, line_id: uuid.UUID
) -> BudgetLine:
    line = await session.scalar(
        select(BudgetLine)
        .where(
            BudgetLine.tenant_id == actor.tenant,
            BudgetLine.budget_id == budget.id,
            BudgetLine.id == line_id,
        )
        .with_for_update()
    )
    if line is None:
        raise NotFound("No such line in this budget.")
    return line


async def update_line(
    session: AsyncSession,
    actor: Actor,
    budget_id: uuid.UUID,
    line_id: uuid.UUID,
    amount_text: str,
    sources: Sequence[SourceIn],
) -> BudgetLine:
    budget = await _editable(session, actor, budget_id)
    line = await _line_in(session, actor, budget, line_id)
    before = _line_snapshot(line, await sources_of(session, line))
    amount = _positive(amount_text, "amount")
    split = _sources(amount, sources)
    line.requested_amount = amount
    await session.execute(
        delete(LineSource).where(
            LineSource.tenant_id == actor.tenant, LineSource.line_id == line.id
        )
    )
    await _fund_line(session, actor, budget, line, split, "budget_line.changed", before)
    return line


async def sources_of(session: AsyncSession, line: BudgetLine) -> dict[str, Decimal]:
    """The amount each source was asked for, by source."""
    rows = await session.scalars(
        select(LineSource).where(
            LineSource.tenant_id == line.tenant_id, LineSource.line_id == line.id
        )
    )
    return {row.source: row.requested_amount for row in rows}


async def remove_line(
    session: AsyncSession, actor: Actor, budget_id: uuid.UUID, line_id: uuid.UUID
) -> None:
    budget = await _editable(session, actor, budget_id)
    line = await _line_in(session, actor, budget, line_id)
    before = _line_snapshot(line, await sources_of(session, line))
    await session.execute(
        delete(LineSource).where(
            LineSource.tenant_id == actor.tenant, LineSource.line_id == line.id
        )
    )
    await session.delete(line)
    budget.updated_at = datetime.now(UTC)
    await session.flush()
    await record(session, actor, "budget_line.removed", "budget_line", line_id, before=before)


async def submit(session: AsyncSession, actor: Actor, budget_id: uuid.UUID) -> Budget:
    budget = await get(session, actor, budget_id, lock=True)
    rows = await repository.lines(session, actor.tenant, budget_ids=[budget.id])
    if not rows:
        raise WrongState("Add at least one project before submitting the budget.")
    _move(budget, B.submitted)
    budget.submissions += 1
    budget.submitted_at = datetime.now(UTC)
    budget.submitted_by = actor.user_id
    await session.flush()
    requested = sum((row.line.requested_amount for row in rows), ZERO)
    await record(
        session,
        actor,
        "budget.submitted",
        "budget",
        budget.id,
        after={"status": budget.status, "submissions": budget.submissions, "requested": requested},
    )
    await notify_holders(
        session,
        actor,
        events.BUDGET_SUBMITTED,
        FINANCE,
        {
            **await _context(session, actor, budget),
            "line_count": len(rows),
            "requested_total": requested,
        },
    )
    return budget


async def decide(
    session: AsyncSession, actor: Actor, budget_id: uuid.UUID, decision: BudgetDecision
) -> Budget:
    """Finance approves the budget (cutting lines, each with a reason) or returns it."""
    budget = await get(session, actor, budget_id, lock=True)
    if budget.status != B.submitted:
        raise WrongState(f"A {budget.status} budget is not waiting for a decision.")
    if decision.outcome is BudgetOutcome.returned:
        return await _return(session, actor, budget, decision)
    return await _approve(session, actor, budget, decision)


async def _return(
    session: AsyncSession, actor: Actor, budget: Budget, decision: BudgetDecision
) -> Budget:
    if not decision.comment:
        raise InvalidField("say why the budget goes back", field="comment")
    if decision.cuts:
        raise InvalidField("a returned budget has no cuts; approve it to cut lines", field="cuts")
    _move(budget, B.returned)
    _decided(budget, actor, decision.comment)
    await session.flush()
    await record(
        session,
        actor,
        "budget.returned",
        "budget",
        budget.id,
        after={"status": budget.status, "comment": decision.comment},
    )
    await notify_holders(
        session,
        actor,
        events.BUDGET_RETURNED,
        CIVIL_AFFAIRS,
        {**await _context(session, actor, budget), "comment": decision.comment},
    )
    return budget


def _decided(budget: Budget, actor: Actor, comment: str | None) -> None:
    budget.decided_at = datetime.now(UTC)
    budget.decided_by = actor.user_id
    budget.decision_comment = comment


async def _approve(
    session: AsyncSession, actor: Actor, budget: Budget, decision: BudgetDecision
) -> Budget:
    rows = await repository.lines(session, actor.tenant, budget_ids=[budget.id])
    by_id = {row.line.id: row for row in rows}
    cuts = _check_cuts(decision.cuts, by_id)
    for row in rows:
        line = row.line
        cut = cuts.get(line.id)
        if cut is None:
            line.approved_amount = line.requested_amount
            for source in row.sources:
                source.approved_amount = source.requested_amount
        else:
            line.approved_amount, line.cut_reason, split = cut
            for source in row.sources:
                source.approved_amount = split.get(source.source, ZERO)
    _move(budget, B.approved)
    _decided(budget, actor, decision.comment)
    await session.flush()
    for row in rows:
        project = await repository.get_project(session, actor.tenant, row.line.project_id)
        if project is not None and project.fiscal_year == budget.fiscal_year:
            await projects.advance(
                session, actor, project.id, ProjectStatus.budgeted, budget_id=str(budget.id)
            )
    requested = sum((row.line.requested_amount for row in rows), ZERO)
    approved = sum((row.line.approved_amount or ZERO for row in rows), ZERO)
    await record(
        session,
        actor,
        "budget.approved",
        "budget",
        budget.id,
        after={
            "status": budget.status,
            "comment": decision.comment,
            "requested": requested,
            "approved": approved,
            "cuts": {
                str(line_id): {"approved_amount": amount, "reason": reason, "sources": split}
                for line_id, (amount, reason, split) in cuts.items()
            },
        },
    )
    context = await _context(session, actor, budget)
    await notify_holders(
        session,
        actor,
        events.BUDGET_APPROVED,
        CIVIL_AFFAIRS,
        {
            **context,
            "requested_total": requested,
            "approved_total": approved,
            "cut_count": len(cuts),
            "comment": decision.comment,
        },
    )
    for line_id, (amount, reason, _) in cuts.items():
        await _notify_cut(session, actor, by_id[line_id], amount, reason, context)
    return budget


Cut = tuple[Decimal, str, dict[str, Decimal]]


def _check_cuts(
    cuts: Sequence[LineCut], lines: dict[uuid.UUID, repository.LineRow]
) -> dict[uuid.UUID, Cut]:
    checked: dict[uuid.UUID, Cut] = {}
    for index, cut in enumerate(cuts):
        field = f"cuts[{index}]"
        row = lines.get(cut.line_id)
        if row is None:
            raise InvalidField("is not a line of this budget", field=f"{field}.line_id")
        if cut.line_id in checked:
            raise InvalidField("is cut twice", field=f"{field}.line_id")
        amount = money(cut.approved_amount)
        if not ZERO < amount < row.line.requested_amount:
            raise InvalidField(
                f"a cut approves more than 0 and less than the {row.line.requested_amount} asked;"
                " to drop a project, return the budget",
                field=f"{field}.approved_amount",
            )
        requested = {source.source: source.requested_amount for source in row.sources}
        if cut.sources is None:
            if len(requested) > 1:
                raise InvalidField(
                    "the line has several sources: say how the cut falls on them",
                    field=f"{field}.sources",
                )
            split = {next(iter(requested)): amount}
        else:
            split = _sources(amount, cut.sources, field=f"{field}.sources")
            for position, (source, value) in enumerate(split.items()):
                if value > requested.get(source, ZERO):
                    raise InvalidField(
                        f"approves more from {source} than the line asked for",
                        field=f"{field}.sources[{position}].amount",
                    )
        checked[cut.line_id] = (amount, cut.reason, split)
    return checked


async def _notify_cut(
    session: AsyncSession,
    actor: Actor,
    row: repository.LineRow,
    amount: Decimal,
    reason: str,
    context: dict[str, Any],
) -> None:
    recipients = await tenancy.holders(session, actor.tenant, CIVIL_AFFAIRS)
    links = await repository.declarations_of_projects(session, actor.tenant, [row.line.project_id])
    for organisation_id in {org for _, org in links.get(row.line.project_id, [])}:
        recipients += await tenancy.holders(
            session, actor.tenant, (Role.partner_department,), organisation_id
        )
    await notifications.notify(
        session,
        actor,
        event_type=events.BUDGET_LINE_CUT.name,
        recipients=recipients,
        context={
            "tenant_name": context["tenant_name"],
            "project_title": row.project_title,
            "requested_amount": row.line.requested_amount,
            "approved_amount": amount,
            "reason": reason,
            "line_id": row.line.id,
            "project_id": row.line.project_id,
        },
        tenant=actor.tenant,
    )


async def _context(session: AsyncSession, actor: Actor, budget: Budget) -> dict[str, Any]:
    return {
        "tenant_name": (await tenancy.get_tenant(session, actor.tenant)).name,
        "budget_title": budget.title,
        "fiscal_year": budget.fiscal_year,
        "budget_id": budget.id,
    }
