"""需求申报: partner departments declare needs to civil affairs; every version is kept.

draft ─submit→ submitted ─accept→ accepted
  ↑                 └──return→ returned ─revise→ draft (a new version)
draft, submitted, returned ─withdraw→ withdrawn
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import NotFound
from services.kit.money import money
from services.planning import events, repository
from services.planning.errors import NotYourDepartment, WrongState
from services.planning.handoffs import CIVIL_AFFAIRS, notify_holders
from services.planning.locations import check_location
from services.planning.models import DeclarationVersion, NeedsDeclaration
from services.planning.schemas import DeclarationContent, DeclarationCreate, DeclarationStatus
from services.tenancy import service as tenancy

S = DeclarationStatus
TRANSITIONS: dict[S, frozenset[S]] = {
    S.draft: frozenset({S.submitted, S.withdrawn}),
    S.submitted: frozenset({S.accepted, S.returned, S.withdrawn}),
    S.returned: frozenset({S.draft, S.withdrawn}),
    S.accepted: frozenset(),
    S.withdrawn: frozenset(),
}
VERSION_FIELDS = (
    "title",
    "programme_area",
    "target_groups",
    "county_code",
    "street",
    "estimated_beneficiaries",
    "requested_amount",
    "justification",
)


@dataclass(frozen=True)
class Scope:
    """What a reader may see: every submitted declaration (civil affairs), or all of their
    own departments' declarations, drafts included (a partner department's user)."""

    organisation_ids: tuple[uuid.UUID, ...] | None

    @property
    def everything_submitted(self) -> bool:
        return self.organisation_ids is None


async def scope_for(session: AsyncSession, actor: Actor, sees_all: bool) -> Scope:
    if sees_all:
        return Scope(None)
    return Scope(tuple(await _departments(session, actor)))


async def _departments(session: AsyncSession, actor: Actor) -> list[uuid.UUID]:
    assert actor.user_id is not None
    return await tenancy.organisations_of(
        session, actor.tenant, actor.user_id, Role.partner_department
    )


def _move(declaration: NeedsDeclaration, to: S) -> None:
    if to not in TRANSITIONS[S(declaration.status)]:
        raise WrongState(f"A {declaration.status} declaration cannot become {to.value}.")
    declaration.status = to.value
    declaration.updated_at = datetime.now(UTC)


def _snapshot(declaration: NeedsDeclaration, version: DeclarationVersion) -> dict[str, Any]:
    content = {name: getattr(version, name) for name in VERSION_FIELDS}
    return {"status": declaration.status, "version": declaration.version, **content}


def _content(body: DeclarationContent, tenant: str) -> dict[str, Any]:
    check_location(tenant, body.county_code)
    return {
        "title": body.title,
        "programme_area": body.programme_area.value,
        "target_groups": [group.value for group in dict.fromkeys(body.target_groups)],
        "county_code": body.county_code,
        "street": body.street,
        "estimated_beneficiaries": body.estimated_beneficiaries,
        "requested_amount": money(body.requested_amount),
        "justification": body.justification,
    }


async def create(session: AsyncSession, actor: Actor, body: DeclarationCreate) -> NeedsDeclaration:
    assert actor.user_id is not None
    departments = await _departments(session, actor)
    if body.organisation_id is not None:
        if body.organisation_id not in departments:
            raise NotYourDepartment(
                "you do not declare for this organisation here", field="organisation_id"
            )
        organisation_id = body.organisation_id
    elif len(departments) == 1:
        organisation_id = departments[0]
    else:
        raise NotYourDepartment(
            "name the department you declare for"
            if departments
            else "your role here belongs to no department; ask the administrator",
            field="organisation_id",
        )
    content = _content(body, actor.tenant)
    declaration = NeedsDeclaration(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        fiscal_year=body.fiscal_year,
        status=S.draft.value,
        version=1,
        created_by=actor.user_id,
    )
    version = DeclarationVersion(
        tenant_id=actor.tenant,
        declaration_id=declaration.id,
        version=1,
        created_by=actor.user_id,
        **content,
    )
    session.add(declaration)
    await session.flush()
    session.add(version)
    await session.flush()
    await record(
        session,
        actor,
        "needs_declaration.created",
        "needs_declaration",
        declaration.id,
        after=_snapshot(declaration, version),
    )
    return declaration


async def get(
    session: AsyncSession, actor: Actor, scope: Scope, declaration_id: uuid.UUID, lock: bool = False
) -> NeedsDeclaration:
    declaration = await repository.get_declaration(
        session, actor.tenant, declaration_id, scope.organisation_ids, lock
    )
    if declaration is None:
        raise NotFound("No such needs declaration.")
    return declaration


async def current_version(
    session: AsyncSession, declaration: NeedsDeclaration
) -> DeclarationVersion:
    version = await session.get(
        DeclarationVersion, (declaration.tenant_id, declaration.id, declaration.version)
    )
    assert version is not None
    return version


async def versions(
    session: AsyncSession, declaration: NeedsDeclaration
) -> Sequence[DeclarationVersion]:
    return (
        await session.scalars(
            select(DeclarationVersion)
            .where(
                DeclarationVersion.tenant_id == declaration.tenant_id,
                DeclarationVersion.declaration_id == declaration.id,
            )
            .order_by(DeclarationVersion.version)
        )
    ).all()


async def _own(session: AsyncSession, actor: Actor, declaration_id: uuid.UUID) -> NeedsDeclaration:
    scope = Scope(tuple(await _departments(session, actor)))
    return await get(session, actor, scope, declaration_id, lock=True)


async def revise(
    session: AsyncSession, actor: Actor, declaration_id: uuid.UUID, body: DeclarationContent
) -> NeedsDeclaration:
    """Edit a draft in place; revising a returned declaration starts its next version."""
    assert actor.user_id is not None
    declaration = await _own(session, actor, declaration_id)
    version = await current_version(session, declaration)
    before = _snapshot(declaration, version)
    content = _content(body, actor.tenant)
    if declaration.status == S.returned:
        _move(declaration, S.draft)
        declaration.version += 1
        version = DeclarationVersion(
            tenant_id=actor.tenant,
            declaration_id=declaration.id,
            version=declaration.version,
            created_by=actor.user_id,
            **content,
        )
        session.add(version)
    elif declaration.status == S.draft:
        for name, value in content.items():
            setattr(version, name, value)
        declaration.updated_at = datetime.now(UTC)
    else:
        raise WrongState(f"A {declaration.status} declaration cannot be edited.")
    await session.flush()
    await record(
        session,
        actor,
        "needs_declaration.revised",
        "needs_declaration",
        declaration.id,
        before=before,
        after=_snapshot(declaration, version),
    )
    return declaration


async def submit(
    session: AsyncSession, actor: Actor, declaration_id: uuid.UUID
) -> NeedsDeclaration:
    declaration = await _own(session, actor, declaration_id)
    version = await current_version(session, declaration)
    _move(declaration, S.submitted)
    now = datetime.now(UTC)
    version.submitted_at = now
    version.submitted_by = actor.user_id
    declaration.first_submitted_at = declaration.first_submitted_at or now
    await session.flush()
    await record(
        session,
        actor,
        "needs_declaration.submitted",
        "needs_declaration",
        declaration.id,
        after=_snapshot(declaration, version),
    )
    organisation = await tenancy.get_organisation(
        session, actor.tenant, declaration.organisation_id
    )
    await notify_holders(
        session,
        actor,
        events.DECLARATION_SUBMITTED,
        CIVIL_AFFAIRS,
        {
            **await _context(session, actor, declaration, version),
            "organisation_name": organisation.name,
            "fiscal_year": declaration.fiscal_year,
            "requested_amount": version.requested_amount,
        },
    )
    return declaration


async def withdraw(
    session: AsyncSession, actor: Actor, declaration_id: uuid.UUID
) -> NeedsDeclaration:
    declaration = await _own(session, actor, declaration_id)
    before = declaration.status
    _move(declaration, S.withdrawn)
    await session.flush()
    await record(
        session,
        actor,
        "needs_declaration.withdrawn",
        "needs_declaration",
        declaration.id,
        before={"status": before},
        after={"status": declaration.status},
    )
    return declaration


async def decide(
    session: AsyncSession,
    actor: Actor,
    declaration_id: uuid.UUID,
    accept: bool,
    comment: str | None,
) -> NeedsDeclaration:
    """Civil affairs accepts a submitted declaration or returns it with comments."""
    declaration = await get(session, actor, Scope(None), declaration_id, lock=True)
    version = await current_version(session, declaration)
    outcome = S.accepted if accept else S.returned
    _move(declaration, outcome)
    version.decision = outcome.value
    version.decision_comment = comment
    version.decided_by = actor.user_id
    version.decided_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        f"needs_declaration.{outcome.value}",
        "needs_declaration",
        declaration.id,
        after={**_snapshot(declaration, version), "comment": comment},
    )
    await notify_holders(
        session,
        actor,
        events.DECLARATION_ACCEPTED if accept else events.DECLARATION_RETURNED,
        (Role.partner_department,),
        {**await _context(session, actor, declaration, version), "comment": comment},
        declaration.organisation_id,
    )
    return declaration


async def _context(
    session: AsyncSession, actor: Actor, declaration: NeedsDeclaration, version: DeclarationVersion
) -> dict[str, Any]:
    return {
        "tenant_name": (await tenancy.get_tenant(session, actor.tenant)).name,
        "title": version.title,
        "version": version.version,
        "declaration_id": declaration.id,
    }
