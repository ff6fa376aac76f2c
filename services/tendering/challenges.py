"""质疑: a bidder challenges the result within 7 working days after the result notice's
1-working-day publication (实施条例 art. 53); the buyer answers within 7 working days. Upheld,
the procurement goes back to evaluation or is cancelled."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.errors import InvalidField
from services.notifications import service as notifications
from services.tenancy import service as tenancy
from services.tendering import bids, evaluation, events, procurements, repository, rules
from services.tendering.errors import NotEligible, WrongState
from services.tendering.models import Challenge, Procurement
from services.tendering.negotiation import NEGOTIATED
from services.tendering.schemas import ChallengeOutcome, Method, Status


async def file(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, grounds: str
) -> Challenge:
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status not in (Status.result_published, Status.challenged):
        raise WrongState(f"A {procurement.status} procurement has no result to challenge.")
    mine = await bids.own_bids(session, actor, procurement.id)
    if not any(bid.status == "submitted" for bid in mine):
        raise NotEligible("Only a bidder may challenge the result.")
    legal = await rules.rules_for(session, actor.tenant)
    assert procurement.result_published_at is not None
    now = datetime.now(UTC)
    rules.check_challenge_time(legal, procurement.result_published_at, now, field="grounds")
    assert actor.provider_id is not None
    challenge = Challenge(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        procurement_id=procurement.id,
        provider_id=actor.provider_id,
        grounds=grounds,
        filed_at=now,
        answer_due=rules.answer_deadline(legal, now),
    )
    session.add(challenge)
    await session.flush()
    await track_answer_due(session, procurement)
    if procurement.status == Status.result_published:
        await procurements.move(session, actor, procurement, Status.challenged, "质疑")
    await record(
        session,
        actor,
        "challenge.filed",
        "challenge",
        challenge.id,
        after={"procurement_id": procurement.id, "grounds": grounds},
    )
    await procurements.tell_roles(
        session,
        actor,
        procurement,
        procurements.CIVIL_AFFAIRS,
        events.CHALLENGE_FILED.name,
        {"answer_by": challenge.answer_due},
    )
    return challenge


async def answer(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    challenge_id: uuid.UUID,
    outcome: ChallengeOutcome,
    text: str,
) -> Challenge:
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    challenge = await repository.awaiting_answer(session, Challenge, procurement, challenge_id)
    # A consultation's group scored the final responses: it scores them again (214号 arts.
    # 23–24), as a committee would; the negotiated methods have no scores to redo.
    rescored = procurement.method == Method.competitive_consultation
    if outcome is ChallengeOutcome.reevaluate and procurement.method in NEGOTIATED and not rescored:
        raise InvalidField(
            "a negotiation is not evaluated again; an upheld challenge cancels it",
            field="outcome",
        )
    challenge.outcome = outcome.value
    challenge.answer = text
    challenge.answered_at = datetime.now(UTC)
    challenge.answered_by = actor.user_id
    await session.flush()
    await track_answer_due(session, procurement)
    await record(
        session,
        actor,
        "challenge.answered",
        "challenge",
        challenge.id,
        after={"outcome": outcome.value, "answer": text},
    )
    if outcome is ChallengeOutcome.reevaluate:
        await evaluation.reset_scores(session, procurement)
        await procurements.move(
            session, actor, procurement, Status.evaluation, "质疑成立，重新评审"
        )
    elif outcome is ChallengeOutcome.cancel:
        await procurements.move(session, actor, procurement, Status.cancelled, "质疑成立，终止采购")
        await procurements.close_out(session, actor, procurement)
    elif procurement.status == Status.challenged and not await open_challenges(
        session, procurement
    ):
        # (A procurement given up after its winner refused to sign stays failed.)
        await procurements.move(session, actor, procurement, Status.result_published, "质疑不成立")
    await notifications.notify(
        session,
        actor,
        event_type=events.CHALLENGE_ANSWERED.name,
        recipients=await tenancy.provider_admins(session, challenge.provider_id),
        context={**await procurements.context(session, actor, procurement), "answer": text},
        tenant=actor.tenant,
    )
    return challenge


async def track_answer_due(session: AsyncSession, procurement: Procurement) -> None:
    """Keep on the procurement when its oldest open challenge is due, for the sweep."""
    procurement.challenge_answer_due = await session.scalar(
        select(func.min(Challenge.answer_due)).where(
            repository.belongs_to(Challenge, procurement), Challenge.answered_at.is_(None)
        )
    )
    await session.flush()


async def open_challenges(session: AsyncSession, procurement: Procurement) -> int:
    return len(await unanswered(session, procurement))


async def unanswered(session: AsyncSession, procurement: Procurement) -> Sequence[Challenge]:
    """The challenges still waiting for the buyer's answer, oldest first."""
    rows = await session.scalars(
        select(Challenge)
        .where(repository.belongs_to(Challenge, procurement), Challenge.answered_at.is_(None))
        .order_by(Challenge.filed_at, Challenge.id)
    )
    return rows.all()


async def of_procurement(
    session: AsyncSession, procurement: Procurement, provider_id: uuid.UUID | None
) -> Sequence[Challenge]:
    query = select(Challenge).where(repository.belongs_to(Challenge, procurement))
    if provider_id is not None:
        query = query.where(Challenge.provider_id == provider_id)
    return (await session.scalars(query.order_by(Challenge.filed_at))).all()
