"""验收小组: the panel of one acceptance, and its members' opinions.

The panel is the buyer's own representatives (civil-affairs users of the region), service
recipients' representatives and at least one third-party member; for a public service — every
social work service is one — the recipients' opinions are required (实施条例 art. 45).

A member who is not a government user gets an account scoped to this acceptance alone: the
role ``acceptance_member`` held on the acceptance (Casbin domain ``<tenant>/acceptance/<id>``),
which reaches this acceptance and nothing else. The buyer names the member by login: an
existing account is reused, a new one is opened with a one-time password shown once to the
buyer and kept only as a hash.

Recipients are often people the service protects (minors, people under community correction,
…: 个人信息保护法 art. 28): members are listed by role and display name to the buyer only, each
read of that list is recorded in the audit chain, and nothing published names them.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import acceptances
from services.delivery.acceptance_errors import AlreadyOnPanel, NotOnPanel
from services.delivery.acceptance_models import Acceptance, AcceptanceMember, AcceptanceOpinion
from services.delivery.acceptance_schemas import (
    AcceptanceStatus,
    MemberIn,
    MemberKind,
    OpinionIn,
)
from services.identity import service as identity
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.kit.settings import Settings
from services.tenancy import service as tenancy


class Seqd(Protocol):
    """An item about one standard: a member's score, a finding of the conclusion."""

    @property
    def seq(self) -> int: ...


BUYER_ROLES = frozenset({Role.civil_affairs_officer, Role.civil_affairs_approver})
_ALPHABET = string.ascii_letters + string.digits


def one_time_password() -> str:
    """16 random letters and digits, with at least one of each (the password policy)."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


async def members(session: AsyncSession, acceptance: Acceptance) -> list[AcceptanceMember]:
    rows = await session.scalars(
        select(AcceptanceMember)
        .where(
            AcceptanceMember.tenant_id == acceptance.tenant_id,
            AcceptanceMember.acceptance_id == acceptance.id,
        )
        .order_by(AcceptanceMember.added_at, AcceptanceMember.user_id)
    )
    return list(rows)


async def opinions(
    session: AsyncSession, acceptance: Acceptance
) -> dict[uuid.UUID, AcceptanceOpinion]:
    rows = await session.scalars(
        select(AcceptanceOpinion).where(
            AcceptanceOpinion.tenant_id == acceptance.tenant_id,
            AcceptanceOpinion.acceptance_id == acceptance.id,
        )
    )
    return {o.user_id: o for o in rows}


async def add_member(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    acceptance_id: uuid.UUID,
    data: MemberIn,
) -> tuple[AcceptanceMember, str | None]:
    """Seats a member on the panel; with a new account, also its one-time password."""
    acceptance = await acceptances.get(session, actor, acceptance_id, lock=True)
    acceptances.require(acceptance, AcceptanceStatus.open)
    user = await identity.find_user(session, data.login)
    if user is not None and user.provider_id is not None:
        raise InvalidField("a provider's account cannot sit on the panel", field="login")
    roles = set() if user is None else await tenancy.roles_in(session, actor.tenant, user.id)
    password: str | None = None
    if data.kind is MemberKind.buyer:
        if user is None or not roles & BUYER_ROLES:
            raise InvalidField(
                "the buyer's representative is a civil-affairs user of this region",
                field="login",
            )
        display_name = data.display_name or user.display_name
    else:
        if data.display_name is None:
            raise InvalidField(
                "name the member as the panel should list them", field="display_name"
            )
        if roles:
            raise InvalidField(
                "a government user of this region sits as the buyer's representative",
                field="login",
            )
        display_name = data.display_name
    if user is not None and await _member(session, acceptance, user.id) is not None:
        raise AlreadyOnPanel("This account sits on the panel already.", field="login")
    if user is None:
        password = one_time_password()
        user = await identity.create_user(
            session, settings, actor, login=data.login, display_name=display_name, password=password
        )
    if data.kind is not MemberKind.buyer:
        # Civil-affairs members act through their own roles here; the others through this.
        await tenancy.grant_on_object(
            session,
            actor,
            user_id=user.id,
            role=Role.acceptance_member,
            object_kind=ObjectType.acceptance.value,
            object_id=acceptance.id,
        )
    member = AcceptanceMember(
        tenant_id=acceptance.tenant_id,
        acceptance_id=acceptance.id,
        user_id=user.id,
        kind=data.kind.value,
        display_name=display_name,
        added_by=actor.user_id,
        added_at=datetime.now(UTC),
    )
    session.add(member)
    await session.flush()
    await record(
        session,
        actor,
        "acceptance.member_added",
        "acceptance",
        acceptance.id,
        after={"user_id": user.id, "kind": data.kind.value, "new_account": password is not None},
    )
    return member, password


async def remove_member(
    session: AsyncSession, actor: Actor, acceptance_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Unseats a member before the conclusion (a wrong login, someone who cannot come): their
    opinion goes with them, and so does the role on this acceptance."""
    acceptance = await acceptances.get(session, actor, acceptance_id, lock=True)
    acceptances.require(acceptance, AcceptanceStatus.open)
    member = await _member(session, acceptance, user_id)
    if member is None:
        raise NotFound("No such member of this panel.")
    await session.execute(
        delete(AcceptanceOpinion).where(
            AcceptanceOpinion.tenant_id == acceptance.tenant_id,
            AcceptanceOpinion.acceptance_id == acceptance.id,
            AcceptanceOpinion.user_id == user_id,
        )
    )
    await session.delete(member)
    await session.flush()
    await tenancy.revoke_on_object(
        session,
        actor,
        user_id=user_id,
        role=Role.acceptance_member,
        object_kind=ObjectType.acceptance.value,
        object_id=acceptance.id,
    )
    await record(
        session,
        actor,
        "acceptance.member_removed",
        "acceptance",
        acceptance.id,
        before={"user_id": user_id, "kind": member.kind},
    )


async def _member(
    session: AsyncSession, acceptance: Acceptance, user_id: uuid.UUID | None
) -> AcceptanceMember | None:
    if user_id is None:
        return None
    return await session.get(AcceptanceMember, (acceptance.tenant_id, acceptance.id, user_id))


def check_cover(standards: list[dict[str, Any]], items: Sequence[Seqd], field: str) -> None:
    """Each standard of the plan exactly once: an unknown or repeated one names its item."""
    known = {int(s["seq"]) for s in standards}
    seen: set[int] = set()
    for i, item in enumerate(items):
        if item.seq not in known:
            raise InvalidField("no standard of the plan has this number", field=f"{field}[{i}].seq")
        if item.seq in seen:
            raise InvalidField("this standard is given twice", field=f"{field}[{i}].seq")
        seen.add(item.seq)
    missing = sorted(known - seen)
    if missing:
        raise InvalidField(
            f"every standard needs one: standard(s) {', '.join(map(str, missing))} missing",
            field=field,
        )


async def record_opinion(
    session: AsyncSession, actor: Actor, acceptance_id: uuid.UUID, data: OpinionIn
) -> tuple[Acceptance, AcceptanceOpinion]:
    """A member's opinion and scores; recorded again, it replaces the member's earlier one
    until the buyer concludes."""
    acceptance = await acceptances.get(session, actor, acceptance_id, lock=True)
    if await _member(session, acceptance, actor.user_id) is None:
        raise NotOnPanel("You do not sit on this acceptance's panel.")
    acceptances.require(acceptance, AcceptanceStatus.open)
    check_cover(acceptance.standards, data.scores, "scores")
    assert actor.user_id is not None
    scores = [
        {"seq": s.seq, "passed": s.passed, "score": s.score, "comment": s.comment}
        for s in sorted(data.scores, key=lambda s: s.seq)
    ]
    key = (acceptance.tenant_id, acceptance.id, actor.user_id)
    opinion = await session.get(AcceptanceOpinion, key, with_for_update=True)
    before = None if opinion is None else {"opinion": opinion.opinion, "scores": opinion.scores}
    if opinion is None:
        opinion = AcceptanceOpinion(
            tenant_id=acceptance.tenant_id, acceptance_id=acceptance.id, user_id=actor.user_id
        )
        session.add(opinion)
    opinion.opinion = data.opinion
    opinion.scores = scores
    opinion.recorded_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "acceptance.opinion_recorded",
        "acceptance",
        acceptance.id,
        before=before,
        after={"opinion": data.opinion, "scores": scores},
    )
    return acceptance, opinion


async def read_panel(
    session: AsyncSession, actor: Actor, acceptance_id: uuid.UUID
) -> tuple[Acceptance, list[AcceptanceMember], dict[uuid.UUID, AcceptanceOpinion]]:
    """The panel by name, for the buyer; each read is recorded (the names may be of people
    the service protects)."""
    acceptance = await acceptances.get(session, actor, acceptance_id)
    seated = await members(session, acceptance)
    await record(
        session,
        actor,
        "acceptance.panel_read",
        "acceptance",
        acceptance.id,
        after={"members": len(seated)},
    )
    return acceptance, seated, await opinions(session, acceptance)
