"""第三方评估: civil affairs engages an evaluation organisation for a signed contract; the
evaluator scores and submits; civil affairs confirms (its approver) or returns it.

engaged ─submit→ submitted ─confirm→ confirmed
   ↑                 │
   └─────return──────┘

Engaging is a purchase of its own, so the evaluator need not be registered in the region; it
must be marked as an evaluation organisation, not barred here, and independent of the
evaluated provider (``tenancy.service.ties_between``). Its users reach the engagement by a
query filter (evaluator = their provider), as a provider reaches its own contracts.

A confirmed grade is used the lawful way: a credit fact of the provider (``evaluation_graded``),
and the grade kept on the project for the budget review of its renewal — never a scoring
criterion nor shown to an evaluation committee (实施条例 arts. 20, 41). A confirmed final
evaluation with ``follow_up_months`` is followed up by the chronograph (``evaluation_clock``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.contracts.service import ContractStatus
from services.credit import service as credit
from services.delivery import evaluation_events as events
from services.delivery import evaluation_rules as rules
from services.delivery.evaluation_errors import (
    ContractNotSigned,
    EvaluationIncomplete,
    EvaluationWrongState,
    EvaluatorTied,
    NotAnEvaluator,
    ScoreOutOfRange,
)
from services.delivery.evaluation_models import Evaluation
from services.delivery.evaluation_schemas import (
    EngageIn,
    EvaluationKind,
    EvaluationStatus,
    ScoresIn,
)
from services.documents import service as documents
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.notifications import service as notifications
from services.notifications.service import EventType
from services.planning import service as planning
from services.planning.service import EvaluationGrade
from services.tenancy import service as tenancy

S = EvaluationStatus
TRANSITIONS: dict[S, frozenset[S]] = {
    S.engaged: frozenset({S.submitted}),
    S.submitted: frozenset({S.confirmed, S.engaged}),
    S.confirmed: frozenset(),
}
CIVIL_AFFAIRS = (Role.civil_affairs_officer, Role.civil_affairs_approver)
# A contract is evaluated once signed; a terminated one still has a record to evaluate.
EVALUABLE = frozenset({ContractStatus.signed, ContractStatus.terminated})
KIND_NAMES = {EvaluationKind.final: "终期评估", EvaluationKind.follow_up: "跟踪评估"}
FIELDS = (
    "status",
    "scores",
    "total",
    "grade",
    "comments",
    "report_document_id",
    "return_note",
    "submitted_by",
    "submitted_at",
    "confirmed_by",
    "confirmed_at",
    "follow_up_due_at",
    "follow_up_opened_at",
)


def snapshot(evaluation: Evaluation) -> dict[str, Any]:
    return {name: getattr(evaluation, name) for name in FIELDS}


def _move(evaluation: Evaluation, to: S) -> None:
    if to not in TRANSITIONS[S(evaluation.status)]:
        raise EvaluationWrongState(f"A {evaluation.status} evaluation cannot become {to.value}.")
    evaluation.status = to.value
    evaluation.updated_at = datetime.now(UTC)


# --- reading ----------------------------------------------------------------------------------


def _visible(tenant: str, actor: Actor) -> Select[Evaluation]:
    query = select(Evaluation).where(Evaluation.tenant_id == tenant)
    if actor.provider_id is not None:
        # The evaluator's users see its own engagements; any other provider none.
        query = query.where(Evaluation.evaluator_id == actor.provider_id)
    return query


async def get(
    session: AsyncSession, actor: Actor, evaluation_id: uuid.UUID, *, lock: bool = False
) -> Evaluation:
    """The evaluation as the actor may see it; another region's, another evaluator's or a
    missing one is the same 404."""
    query = _visible(actor.tenant, actor).where(Evaluation.id == evaluation_id)
    if lock:
        query = query.with_for_update()
    found = await session.scalar(query)
    if found is None:
        raise NotFound("No such evaluation.")
    return found


async def list_(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Sequence[Evaluation]:
    query = _visible(actor.tenant, actor)
    if contract_id is not None:
        query = query.where(Evaluation.contract_id == contract_id)
    query = query.order_by(Evaluation.created_at.desc(), Evaluation.id).limit(limit).offset(offset)
    return (await session.scalars(query)).all()


async def of_evaluator(session: AsyncSession, evaluator_id: uuid.UUID) -> Sequence[Evaluation]:
    """The evaluator's engagements in every region (its ``evaluator_own_rows`` policy)."""
    rows = await session.scalars(
        select(Evaluation)
        .where(Evaluation.evaluator_id == evaluator_id)
        .order_by(Evaluation.created_at.desc(), Evaluation.tenant_id, Evaluation.id)
    )
    return rows.all()


async def follow_up_of(session: AsyncSession, evaluation: Evaluation) -> uuid.UUID | None:
    return await session.scalar(
        select(Evaluation.id).where(
            Evaluation.tenant_id == evaluation.tenant_id,
            Evaluation.parent_id == evaluation.id,
        )
    )


# --- telling ----------------------------------------------------------------------------------


async def context(session: AsyncSession, evaluation: Evaluation) -> dict[str, Any]:
    provider = await tenancy.get_provider(session, evaluation.provider_id)
    evaluator = await tenancy.get_provider(session, evaluation.evaluator_id)
    return {
        "tenant_name": (await tenancy.get_tenant(session, evaluation.tenant_id)).name,
        "title": evaluation.contract_title,
        "provider_name": provider.name,
        "evaluator_name": evaluator.name,
        "kind_name": KIND_NAMES[EvaluationKind(evaluation.kind)],
        "evaluation_id": evaluation.id,
        "contract_id": evaluation.contract_id,
    }


async def tell(
    session: AsyncSession,
    actor: Actor,
    evaluation: Evaluation,
    event: EventType,
    *,
    evaluator: bool = False,
    roles: tuple[Role, ...] = (),
    extra: dict[str, Any] | None = None,
) -> None:
    """Tell the evaluator's administrators and whoever holds ``roles`` in the region."""
    recipients = await tenancy.holders(session, evaluation.tenant_id, roles) if roles else []
    if evaluator:
        recipients += await tenancy.provider_admins(session, evaluation.evaluator_id)
    if not recipients:
        return
    await notifications.notify(
        session,
        actor,
        event_type=event.name,
        recipients=list(dict.fromkeys(recipients)),
        context={**await context(session, evaluation), **(extra or {})},
        tenant=evaluation.tenant_id,
    )


# --- engaging ---------------------------------------------------------------------------------


async def _check_evaluator(
    session: AsyncSession, tenant: str, evaluator_id: uuid.UUID, provider_id: uuid.UUID
) -> None:
    try:
        evaluator = await tenancy.get_provider(session, evaluator_id)
    except NotFound:
        raise InvalidField("no provider has this id", field="evaluator_id") from None
    ties = await tenancy.ties_between(session, evaluator_id, provider_id)
    if ties:
        raise EvaluatorTied(
            "The evaluation organisation is tied to the evaluated provider: "
            + "; ".join(tie.detail for tie in ties)
            + ".",
            ties=[{"kind": tie.kind, "detail": tie.detail} for tie in ties],
        )
    if not evaluator.is_evaluator:
        raise NotAnEvaluator(
            "the provider is not marked as an evaluation organisation", field="evaluator_id"
        )
    await credit.check_eligible(session, evaluator_id, tenant)


async def engage(session: AsyncSession, actor: Actor, body: EngageIn) -> Evaluation:
    brief = await contracts.contract_brief(session, actor.tenant, body.contract_id)
    if brief is None:
        raise InvalidField("no contract of this region has this id", field="contract_id")
    if brief.status not in EVALUABLE:
        raise ContractNotSigned(f"The contract is {brief.status.value}; it is not signed.")
    await _check_evaluator(session, actor.tenant, body.evaluator_id, brief.provider_id)
    evaluation = Evaluation(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        contract_id=brief.id,
        project_id=brief.project_id,
        contract_title=brief.title,
        provider_id=brief.provider_id,
        evaluator_id=body.evaluator_id,
        kind=EvaluationKind.final.value,
        follow_up_months=body.follow_up_months,
        status=S.engaged.value,
        scores={},
        engaged_by=actor.user_id,
    )
    session.add(evaluation)
    await session.flush()
    await record(
        session,
        actor,
        "evaluation.engaged",
        "evaluation",
        evaluation.id,
        after={
            "contract_id": brief.id,
            "provider_id": brief.provider_id,
            "evaluator_id": body.evaluator_id,
            "follow_up_months": body.follow_up_months,
        },
    )
    await tell(session, actor, evaluation, events.ENGAGED, evaluator=True)
    return evaluation


# --- scoring ----------------------------------------------------------------------------------


def _scores(body: ScoresIn) -> dict[str, Decimal]:
    given: dict[str, Decimal] = {}
    for name, (maximum, label) in rules.DIMENSIONS.items():
        value = Decimal(getattr(body.scores, name))
        if value > maximum:
            raise ScoreOutOfRange(f"{label} is scored out of {maximum}", field=f"scores.{name}")
        given[name] = value
    return given


async def save_scores(
    session: AsyncSession, actor: Actor, evaluation_id: uuid.UUID, body: ScoresIn
) -> Evaluation:
    """The evaluator's sheet, comments and report, kept until it submits."""
    evaluation = await get(session, actor, evaluation_id, lock=True)
    if S(evaluation.status) is not S.engaged:
        raise EvaluationWrongState(f"The evaluation is {evaluation.status}; scores are fixed.")
    scores = _scores(body)
    if body.report_document_id is not None:
        attached = await documents.current_version(
            session, actor.tenant, ObjectType.evaluation, evaluation.id, body.report_document_id
        )
        if attached is None:
            raise InvalidField(
                "no document of this evaluation has this id (upload it with object_type"
                " 'evaluation' first)",
                field="report_document_id",
            )
    before = snapshot(evaluation)
    evaluation.scores = {name: f"{value:f}" for name, value in scores.items()}
    evaluation.comments = body.comments
    evaluation.report_document_id = body.report_document_id
    evaluation.updated_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "evaluation.scored",
        "evaluation",
        evaluation.id,
        before=before,
        after=snapshot(evaluation),
    )
    return evaluation


async def submit(session: AsyncSession, actor: Actor, evaluation_id: uuid.UUID) -> Evaluation:
    """Submit the sheet: the server adds the total and grades it by the published thresholds."""
    evaluation = await get(session, actor, evaluation_id, lock=True)
    if S(evaluation.status) is not S.engaged:
        raise EvaluationWrongState(f"The evaluation is {evaluation.status} already.")
    if set(evaluation.scores) != set(rules.DIMENSIONS):
        raise EvaluationIncomplete("score every dimension first", field="scores")
    if evaluation.report_document_id is None:
        raise EvaluationIncomplete("attach the evaluation report first", field="report_document_id")
    before = snapshot(evaluation)
    total = rules.total_of({k: Decimal(v) for k, v in evaluation.scores.items()})
    _move(evaluation, S.submitted)
    evaluation.total = total
    evaluation.grade = rules.grade_for(total).value
    evaluation.return_note = None
    evaluation.submitted_by = actor.user_id
    evaluation.submitted_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "evaluation.submitted",
        "evaluation",
        evaluation.id,
        before=before,
        after=snapshot(evaluation),
    )
    grade = EvaluationGrade(evaluation.grade)
    await tell(
        session,
        actor,
        evaluation,
        events.SUBMITTED,
        roles=CIVIL_AFFAIRS,
        extra={"total": f"{total:f}", "grade": grade.value, "grade_name": rules.GRADE_NAMES[grade]},
    )
    return evaluation


# --- civil affairs decides --------------------------------------------------------------------


async def return_(
    session: AsyncSession, actor: Actor, evaluation_id: uuid.UUID, note: str
) -> Evaluation:
    evaluation = await get(session, actor, evaluation_id, lock=True)
    before = snapshot(evaluation)
    _move(evaluation, S.engaged)
    evaluation.total = None
    evaluation.grade = None
    evaluation.return_note = note
    await session.flush()
    await record(
        session,
        actor,
        "evaluation.returned",
        "evaluation",
        evaluation.id,
        before=before,
        after=snapshot(evaluation),
    )
    await tell(session, actor, evaluation, events.RETURNED, evaluator=True, extra={"note": note})
    return evaluation


def fact_summary(evaluation: Evaluation, title: str) -> str:
    grade = EvaluationGrade(evaluation.grade or "fail")
    kind = KIND_NAMES[EvaluationKind(evaluation.kind)]
    return f"{kind}等级{rules.GRADE_NAMES[grade]}（总分{evaluation.total}），项目：{title}"


async def confirm(
    session: AsyncSession, actor: Actor, evaluation_id: uuid.UUID, note: str | None
) -> Evaluation:
    """确认: the grade becomes a credit fact of the provider and the project's latest grade;
    a final evaluation with follow-up months gets the moment its follow-up falls due."""
    evaluation = await get(session, actor, evaluation_id, lock=True)
    before = snapshot(evaluation)
    _move(evaluation, S.confirmed)
    now = datetime.now(UTC)
    evaluation.confirmed_by = actor.user_id
    evaluation.confirmed_at = now
    if evaluation.kind == EvaluationKind.final and evaluation.follow_up_months:
        evaluation.follow_up_due_at = rules.follow_up_due(now, evaluation.follow_up_months)
    await session.flush()
    await record(
        session,
        actor,
        "evaluation.confirmed",
        "evaluation",
        evaluation.id,
        before=before,
        after={**snapshot(evaluation), "note": note},
    )
    grade = EvaluationGrade(evaluation.grade or "fail")
    await credit.record_fact(
        session,
        actor,
        provider_id=evaluation.provider_id,
        kind=credit.FactKind.evaluation_graded,
        source_kind="evaluation",
        source_id=evaluation.id,
        summary=fact_summary(evaluation, evaluation.contract_title),
        details={
            "grade": grade.value,
            "total": evaluation.total,
            "evaluation_kind": evaluation.kind,
            "evaluator_id": evaluation.evaluator_id,
        },
        occurred_on=rules.china_day(now),
    )
    await planning.record_evaluation_grade(
        session,
        actor,
        project_id=evaluation.project_id,
        evaluation_id=evaluation.id,
        grade=grade,
        graded_on=rules.china_day(now),
    )
    return evaluation


# --- the follow-up ----------------------------------------------------------------------------


async def open_follow_up(session: AsyncSession, actor: Actor, parent: Evaluation) -> Evaluation:
    """The follow-up evaluation of a confirmed final one, by the same evaluator; the caller
    (the clock) holds the parent's row lock and has checked it is due."""
    now = datetime.now(UTC)
    follow_up = Evaluation(
        tenant_id=parent.tenant_id,
        id=uuid.uuid4(),
        contract_id=parent.contract_id,
        project_id=parent.project_id,
        contract_title=parent.contract_title,
        provider_id=parent.provider_id,
        evaluator_id=parent.evaluator_id,
        kind=EvaluationKind.follow_up.value,
        parent_id=parent.id,
        status=S.engaged.value,
        scores={},
    )
    session.add(follow_up)
    parent.follow_up_opened_at = now
    parent.updated_at = now
    await session.flush()
    await record(
        session,
        actor,
        "evaluation.follow_up_opened",
        "evaluation",
        parent.id,
        after={"follow_up_id": follow_up.id, "follow_up_opened_at": now},
    )
    await tell(
        session,
        actor,
        follow_up,
        events.FOLLOW_UP_OPENED,
        evaluator=True,
        roles=CIVIL_AFFAIRS,
        extra={"months": parent.follow_up_months, "parent_id": parent.id},
    )
    return follow_up
