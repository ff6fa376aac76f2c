"""HTTP routes of the planning stage, all under ``/v1/tenants/{tenant}``.

Partner departments declare needs; civil affairs reviews them, builds and costs the project
library and compiles the budget; finance decides the budget. What a reader sees is narrowed by
a query filter where the role sees only its own department's work.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from services.kit.audit import Actor
from services.kit.authz.enforcer import Authorizer
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.money import money
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.kit.types import FiscalYearQuery, SearchQuery
from services.planning import attachments as _attachments  # noqa: F401  (registers document checks)
from services.planning import budgets, declarations, projects, repository
from services.planning import views as out
from services.planning.schemas import (
    AmountQuery,
    AssessmentIn,
    AssessmentOut,
    BudgetCreate,
    BudgetDecision,
    BudgetOut,
    BudgetStatus,
    CostLinesIn,
    DeclarationContent,
    DeclarationCreate,
    DeclarationOut,
    DeclarationStatus,
    LineCreate,
    LineDetail,
    LineOut,
    LineUpdate,
    ProgrammeArea,
    ProjectCreate,
    ProjectDetail,
    ProjectOut,
    ProjectStatus,
    ProjectUpdate,
    ReturnComment,
    ReviewComment,
    TargetGroup,
    TargetsIn,
    WithdrawIn,
)


def _allowed(request: Request[Any, Any, Any], actor: Actor, permission: str) -> bool:
    authorizer: Authorizer = request.app.state.authorizer
    return authorizer.allowed(actor.user_id, actor.tenant, permission)


async def _project_scope(
    request: Request[Any, Any, Any], session: Session, actor: Actor
) -> tuple[uuid.UUID, ...] | None:
    """None for those who see the whole library; else the reader's own departments."""
    scope = await declarations.scope_for(
        session, actor, _allowed(request, actor, "project:read_all")
    )
    return scope.organisation_ids


async def _declaration_scope(
    request: Request[Any, Any, Any], session: Session, actor: Actor
) -> declarations.Scope:
    """Civil affairs sees every submitted declaration; a department its own."""
    return await declarations.scope_for(
        session, actor, _allowed(request, actor, "declaration:read_all")
    )


class DeclarationController(Controller):
    path = f"{TENANT_PATH}/needs-declarations"
    tags = ["planning"]

    @post("/", opt={"permission": "declaration:write"}, status_code=201)
    async def create(
        self, session: Session, actor: CurrentActor, data: JSONBody[DeclarationCreate]
    ) -> DeclarationOut:
        """Draft a needs declaration (需求申报) for your department."""
        declaration = await declarations.create(session, actor, data)
        return await out.declaration(session, declaration)

    @get("/", opt={"permission": "declaration:read"})
    async def list(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        status: FromQuery[DeclarationStatus | None] = None,
        fiscal_year: FiscalYearQuery = None,
        programme_area: FromQuery[ProgrammeArea | None] = None,
        organisation_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[DeclarationOut]:
        """Civil affairs sees every submitted declaration; a department its own, drafts too."""
        scope = await _declaration_scope(request, session, actor)
        rows = await repository.list_declarations(
            session,
            actor.tenant,
            scope.organisation_ids,
            repository.DeclarationFilter(
                status=status.value if status else None,
                fiscal_year=fiscal_year,
                programme_area=programme_area.value if programme_area else None,
                organisation_id=organisation_id,
            ),
            limit,
            offset,
        )
        return Page(items=await out.declarations(session, rows), limit=limit, offset=offset)

    @get("/{declaration_id:uuid}", opt={"permission": "declaration:read"})
    async def read(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        declaration_id: FromPath[uuid.UUID],
    ) -> DeclarationOut:
        """One declaration with every version, oldest first."""
        scope = await _declaration_scope(request, session, actor)
        declaration = await declarations.get(session, actor, scope, declaration_id)
        return await out.declaration(session, declaration, with_versions=True)

    @put("/{declaration_id:uuid}", opt={"permission": "declaration:write"})
    async def revise(
        self,
        session: Session,
        actor: CurrentActor,
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[DeclarationContent],
    ) -> DeclarationOut:
        """Edit a draft; revising a returned declaration starts its next version."""
        declaration = await declarations.revise(session, actor, declaration_id, data)
        return await out.declaration(session, declaration)

    @post(
        "/{declaration_id:uuid}/submit",
        opt={"permission": "declaration:write"},
        status_code=HTTP_200_OK,
    )
    async def submit(
        self, session: Session, actor: CurrentActor, declaration_id: FromPath[uuid.UUID]
    ) -> DeclarationOut:
        declaration = await declarations.submit(session, actor, declaration_id)
        return await out.declaration(session, declaration)

    @post(
        "/{declaration_id:uuid}/withdraw",
        opt={"permission": "declaration:write"},
        status_code=HTTP_200_OK,
    )
    async def withdraw(
        self, session: Session, actor: CurrentActor, declaration_id: FromPath[uuid.UUID]
    ) -> DeclarationOut:
        declaration = await declarations.withdraw(session, actor, declaration_id)
        return await out.declaration(session, declaration)

    @post(
        "/{declaration_id:uuid}/accept",
        opt={"permission": "declaration:review"},
        status_code=HTTP_200_OK,
    )
    async def accept(
        self,
        session: Session,
        actor: CurrentActor,
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewComment],
    ) -> DeclarationOut:
        """受理: the need goes to the project library."""
        declaration = await declarations.decide(session, actor, declaration_id, True, data.comment)
        return await out.declaration(session, declaration)

    @post(
        "/{declaration_id:uuid}/return",
        opt={"permission": "declaration:review"},
        status_code=HTTP_200_OK,
    )
    async def send_back(
        self,
        session: Session,
        actor: CurrentActor,
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[ReturnComment],
    ) -> DeclarationOut:
        """退回: the department revises and submits again."""
        declaration = await declarations.decide(session, actor, declaration_id, False, data.comment)
        return await out.declaration(session, declaration)


class ProjectController(Controller):
    path = f"{TENANT_PATH}/projects"
    tags = ["planning"]

    @post("/", opt={"permission": "project:write"}, status_code=201)
    async def create(
        self, session: Session, actor: CurrentActor, data: JSONBody[ProjectCreate]
    ) -> ProjectDetail:
        """Put a project in the library, from accepted declarations or on your initiative."""
        project = await projects.create(session, actor, data)
        return await out.project_detail(session, project)

    @get("/", opt={"permission": "project:read"})
    async def list(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        programme_area: FromQuery[ProgrammeArea | None] = None,
        target_group: FromQuery[TargetGroup | None] = None,
        fiscal_year: FiscalYearQuery = None,
        status: FromQuery[ProjectStatus | None] = None,
        min_amount: AmountQuery = None,
        max_amount: AmountQuery = None,
        organisation_id: FromQuery[uuid.UUID | None] = None,
        q: SearchQuery = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[ProjectOut]:
        """The project library: filter by programme area, target group, year, status, estimated
        amount and declaring department; ``q`` searches titles and rationales."""
        rows = await repository.list_projects(
            session,
            actor.tenant,
            await _project_scope(request, session, actor),
            repository.ProjectFilter(
                programme_area=programme_area.value if programme_area else None,
                target_group=target_group.value if target_group else None,
                fiscal_year=fiscal_year,
                status=status.value if status else None,
                min_amount=_amount(min_amount),
                max_amount=_amount(max_amount),
                organisation_id=organisation_id,
                text=q.strip()[:100] if q and q.strip() else None,
            ),
            limit,
            offset,
        )
        return Page(
            items=await out.projects(session, actor.tenant, rows), limit=limit, offset=offset
        )

    @get("/{project_id:uuid}", opt={"permission": "project:read"})
    async def read(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        project_id: FromPath[uuid.UUID],
    ) -> ProjectDetail:
        """A project with its assessment, cost lines and targets."""
        scope = await _project_scope(request, session, actor)
        project = await projects.get(session, actor, project_id, scope)
        return await out.project_detail(session, project)

    @patch("/{project_id:uuid}", opt={"permission": "project:write"})
    async def update(
        self,
        session: Session,
        actor: CurrentActor,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ProjectUpdate],
    ) -> ProjectDetail:
        changes = {k: v for k, v in _fields(data).items() if v is not None}
        project = await projects.update(session, actor, project_id, changes)
        return await out.project_detail(session, project)

    @put("/{project_id:uuid}/assessment", opt={"permission": "project:write"})
    async def assess(
        self,
        session: Session,
        actor: CurrentActor,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[AssessmentIn],
    ) -> AssessmentOut:
        """需求评估: record (or correct) the survey and assessment behind the project."""
        assessment = await projects.set_assessment(session, actor, project_id, data)
        return out.assessment(assessment)

    @put("/{project_id:uuid}/cost-lines", opt={"permission": "project:write"})
    async def cost(
        self,
        session: Session,
        actor: CurrentActor,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[CostLinesIn],
    ) -> ProjectDetail:
        """成本核算: replace the cost lines; the estimate becomes their exact sum."""
        project = await projects.set_cost_lines(session, actor, project_id, data.lines)
        return await out.project_detail(session, project)

    @put("/{project_id:uuid}/targets", opt={"permission": "project:write"})
    async def set_targets(
        self,
        session: Session,
        actor: CurrentActor,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[TargetsIn],
    ) -> ProjectDetail:
        """Targets of quantity, scale, quality and effect."""
        project = await projects.set_targets(session, actor, project_id, data.targets)
        return await out.project_detail(session, project)

    @post(
        "/{project_id:uuid}/withdraw", opt={"permission": "project:write"}, status_code=HTTP_200_OK
    )
    async def withdraw(
        self,
        session: Session,
        actor: CurrentActor,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[WithdrawIn],
    ) -> ProjectDetail:
        project = await projects.withdraw(session, actor, project_id, data.reason)
        return await out.project_detail(session, project)


class BudgetController(Controller):
    path = f"{TENANT_PATH}/budgets"
    tags = ["planning"]

    @post("/", opt={"permission": "budget:write"}, status_code=201)
    async def create(
        self, session: Session, actor: CurrentActor, data: JSONBody[BudgetCreate]
    ) -> BudgetOut:
        """Start compiling a fiscal year's budget."""
        budget = await budgets.create(session, actor, data.fiscal_year, data.title)
        return await out.budget(session, budget, with_lines=True)

    @get("/", opt={"permission": "budget:read"})
    async def list(
        self,
        session: Session,
        actor: CurrentActor,
        fiscal_year: FiscalYearQuery = None,
        status: FromQuery[BudgetStatus | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[BudgetOut]:
        rows = await repository.list_budgets(
            session, actor.tenant, fiscal_year, status.value if status else None, limit, offset
        )
        return Page(
            items=await out.budgets(session, actor.tenant, rows), limit=limit, offset=offset
        )

    @get("/{budget_id:uuid}", opt={"permission": "budget:read"})
    async def read(
        self, session: Session, actor: CurrentActor, budget_id: FromPath[uuid.UUID]
    ) -> BudgetOut:
        """A budget with its lines and their funding sources."""
        budget = await budgets.get(session, actor, budget_id)
        return await out.budget(session, budget, with_lines=True)

    @post("/{budget_id:uuid}/lines", opt={"permission": "budget:write"}, status_code=201)
    async def add_line(
        self,
        session: Session,
        actor: CurrentActor,
        budget_id: FromPath[uuid.UUID],
        data: JSONBody[LineCreate],
    ) -> LineOut:
        """Put a costed candidate project in the budget, with its funding sources."""
        line = await budgets.add_line(
            session, actor, budget_id, data.project_id, data.amount, data.sources
        )
        return await out.line(session, actor.tenant, line.id)

    @put("/{budget_id:uuid}/lines/{line_id:uuid}", opt={"permission": "budget:write"})
    async def update_line(
        self,
        session: Session,
        actor: CurrentActor,
        budget_id: FromPath[uuid.UUID],
        line_id: FromPath[uuid.UUID],
        data: JSONBody[LineUpdate],
    ) -> LineOut:
        line = await budgets.update_line(
            session, actor, budget_id, line_id, data.amount, data.sources
        )
        return await out.line(session, actor.tenant, line.id)

    @delete(
        "/{budget_id:uuid}/lines/{line_id:uuid}",
        opt={"permission": "budget:write"},
        status_code=204,
    )
    async def remove_line(
        self,
        session: Session,
        actor: CurrentActor,
        budget_id: FromPath[uuid.UUID],
        line_id: FromPath[uuid.UUID],
    ) -> None:
        await budgets.remove_line(session, actor, budget_id, line_id)

    @post("/{budget_id:uuid}/submit", opt={"permission": "budget:submit"}, status_code=HTTP_200_OK)
    async def submit(
        self, session: Session, actor: CurrentActor, budget_id: FromPath[uuid.UUID]
    ) -> BudgetOut:
        """报送: send the budget to the finance bureau."""
        budget = await budgets.submit(session, actor, budget_id)
        return await out.budget(session, budget, with_lines=True)

    @post(
        "/{budget_id:uuid}/decision", opt={"permission": "budget:decide"}, status_code=HTTP_200_OK
    )
    async def decide(
        self,
        session: Session,
        actor: CurrentActor,
        budget_id: FromPath[uuid.UUID],
        data: JSONBody[BudgetDecision],
    ) -> BudgetOut:
        """Finance approves (cutting lines, each with a reason) or returns the budget."""
        budget = await budgets.decide(session, actor, budget_id, data)
        return await out.budget(session, budget, with_lines=True)


class BudgetLineController(Controller):
    """Approved money, as procurement sees it."""

    path = f"{TENANT_PATH}/budget-lines"
    tags = ["planning"]

    @get("/", opt={"permission": "budget:read"})
    async def list(
        self,
        session: Session,
        actor: CurrentActor,
        fiscal_year: FiscalYearQuery = None,
        approved: FromQuery[bool] = True,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[LineOut]:
        """Lines of approved budgets with what is committed and what is left
        (``approved=false`` for the lines of every budget)."""
        rows = await repository.lines(
            session,
            actor.tenant,
            fiscal_year=fiscal_year,
            approved_only=approved,
            limit=limit,
            offset=offset,
        )
        return Page(items=[out.line_out(row) for row in rows], limit=limit, offset=offset)

    @get("/{line_id:uuid}", opt={"permission": "budget:read"})
    async def read(
        self, session: Session, actor: CurrentActor, line_id: FromPath[uuid.UUID]
    ) -> LineDetail:
        """A line with every commitment against it."""
        return await out.line_detail(session, actor.tenant, line_id)


def _amount(value: str | None) -> Decimal | None:
    return None if value is None else money(value)


def _fields(data: JSONBody[ProjectUpdate]) -> dict[str, Any]:
    return {name: getattr(data, name) for name in data.__struct_fields__}
