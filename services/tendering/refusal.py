"""The winner refuses, or fails, to sign the contract after the award notice.

政府采购法实施条例 art. 49: the buyer may then name the next candidate, in the order the
review report ranked them, as the winner — or procure again. A tender's report ranks the bids
(``Bid.rank``, by score); a competitive negotiation's candidates are its final offers, lowest
price first (财政部令第74号), as ``negotiation.conclude`` chose the first; a single source has
nobody else. A refuser is recorded (``AwardRefusal``) and never becomes the winner again.

The next candidate gets a new result notice and a new award notice: the 30 days to sign and the
challenge period (7 working days after its 1-working-day publication, 政府采购法 art. 52,
实施条例 art. 53) run again from it. The refuser's bid security gets no return date: 财政部令
第87号 art. 38 dates a winner's return only from the signing, which never comes, and whether a
winner refusing without good reason loses it is for the procurement documents' terms. The
buyer records its return, or keeps it, by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.errors import InvalidField
from services.kit.money import text
from services.tendering import (
    award_notice,
    bids,
    challenges,
    consultation,
    evaluation,
    negotiation,
    opening,
    procurements,
    repository,
)
from services.tendering.errors import WrongState
from services.tendering.models import AwardRefusal, BidSecurity, Procurement
from services.tendering.schemas import Method, Status

REFUSED = "中标人拒绝签订合同"
NEXT_RANKED = "中标人拒绝签订合同，确定下一候选人"


@dataclass(frozen=True)
class Candidate:
    provider_id: uuid.UUID
    bid_id: uuid.UUID
    price: Decimal


async def award_next_ranked(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    refused_provider_id: uuid.UUID,
    reason: str,
) -> Procurement:
    """The award moves to the best-ranked candidate that never refused, and its result and
    award notices go out; WrongState when nobody is left (the buyer procures again)."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    _check_refusal(procurement, refused_provider_id, reason)
    if procurement.method == Method.single_source:
        raise WrongState("A single source has no next-ranked candidate: procure again.")
    refused = await award_notice.refusers(session, procurement) | {refused_provider_id}
    candidate = next(
        (c for c in await ranked(session, procurement) if c.provider_id not in refused), None
    )
    if candidate is None:
        raise WrongState("There is no next-ranked candidate left: procure again.")
    # Never so: no bid or offer above the ceiling was taken, and the ceiling is within budget.
    if candidate.price > procurement.budget_amount:
        raise WrongState("The next candidate's price is above the committed budget.")
    before = {
        "provider_id": refused_provider_id,
        "bid_id": procurement.awarded_bid_id,
        "price": procurement.awarded_price,
    }
    await _refuse(session, actor, procurement, reason)
    procurement.awarded_provider_id = candidate.provider_id
    procurement.awarded_bid_id = candidate.bid_id
    procurement.awarded_price = candidate.price
    procurement.confirmed_at = datetime.now(UTC)
    await procurements.move(
        session,
        actor,
        procurement,
        Status.awarded,
        NEXT_RANKED,
        refused=str(refused_provider_id),
        bid=str(candidate.bid_id),
    )
    # The same result notice, award notice and challenge period as the first result.
    await evaluation.publish_result(session, actor, procurement.id)
    if await challenges.open_challenges(session, procurement):
        # Challenges of the earlier result still wait for their answer.
        await procurements.move(session, actor, procurement, Status.challenged, "质疑待答复")
    await record(
        session,
        actor,
        "award.next_ranked",
        "procurement",
        procurement.id,
        before=before,
        after={
            "provider_id": candidate.provider_id,
            "bid_id": candidate.bid_id,
            "price": text(candidate.price),
            "reason": reason,
        },
    )
    return procurement


async def abandon_award(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    refused_provider_id: uuid.UUID,
    reason: str,
) -> None:
    """The buyer procures again instead: the procurement fails with a failure notice, and its
    money goes back to the budget line."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    _check_refusal(procurement, refused_provider_id, reason)
    await _refuse(session, actor, procurement, reason)
    live = list(await bids.live_bids(session, procurement))
    await opening.fail(session, actor, procurement, live, f"{REFUSED}，重新采购：{reason}")


async def ranked(session: AsyncSession, procurement: Procurement) -> list[Candidate]:
    """The candidates in the order the review ranked them, best first."""
    if procurement.method == Method.competitive_negotiation:
        return await _final_offers(session, procurement)
    scored = [
        bid
        for bid in await bids.live_bids(session, procurement)
        if bid.rank is not None and bid.price is not None
    ]
    scored.sort(key=lambda bid: bid.rank or 0)
    # A consultation's candidates stand at their final offers (最后报价), not their first.
    final = (
        await consultation.final_prices(session, procurement)
        if consultation.is_consultation(procurement)
        else {}
    )
    return [
        Candidate(bid.provider_id, bid.id, final.get(bid.provider_id, bid.price or Decimal(0)))
        for bid in scored
    ]


async def _final_offers(session: AsyncSession, procurement: Procurement) -> list[Candidate]:
    """A negotiation's final offers of the suppliers still in it, lowest price (then earliest)
    first — the order ``negotiation.conclude`` recommended in."""
    held = await negotiation.rounds(session, procurement)
    if not held or not held[-1].final:
        return []
    excluded = {e.provider_id for e in await negotiation.exclusions(session, procurement)}
    bid_of = {bid.provider_id: bid.id for bid in await bids.live_bids(session, procurement)}
    final = [
        offer
        for offer in await negotiation.offers(session, procurement)
        if offer.round == held[-1].round
        and offer.provider_id not in excluded
        and offer.provider_id in bid_of
    ]
    final.sort(key=lambda offer: (offer.price, offer.submitted_at))
    return [Candidate(o.provider_id, bid_of[o.provider_id], o.price) for o in final]


def _check_refusal(procurement: Procurement, refused_provider_id: uuid.UUID, reason: str) -> None:
    if procurement.award_notice_at is None or procurement.status not in award_notice.SIGNABLE:
        raise WrongState(
            f"A {procurement.status} procurement has no award notice out for its winner to refuse."
        )
    if procurement.contract_signed_at is not None:
        raise WrongState("The contract has been signed: the award stands.")
    if procurement.awarded_provider_id != refused_provider_id:
        raise InvalidField(
            "is not the provider awarded this procurement", field="refused_provider_id"
        )
    if not reason.strip():
        raise InvalidField("say why the winner does not sign", field="reason")


async def _refuse(
    session: AsyncSession, actor: Actor, procurement: Procurement, reason: str
) -> None:
    """Record the refusal, and take the refuser's bid security off the return dates."""
    assert procurement.awarded_provider_id is not None
    refusal = AwardRefusal(
        tenant_id=procurement.tenant_id,
        procurement_id=procurement.id,
        provider_id=procurement.awarded_provider_id,
        bid_id=procurement.awarded_bid_id,
        reason=reason,
        refused_at=datetime.now(UTC),
        by_user=actor.user_id,
    )
    session.add(refusal)
    security = await session.scalar(
        select(BidSecurity)
        .where(
            repository.belongs_to(BidSecurity, procurement),
            BidSecurity.bid_id == procurement.awarded_bid_id,
        )
        .with_for_update()
    )
    if security is not None and security.returned_at is None:
        security.winner = False
        security.due_at = None
        security.note = REFUSED
    await session.flush()
    await award_notice.track_due(session, procurement)
    await record(
        session,
        actor,
        "award.refused",
        "procurement",
        procurement.id,
        after={
            "provider_id": refusal.provider_id,
            "bid_id": refusal.bid_id,
            "reason": reason,
            "bid_security_held": security is not None and security.returned_at is None,
        },
    )
