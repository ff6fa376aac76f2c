"""Which planning objects documents may be attached to, and by whom.

A partner department attaches to its own declarations; civil affairs to declarations,
projects and assessments; civil affairs and finance to budgets. Anything else is "no such
object" — the documents context answers that without knowing planning's rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents.service import register_object_type
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.errors import NotFound
from services.kit.objects import ObjectType
from services.planning.models import Budget, NeedsAssessment, NeedsDeclaration, Project
from services.tenancy import service as tenancy

CIVIL_AFFAIRS = frozenset({Role.civil_affairs_officer, Role.civil_affairs_approver})
FINANCE = frozenset({Role.finance_officer, Role.finance_approver})


async def _roles(session: AsyncSession, actor: Actor) -> set[Role]:
    if actor.user_id is None or actor.provider_id is not None:
        return set()
    return await tenancy.roles_in(session, actor.tenant, actor.user_id)


async def _declaration(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    declaration = await session.scalar(
        select(NeedsDeclaration).where(
            NeedsDeclaration.tenant_id == actor.tenant, NeedsDeclaration.id == object_id
        )
    )
    if declaration is None:
        raise NotFound()
    roles = await _roles(session, actor)
    if roles & CIVIL_AFFAIRS and declaration.first_submitted_at is not None:
        return None
    if Role.partner_department in roles and actor.user_id is not None:
        mine = await tenancy.organisations_of(
            session, actor.tenant, actor.user_id, Role.partner_department
        )
        if declaration.organisation_id in mine:
            return None
    raise NotFound()


def _government_object(
    model: type[Project] | type[NeedsAssessment] | type[Budget], allowed: frozenset[Role]
) -> Callable[[AsyncSession, Actor, uuid.UUID], Awaitable[uuid.UUID | None]]:
    async def check(session: AsyncSession, actor: Actor, object_id: uuid.UUID) -> uuid.UUID | None:
        found = await session.scalar(
            select(model.id).where(model.tenant_id == actor.tenant, model.id == object_id)
        )
        if found is None or not (await _roles(session, actor)) & allowed:
            raise NotFound()
        return None

    return check


register_object_type(ObjectType.needs_declaration, owner=_declaration)
register_object_type(ObjectType.project, owner=_government_object(Project, CIVIL_AFFAIRS))
register_object_type(
    ObjectType.needs_assessment, owner=_government_object(NeedsAssessment, CIVIL_AFFAIRS)
)
register_object_type(ObjectType.budget, owner=_government_object(Budget, CIVIL_AFFAIRS | FINANCE))
