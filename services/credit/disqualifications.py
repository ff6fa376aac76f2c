"""不良行为记录: civil affairs records a disqualification, another person confirms it.

proposed ─confirm→ confirmed ─revoke→ revoked
    └────reject──→ rejected

Four eyes: whoever confirms or rejects must not be whoever recorded it (the table's CHECK
holds the same rule). Confirming and revoking change where the provider may bid, so each
enqueues ``credit.provider_bars_changed`` in the same transaction: the worker tells every
region concerned.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import events, facts, repository, rules
from services.credit.errors import (
    FactsDoNotWarrant,
    FourEyes,
    PeriodOutOfRange,
    ProviderNotKnownHere,
    ScopeNotAllowed,
    WrongState,
)
from services.credit.fact_schemas import FactKind, FromFactsIn
from services.credit.models import CreditFact, Disqualification
from services.credit.schemas import DisqualificationCreate, Status
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField, NotFound
from services.kit.outbox import enqueue
from services.notifications import service as notifications
from services.tenancy import service as tenancy

S = Status
TRANSITIONS: dict[S, frozenset[S]] = {
    S.proposed: frozenset({S.confirmed, S.rejected}),
    S.confirmed: frozenset({S.revoked}),
    S.rejected: frozenset(),
    S.revoked: frozenset(),
}
BARS_CHANGED_JOB = "credit.provider_bars_changed"
QUEUE = "credit"
FIELDS = (
    "provider_id",
    "scope",
    "starts_on",
    "ends_on",
    "reason",
    "legal_basis",
    "ground",
    "status",
    "recorded_by",
    "decided_by",
    "decided_at",
    "decision_note",
    "revoked_by",
    "revoked_at",
    "revoked_reason",
)


def snapshot(disqualification: Disqualification) -> dict[str, Any]:
    return {name: getattr(disqualification, name) for name in FIELDS}


def bars_changed_key(disqualification: Disqualification) -> str:
    return f"credit-bars-changed:{disqualification.id}:{disqualification.status}"


def _move(disqualification: Disqualification, to: S) -> None:
    if to not in TRANSITIONS[S(disqualification.status)]:
        raise WrongState(f"A {disqualification.status} disqualification cannot become {to.value}.")
    disqualification.status = to.value
    disqualification.updated_at = datetime.now(UTC)


async def _check_provider(session: AsyncSession, tenant: str, provider_id: uuid.UUID) -> None:
    """The provider must exist and have applied here at some time (whatever the outcome: a
    provider refused for false papers is exactly who art. 77 is for)."""
    try:
        await tenancy.get_provider(session, provider_id)
    except NotFound:
        raise InvalidField("no provider has this id", field="provider_id") from None
    if await tenancy.provider_registration_id(session, tenant, provider_id) is None:
        raise ProviderNotKnownHere(
            "the provider has never applied for registration in this region",
            field="provider_id",
        )


def _check_terms(tenant: str, body: DisqualificationCreate) -> None:
    if body.scope not in rules.scopes_allowed(tenant):
        raise ScopeNotAllowed(
            "only a province-level region may disqualify nationwide; use tenant or province",
            field="scope",
        )
    if not rules.period_ok(body.starts_on, body.ends_on):
        raise PeriodOutOfRange(
            "must be between 1 and 3 years after starts_on "
            f"({rules.add_years(body.starts_on, 1)} … {rules.add_years(body.starts_on, 3)})",
            field="ends_on",
        )
    if body.ends_on <= rules.today():
        raise PeriodOutOfRange("the period would be over already", field="ends_on")


async def create(
    session: AsyncSession, actor: Actor, body: DisqualificationCreate
) -> Disqualification:
    assert actor.user_id is not None
    _check_terms(actor.tenant, body)
    await _check_provider(session, actor.tenant, body.provider_id)
    disqualification = Disqualification(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        provider_id=body.provider_id,
        scope=body.scope.value,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        reason=body.reason,
        legal_basis=body.legal_basis,
        ground=body.ground.value,
        status=S.proposed.value,
        recorded_by=actor.user_id,
    )
    session.add(disqualification)
    await session.flush()
    await record(
        session,
        actor,
        "disqualification.recorded",
        "disqualification",
        disqualification.id,
        after=snapshot(disqualification),
    )
    await notifications.notify(
        session,
        actor,
        event_type=events.DISQUALIFICATION_PROPOSED.name,
        recipients=await tenancy.holders(session, actor.tenant, (Role.civil_affairs_approver,)),
        context=await message_context(session, disqualification),
        tenant=actor.tenant,
    )
    return disqualification


async def get(
    session: AsyncSession, actor: Actor, disqualification_id: uuid.UUID, lock: bool = False
) -> Disqualification:
    disqualification = await repository.get(session, actor.tenant, disqualification_id, lock)
    if disqualification is None:
        raise NotFound("No such disqualification.")
    return disqualification


async def _decide(
    session: AsyncSession,
    actor: Actor,
    disqualification_id: uuid.UUID,
    outcome: S,
    note: str | None,
) -> Disqualification:
    disqualification = await get(session, actor, disqualification_id, lock=True)
    if disqualification.recorded_by == actor.user_id:
        raise FourEyes("You recorded this disqualification; another approver must decide it.")
    before = snapshot(disqualification)
    _move(disqualification, outcome)
    disqualification.decided_by = actor.user_id
    disqualification.decided_at = datetime.now(UTC)
    disqualification.decision_note = note
    await session.flush()
    await record(
        session,
        actor,
        f"disqualification.{outcome.value}",
        "disqualification",
        disqualification.id,
        before=before,
        after=snapshot(disqualification),
    )
    return disqualification


async def confirm(
    session: AsyncSession, actor: Actor, disqualification_id: uuid.UUID, note: str | None
) -> Disqualification:
    disqualification = await _decide(session, actor, disqualification_id, S.confirmed, note)
    await _bars_changed(session, actor, disqualification)
    return disqualification


async def reject(
    session: AsyncSession, actor: Actor, disqualification_id: uuid.UUID, note: str
) -> Disqualification:
    return await _decide(session, actor, disqualification_id, S.rejected, note)


async def revoke(
    session: AsyncSession, actor: Actor, disqualification_id: uuid.UUID, reason: str
) -> Disqualification:
    """撤销: the record stays, marked revoked with who, when and why; it bars no more."""
    disqualification = await get(session, actor, disqualification_id, lock=True)
    before = snapshot(disqualification)
    _move(disqualification, S.revoked)
    disqualification.revoked_by = actor.user_id
    disqualification.revoked_at = datetime.now(UTC)
    disqualification.revoked_reason = reason
    await session.flush()
    await record(
        session,
        actor,
        "disqualification.revoked",
        "disqualification",
        disqualification.id,
        before=before,
        after=snapshot(disqualification),
    )
    await _bars_changed(session, actor, disqualification)
    return disqualification


async def _bars_changed(
    session: AsyncSession, actor: Actor, disqualification: Disqualification
) -> None:
    await enqueue(
        session,
        actor,
        BARS_CHANGED_JOB,
        {"disqualification_id": str(disqualification.id), "status": disqualification.status},
        queue_name=QUEUE,
        message_key=bars_changed_key(disqualification),
    )


async def message_context(
    session: AsyncSession, disqualification: Disqualification
) -> dict[str, Any]:
    """What every credit notification about this record says, for the recording region."""
    provider = await tenancy.get_provider(session, disqualification.provider_id)
    source = await tenancy.get_tenant(session, disqualification.tenant_id)
    province = await _name_or_code(session, rules.province_of(disqualification.tenant_id))
    return {
        "tenant_name": source.name,
        "source_name": source.name,
        "province_name": province,
        "provider_name": provider.name,
        "uscc": provider.uscc,
        "scope": disqualification.scope,
        "starts_on": disqualification.starts_on,
        "last_day": disqualification.ends_on - rules.ONE_DAY,
        "ends_on": disqualification.ends_on,
        "legal_basis": disqualification.legal_basis,
        "disqualification_id": disqualification.id,
        "provider_id": provider.id,
    }


async def _name_or_code(session: AsyncSession, code: str) -> str:
    try:
        return (await tenancy.get_tenant(session, code)).name
    except NotFound:
        return code


# --- prefilled from credit facts --------------------------------------------------------------

_KIND_NAMES = {
    FactKind.acceptance_passed: "验收合格",
    FactKind.acceptance_failed: "验收不合格",
    FactKind.evaluation_graded: "第三方评估定级",
    FactKind.breach: "违约",
    FactKind.rectification_overdue: "逾期未整改",
}


def warrants(fact: CreditFact) -> bool:
    """A 不合格 grade or a breach: what lets civil affairs open a disqualification."""
    kind = FactKind(fact.kind)
    return kind is FactKind.breach or (
        kind is FactKind.evaluation_graded and fact.details.get("grade") == "fail"
    )


def reason_from(found: list[CreditFact], note: str | None) -> str:
    lines = ["依据本地区记录的以下信用事实："]
    lines += [
        f"{i}. {fact.occurred_on.isoformat()} {_KIND_NAMES[FactKind(fact.kind)]}：{fact.summary}"
        f"（信用事实 {fact.id}）"
        for i, fact in enumerate(found, 1)
    ]
    if note:
        lines += ["", note]
    return "\n".join(lines)


async def create_from_facts(
    session: AsyncSession, actor: Actor, body: FromFactsIn
) -> Disqualification:
    """A proposed disqualification whose reason lists the chosen facts of this region; an
    approver other than the recorder confirms it, as any other."""
    found = await facts.chosen(session, actor.tenant, body.provider_id, body.fact_ids)
    if len(found) != len(set(body.fact_ids)):
        raise InvalidField(
            "each must be a credit fact of this provider recorded in this region",
            field="fact_ids",
        )
    if not any(warrants(fact) for fact in found):
        raise FactsDoNotWarrant(
            "none of these facts is a 不合格 evaluation grade or a breach", field="fact_ids"
        )
    return await create(
        session,
        actor,
        DisqualificationCreate(
            provider_id=body.provider_id,
            scope=body.scope,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            reason=reason_from(found, body.note),
            legal_basis=body.legal_basis,
            ground=body.ground,
        ),
    )
