"""The award notice (中标/成交通知书) and what each other bidder is told with the result, and
the bid securities owed back after it.

财政部令第87号 art. 69: with the result notice the buyer sends the winner the award notice,
tells a bidder that did not pass review why, and — bids being scored — tells every other bidder
its own score and rank. The award notice starts the 30 days within which the contract is signed
(政府采购法 art. 46): from the day after it, to 24:00 of the 30th day, or of the next working
day when the 30th is a rest day (民法典 art. 203, ``rules.contract_deadline``).

Art. 38: the losing bidders' securities come back within 5 working days of the award notice,
the winner's within 5 working days of signing the contract (or become its performance security):
from the next day, to 24:00 of the 5th working day (``rules.bid_security_return_deadline``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.money import text
from services.kit.outbox import enqueue
from services.tendering import bids, events, procurements, repository, rules
from services.tendering.errors import WrongState
from services.tendering.models import AwardRefusal, Bid, BidSecurity, Exclusion, Procurement
from services.tendering.schemas import Status

# What tendering tells the later stages when an award notice goes out (contracts drafts the
# contract from it), through the outbox: only if the result's transaction commits.
AWARD_NOTIFIED = "tendering.award_notified"
# While the award notice stands: the contract may be signed (challenges may still be open).
SIGNABLE = frozenset({Status.result_published, Status.challenged, Status.concluded})


async def issue(
    session: AsyncSession, actor: Actor, procurement: Procurement, legal: rules.LegalRules
) -> None:
    """Send the award notice with the result notice, tell the other bidders where they stood,
    and set the bid securities' return dates."""
    assert procurement.awarded_provider_id is not None and procurement.awarded_price is not None
    notice_at = procurement.result_published_at or datetime.now(UTC)
    procurement.award_notice_at = notice_at
    await procurements.tell_providers(
        session,
        actor,
        procurement,
        [procurement.awarded_provider_id],
        events.AWARD_NOTICE.name,
        {
            "price": text(procurement.awarded_price),
            "sign_by": rules.contract_deadline(legal, notice_at),
        },
    )
    # A winner that refused to sign is no longer told where it stood, nor owed its security
    # on a date (refusal.py).
    refused = await refusers(session, procurement)
    # Bids found invalid in the review (review.py) are owed their security back too.
    live = [
        bid
        for bid in await bids.opened_bids(session, procurement)
        if bid.provider_id not in refused
    ]
    await _tell_the_others(session, actor, procurement, live)
    await _owe_securities(session, procurement, live, legal, notice_at)
    await enqueue(
        session,
        actor,
        AWARD_NOTIFIED,
        {"procurement_id": str(procurement.id)},
        message_key=f"award-notified:{procurement.id}:{notice_at.isoformat()}",
    )
    await record(
        session,
        actor,
        "award_notice.issued",
        "procurement",
        procurement.id,
        after={"provider_id": procurement.awarded_provider_id, "at": notice_at},
    )


async def refusers(session: AsyncSession, procurement: Procurement) -> set[uuid.UUID]:
    """The providers that refused to sign this procurement's contract as its winner."""
    return {r.provider_id for r in await repository.parts(session, AwardRefusal, procurement)}


async def _tell_the_others(
    session: AsyncSession, actor: Actor, procurement: Procurement, live: Sequence[Bid]
) -> None:
    excluded = {
        e.provider_id: e.reason for e in await repository.parts(session, Exclusion, procurement)
    }
    ranked = sum(1 for bid in live if bid.rank is not None)
    for bid in live:
        if bid.provider_id == procurement.awarded_provider_id:
            continue
        extra: dict[str, object]
        if bid.provider_id in excluded:
            event, extra = events.NOT_ACCEPTED.name, {"reason": excluded[bid.provider_id]}
        elif reason := bid.qualification_reason or bid.compliance_reason:
            event, extra = events.NOT_ACCEPTED.name, {"reason": reason}
        elif bid.rank is not None and bid.total_score is not None:
            event = events.OWN_STANDING.name
            extra = {"score": text(bid.total_score), "rank": bid.rank, "ranked": ranked}
        else:
            continue  # a negotiation's final offers are not scored: the result says it all
        await procurements.tell_providers(
            session, actor, procurement, [bid.provider_id], event, extra
        )


async def _owe_securities(
    session: AsyncSession,
    procurement: Procurement,
    live: Sequence[Bid],
    legal: rules.LegalRules,
    notice_at: datetime,
) -> None:
    """One security per live bid when the documents asked for one. A notice issued again (after
    an upheld challenge, or to the next-ranked after a refusal) sets the dates of those not yet
    returned anew; a refuser's bid is not among ``live``, so its security keeps no date."""
    if procurement.bid_security <= 0:
        return
    owed = {s.bid_id: s for s in await repository.parts(session, BidSecurity, procurement)}
    for bid in live:
        winner = bid.id == procurement.awarded_bid_id
        security = owed.get(bid.id)
        if security is None:
            security = BidSecurity(
                tenant_id=procurement.tenant_id,
                procurement_id=procurement.id,
                bid_id=bid.id,
                provider_id=bid.provider_id,
                amount=procurement.bid_security,
            )
            session.add(security)
        if security.returned_at is None:
            security.winner = winner
            # The winner's is due after signing: the contract sets its date.
            security.due_at = (
                None if winner else rules.bid_security_return_deadline(legal, notice_at)
            )
    await session.flush()
    await track_due(session, procurement)


async def track_due(session: AsyncSession, procurement: Procurement) -> None:
    """Keep the earliest return still owed on the procurement, where the sweep looks."""
    procurement.bid_security_due = await session.scalar(
        select(BidSecurity.due_at)
        .where(
            repository.belongs_to(BidSecurity, procurement),
            BidSecurity.returned_at.is_(None),
            BidSecurity.due_at.is_not(None),
        )
        .order_by(BidSecurity.due_at)
        .limit(1)
    )


async def securities(session: AsyncSession, procurement: Procurement) -> Sequence[BidSecurity]:
    return await repository.parts(
        session, BidSecurity, procurement, BidSecurity.due_at.nulls_last(), BidSecurity.bid_id
    )


async def record_return(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    bid_id: uuid.UUID,
    note: str | None,
) -> BidSecurity:
    """The buyer records that a bid security went back; its bidder is told."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    security = await session.scalar(
        select(BidSecurity)
        .where(repository.belongs_to(BidSecurity, procurement), BidSecurity.bid_id == bid_id)
        .with_for_update()
    )
    if security is None:
        raise NotFound("No bid security of this bid is owed here.")
    if security.returned_at is not None:
        raise WrongState("The bid security was returned already.")
    security.returned_at = datetime.now(UTC)
    security.returned_by = actor.user_id
    security.note = note
    await session.flush()
    await track_due(session, procurement)
    await record(
        session,
        actor,
        "bid_security.returned",
        "bid",
        bid_id,
        after={"amount": text(security.amount), "note": note},
    )
    await procurements.tell_providers(
        session,
        actor,
        procurement,
        [security.provider_id],
        events.BID_SECURITY_RETURNED.name,
        {"amount": text(security.amount), **({"note": note} if note else {})},
    )
    return security


async def contract_signed(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, signed_at: datetime
) -> None:
    """The winner signed the contract (contracts tells it): its bid security, still held, is
    owed back by the end of the 5th working day after the signing, the day itself not counted
    (财政部令第87号 art. 38), and the sweep follows that date. The same moment again is a
    no-op; the award stands from then on."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.award_notice_at is None or procurement.status not in SIGNABLE:
        raise WrongState(f"A {procurement.status} procurement has no award notice to sign on.")
    if signed_at.tzinfo is None:
        raise InvalidField("needs a time zone (e.g. +08:00 or Z)", field="signed_at")
    if procurement.contract_signed_at is not None:
        if procurement.contract_signed_at == signed_at:
            return
        raise WrongState("The contract's signing is recorded already.")
    if not procurement.award_notice_at <= signed_at <= datetime.now(UTC):
        raise InvalidField("must fall between the award notice and now", field="signed_at")
    procurement.contract_signed_at = signed_at
    security = await session.scalar(
        select(BidSecurity)
        .where(
            repository.belongs_to(BidSecurity, procurement),
            BidSecurity.bid_id == procurement.awarded_bid_id,
        )
        .with_for_update()
    )
    due = None
    if security is not None and security.returned_at is None:
        legal = await rules.rules_for(session, procurement.tenant_id)
        due = security.due_at = rules.bid_security_return_deadline(legal, signed_at)
    await session.flush()
    await track_due(session, procurement)
    await record(
        session,
        actor,
        "award.contract_signed",
        "procurement",
        procurement.id,
        after={
            "provider_id": procurement.awarded_provider_id,
            "signed_at": signed_at,
            "bid_security_due": due,
        },
    )
