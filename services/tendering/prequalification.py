"""资格预审 (87号令 art. 14): an invited tender's buyer publishes a prequalification notice,
providers answer it by its deadline, the buyer finds each qualified or not (with the reason);
the qualified form the pool the invitees are drawn from (selection.py).

The notice runs at least 5 working days: the period starts the day after publication and ends
at 24:00 Asia/Shanghai of its fifth working day, so the applications deadline is no earlier
than that end.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import service as credit
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.tenancy import service as tenancy
from services.tendering import notices, procurements
from services.tendering.errors import BidDeadlinePassed, NotEligible, WrongState
from services.tendering.models import Procurement
from services.tendering.schemas import Method, NoticeKind, Status
from services.tendering.selection_models import (
    Prequalification,
    PrequalificationApplication,
    SupplierSelection,
)
from services.tendering.selection_schemas import ApplicationReviewIn, PrequalificationNoticeIn

NOTICE_WORKING_DAYS = 5
OPEN_STATES = (Status.draft, Status.awaiting_approval, Status.approved)


async def find(session: AsyncSession, procurement: Procurement) -> Prequalification | None:
    return await session.get(Prequalification, (procurement.tenant_id, procurement.id))


async def publish_notice(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, body: PrequalificationNoticeIn
) -> Prequalification:
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.method != Method.invited_tender:
        raise WrongState("Only an invited tender is prequalified.")
    if procurement.status not in OPEN_STATES:
        raise WrongState(f"A {procurement.status} procurement has chosen its suppliers.")
    if await find(session, procurement) is not None:
        raise WrongState("The prequalification notice is out already.")
    deadline = body.applications_deadline
    if deadline.tzinfo is None:
        raise InvalidField("needs a time zone (e.g. +08:00 or Z)", field="applications_deadline")
    now = datetime.now(UTC)
    earliest = workdays.deadline_after(now, NOTICE_WORKING_DAYS)
    if deadline.astimezone(UTC) < earliest:
        raise InvalidField(
            f"the notice runs at least {NOTICE_WORKING_DAYS} working days (87号令 art. 14): "
            f"not before {earliest.isoformat()}",
            field="applications_deadline",
        )
    notice = await notices.publish(
        session,
        actor,
        procurement,
        NoticeKind.prequalification,
        {"applications_deadline": deadline.astimezone(UTC)},
    )
    prequalification = Prequalification(
        tenant_id=actor.tenant,
        procurement_id=procurement.id,
        notice_id=notice.id,
        published_at=notice.published_at,
        applications_deadline=deadline.astimezone(UTC),
    )
    session.add(prequalification)
    await session.flush()
    return prequalification


async def _open(session: AsyncSession, actor: Actor, procurement_id: uuid.UUID) -> Prequalification:
    procurement = await procurements.get(session, actor, procurement_id)
    prequalification = await find(session, procurement)
    if prequalification is None:
        raise NotFound("This procurement has no prequalification notice.")
    return prequalification


async def apply(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> PrequalificationApplication:
    """A provider answers the notice: registered here, not barred, by the deadline, once."""
    provider_id = actor.provider_id
    assert provider_id is not None and actor.user_id is not None
    prequalification = await _open(session, actor, procurement_id)
    now = datetime.now(UTC)
    if now > prequalification.applications_deadline:
        raise BidDeadlinePassed("The prequalification's applications deadline has passed.")
    if not await tenancy.is_registered(session, actor.tenant, provider_id):
        raise NotEligible("Register with this region (and be approved) before applying.")
    await credit.check_eligible(session, provider_id, actor.tenant)
    key = (actor.tenant, procurement_id, provider_id)
    if await session.get(PrequalificationApplication, key) is not None:
        raise WrongState("You have applied already.")
    application = PrequalificationApplication(
        tenant_id=actor.tenant,
        procurement_id=procurement_id,
        provider_id=provider_id,
        applied_by=actor.user_id,
        applied_at=now,
    )
    session.add(application)
    await session.flush()
    await record(
        session,
        actor,
        "prequalification.applied",
        "procurement",
        procurement_id,
        after={"provider_id": str(provider_id)},
    )
    return application


async def review(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    provider_id: uuid.UUID,
    body: ApplicationReviewIn,
) -> PrequalificationApplication:
    """The buyer's verdict on one application, before the draw; a refusal says why."""
    prequalification = await _open(session, actor, procurement_id)
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if await session.get(SupplierSelection, (procurement.tenant_id, procurement.id)):
        raise WrongState("The invitees have been drawn; the verdicts stand.")
    application = await session.get(
        PrequalificationApplication, (actor.tenant, prequalification.procurement_id, provider_id)
    )
    if application is None:
        raise NotFound("No such application.")
    if not body.qualified and body.reason is None:
        raise InvalidField("say why the provider is not qualified", field="reason")
    before = {"qualified": application.qualified}
    application.qualified = body.qualified
    application.reason = body.reason
    application.reviewed_by = actor.user_id
    application.reviewed_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "prequalification.reviewed",
        "procurement",
        procurement_id,
        before=before,
        after={"provider_id": str(provider_id), "qualified": body.qualified, "reason": body.reason},
    )
    return application


async def applications(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> list[PrequalificationApplication]:
    prequalification = await _open(session, actor, procurement_id)
    rows = await session.scalars(
        select(PrequalificationApplication)
        .where(
            PrequalificationApplication.tenant_id == prequalification.tenant_id,
            PrequalificationApplication.procurement_id == prequalification.procurement_id,
        )
        .order_by(PrequalificationApplication.applied_at, PrequalificationApplication.provider_id)
    )
    return list(rows.all())


async def qualified_pool(session: AsyncSession, procurement: Procurement) -> list[uuid.UUID]:
    """The qualified applicants, once the deadline has passed, not barred today."""
    prequalification = await find(session, procurement)
    if prequalification is None:
        raise WrongState("Publish a prequalification notice first.")
    if datetime.now(UTC) <= prequalification.applications_deadline:
        raise WrongState("The prequalification is still taking applications.")
    rows = await session.scalars(
        select(PrequalificationApplication).where(
            PrequalificationApplication.tenant_id == procurement.tenant_id,
            PrequalificationApplication.procurement_id == procurement.id,
        )
    )
    answered = list(rows.all())
    if any(a.qualified is None for a in answered):
        raise WrongState("Every application needs its verdict before the draw.")
    return sorted(
        [
            a.provider_id
            for a in answered
            if a.qualified and not await credit.bars(session, a.provider_id, procurement.tenant_id)
        ],
        key=str,
    )
