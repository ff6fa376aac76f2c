"""谈判: competitive negotiation after its responses are opened, and single source after
finance's approval — rounds of offers, the last one final, the award to the best final offer.

Competitive negotiation (财政部令74号): the negotiation group (drawn like a committee) talks
with each supplier that responded, in rounds; the final round asks for final offers (最后报价)
and the lowest final price meeting the requirements is recommended. Single source: the buyer
negotiates the price with the one provider and records it.

Too few left (74号令 art. 37(1)-(2)): when, during the negotiation, fewer than
``negotiation_min_suppliers`` suppliers still meet the requirements — the group excluded one,
or a bar set one aside (credit_listener) — the negotiation cannot go on: it is ended as failed
(终止竞争性谈判采购活动) with a failure notice giving the reason, the money going back and every
supplier told, as a tender that failed at its opening. Single source is out of it: one
supplier by nature. A failed open tender's continuation with its two valid bidders (74号令
art. 27, continuation.py) goes on with two, and fails when one of them drops out.

Competitive consultation (财库〔2014〕214号) shares the rounds, offers and exclusions; its
group is a 磋商小组, two compliant suppliers suffice to go on (财库〔2015〕124号), and its
conclusion sends the final responses to the group's scoring (evaluation) instead of
recommending the lowest price (consultation.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.errors import InvalidField
from services.kit.money import money, text
from services.tendering import (
    bids,
    consultation,
    credit_criteria,
    evaluation,
    opening,
    procurements,
    repository,
    rules,
)
from services.tendering.errors import NotEligible, PriceAboveCeiling, WrongState
from services.tendering.models import Exclusion, NegotiationRound, Offer, Procurement
from services.tendering.schemas import Method, Status

NEGOTIATED = frozenset(
    {Method.competitive_negotiation, Method.single_source, Method.competitive_consultation}
)


async def rounds(session: AsyncSession, procurement: Procurement) -> list[NegotiationRound]:
    return list(
        await repository.parts(session, NegotiationRound, procurement, NegotiationRound.round)
    )


async def offers(
    session: AsyncSession, procurement: Procurement, provider_id: uuid.UUID | None = None
) -> Sequence[Offer]:
    query = select(Offer).where(repository.belongs_to(Offer, procurement))
    if provider_id is not None:
        query = query.where(Offer.provider_id == provider_id)
    return (await session.scalars(query.order_by(Offer.round, Offer.provider_id))).all()


async def open_round(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, final: bool, note: str | None
) -> NegotiationRound:
    """A new round closes the one before; after the final round there is none."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    method = Method(procurement.method)
    if method not in NEGOTIATED:
        raise WrongState("Only negotiations have rounds.")
    if method is Method.single_source and procurement.status == Status.approved:
        await procurements.move(session, actor, procurement, Status.negotiating, "开始单一来源谈判")
    if procurement.status != Status.negotiating:
        raise WrongState(f"A {procurement.status} procurement is not negotiating.")
    if method in consultation.GROUPED and not await evaluation.members(session, procurement):
        raise WrongState("Draw the negotiation (consultation) group before the first round.")
    held = await rounds(session, procurement)
    if held and held[-1].final:
        raise WrongState("The final round has been held; conclude the negotiation.")
    current = NegotiationRound(
        tenant_id=actor.tenant,
        procurement_id=procurement.id,
        round=len(held) + 1,
        final=final,
        note=note,
        opened_at=datetime.now(UTC),
        opened_by=actor.user_id,
    )
    session.add(current)
    await session.flush()
    await record(
        session,
        actor,
        "negotiation.round_opened",
        "procurement",
        procurement.id,
        after={"round": current.round, "final": final, "note": note},
    )
    return current


async def exclusions(session: AsyncSession, procurement: Procurement) -> Sequence[Exclusion]:
    return await repository.parts(session, Exclusion, procurement, Exclusion.excluded_at)


async def exclude(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    provider_id: uuid.UUID,
    reason: str,
) -> Exclusion:
    """The negotiation group finds a supplier does not meet the requirements: it makes no
    more offers, and its offers do not count."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.negotiating:
        raise WrongState(f"A {procurement.status} procurement is not negotiating.")
    if Method(procurement.method) not in consultation.GROUPED:
        raise WrongState("Only a competitive negotiation or consultation excludes suppliers.")
    if provider_id not in await bids.participants(session, procurement):
        raise InvalidField("is not a supplier in this negotiation", field="provider_id")
    if await session.get(Exclusion, (actor.tenant, procurement.id, provider_id)) is not None:
        raise WrongState("The supplier is excluded already.")
    exclusion = Exclusion(
        tenant_id=actor.tenant,
        procurement_id=procurement.id,
        provider_id=provider_id,
        reason=reason,
        excluded_by=actor.user_id,
        excluded_at=datetime.now(UTC),
    )
    session.add(exclusion)
    await session.flush()
    await record(
        session,
        actor,
        "negotiation.supplier_excluded",
        "procurement",
        procurement.id,
        after={"provider_id": provider_id, "reason": reason},
    )
    await end_if_too_few(session, actor, procurement, f"谈判小组排除一家供应商：{reason}")
    return exclusion


async def still_in(session: AsyncSession, procurement: Procurement) -> list[uuid.UUID]:
    """The suppliers still meeting the requirements: a live response, not excluded."""
    excluded = await _excluded(session, procurement)
    return [p for p in await bids.participants(session, procurement) if p not in excluded]


async def end_if_too_few(
    session: AsyncSession, actor: Actor, procurement: Procurement, why: str
) -> bool:
    """After a supplier drops out of a competitive negotiation (consultation) under way: below
    the minimum, it ends as failed (74号令 art. 37(1)-(2); 214号 art. 21 with 财库〔2015〕124号:
    two suffice for services); True when it did."""
    method = Method(procurement.method)
    if method not in consultation.GROUPED or procurement.status != Status.negotiating:
        return False
    legal = await rules.rules_for(session, procurement.tenant_id)
    needed = consultation.min_suppliers(legal, procurement)
    left = len(await still_in(session, procurement))
    if left >= needed:
        return False
    if method is Method.competitive_consultation:
        why = f"磋商中符合要求的供应商不足{needed}家（{left}家），终止竞争性磋商采购活动（{why}）"
    else:
        why = f"谈判中符合要求的供应商不足{needed}家（{left}家），终止竞争性谈判采购活动（{why}）"
    await opening.fail(
        session,
        actor,
        procurement,
        # Every supplier that responded is told, the excluded and the set aside too.
        list(await bids.opened_bids(session, procurement)),
        why,
    )
    return True


async def _excluded(session: AsyncSession, procurement: Procurement) -> set[uuid.UUID]:
    return {e.provider_id for e in await exclusions(session, procurement)}


async def submit_offer(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    price_text: str,
    terms: str | None,
) -> Offer:
    """A participant's offer in the current round; a later one in the same round replaces it."""
    assert actor.provider_id is not None and actor.user_id is not None
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.negotiating:
        raise WrongState(f"A {procurement.status} procurement takes no offers.")
    if actor.provider_id not in await bids.participants(session, procurement):
        raise NotEligible("Only the suppliers in this negotiation make offers.")
    if actor.provider_id in await _excluded(session, procurement):
        raise NotEligible(
            "The negotiation group found your response does not meet the requirements."
        )
    # Before each offer: a supplier barred since it responded makes none (credit_criteria).
    await credit_criteria.check_provider(session, procurement, actor.provider_id)
    held = await rounds(session, procurement)
    if not held:
        raise WrongState("No round is open yet.")
    price = money(price_text)
    if not Decimal(0) < price <= procurement.ceiling_price:
        raise PriceAboveCeiling(
            f"must be more than 0 and at most the ceiling {text(procurement.ceiling_price)}",
            field="price",
        )
    bids.check_fixed_price(procurement, price)
    current = held[-1].round
    offer = await session.get(
        Offer, (actor.tenant, procurement.id, current, actor.provider_id), with_for_update=True
    )
    now = datetime.now(UTC)
    if offer is None:
        offer = Offer(
            tenant_id=actor.tenant,
            procurement_id=procurement.id,
            round=current,
            provider_id=actor.provider_id,
            price=price,
            terms=terms,
            submitted_at=now,
            submitted_by=actor.user_id,
        )
        session.add(offer)
    else:
        offer.price, offer.terms, offer.submitted_at, offer.submitted_by = (
            price,
            terms,
            now,
            actor.user_id,
        )
    await session.flush()
    await record(
        session,
        actor,
        "negotiation.offer",
        "procurement",
        procurement.id,
        after={"round": current, "provider_id": actor.provider_id, "price": price},
    )
    return offer


async def conclude(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, minutes: str
) -> Procurement:
    """Close the negotiation on its final offers: the lowest final price is recommended."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.negotiating:
        raise WrongState(f"A {procurement.status} procurement is not negotiating.")
    held = await rounds(session, procurement)
    if not held or not held[-1].final:
        raise WrongState("Hold a final round (最后报价) before concluding.")
    excluded = await _excluded(session, procurement)
    final = [
        o
        for o in await offers(session, procurement)
        if o.round == held[-1].round and o.provider_id not in excluded
    ]
    if not final:
        raise InvalidField(
            "no supplier still in the negotiation made a final offer", field="offers"
        )
    if procurement.method == Method.competitive_consultation:
        return await _to_scoring(session, actor, procurement, minutes, final)
    best = min(final, key=lambda o: (o.price, o.submitted_at))
    procurement.recommended_provider_id = best.provider_id
    procurement.recommended_price = best.price
    procurement.report_at = datetime.now(UTC)
    bid = await _bid_of(session, procurement, best.provider_id)
    procurement.recommended_bid_id = bid
    await procurements.move(
        session,
        actor,
        procurement,
        Status.awaiting_confirmation,
        minutes,
        recommended=str(best.provider_id),
        price=best.price,
        final_offers={str(o.provider_id): o.price for o in final},
    )
    await evaluation.notify_report_ready(session, actor, procurement, procurement.report_at)
    return procurement


async def _to_scoring(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    minutes: str,
    final: Sequence[Offer],
) -> Procurement:
    """A consultation's final offers go to its group's comprehensive scoring (214号 arts.
    23–24); with fewer final offers than it needs, it fails (214号 art. 21, 财库〔2015〕124号)."""
    legal = await rules.rules_for(session, procurement.tenant_id)
    needed = legal.consultation_services_min_suppliers
    if len(final) < needed:
        await opening.fail(
            session,
            actor,
            procurement,
            list(await bids.opened_bids(session, procurement)),
            f"提交最后报价的供应商不足{needed}家（{len(final)}家），终止竞争性磋商采购活动",
        )
        return procurement
    await procurements.move(
        session,
        actor,
        procurement,
        Status.evaluation,
        minutes,
        final_offers={str(o.provider_id): o.price for o in final},
    )
    return procurement


async def recommend_again(session: AsyncSession, actor: Actor, procurement: Procurement) -> bool:
    """The recommended supplier was set aside (a bar the documents apply): the lowest final
    offer of those still in is recommended; False when none is left."""
    held = await rounds(session, procurement)
    excluded = await _excluded(session, procurement)
    final = [
        o
        for o in await offers(session, procurement)
        if o.round == held[-1].round and o.provider_id not in excluded
    ]
    if not final:
        return False
    best = min(final, key=lambda o: (o.price, o.submitted_at))
    before = procurement.recommended_provider_id
    procurement.recommended_provider_id = best.provider_id
    procurement.recommended_price = best.price
    procurement.recommended_bid_id = await _bid_of(session, procurement, best.provider_id)
    procurement.report_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "procurement.recommendation_changed",
        "procurement",
        procurement.id,
        before={"recommended": before},
        after={"recommended": best.provider_id, "price": best.price},
    )
    await evaluation.notify_report_ready(session, actor, procurement, procurement.report_at)
    return True


async def _bid_of(
    session: AsyncSession, procurement: Procurement, provider_id: uuid.UUID
) -> uuid.UUID | None:
    for bid in await bids.live_bids(session, procurement):
        if bid.provider_id == provider_id:
            return bid.id
    return None
