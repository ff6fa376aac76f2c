"""评审: the committee's seats (drawn from the province's library in ``draws``), scores, the
report and the award. A member's scores stay hidden from the other members until every
member has submitted.

A competitive consultation's group scores the same way, after the rounds: the final
responses of the suppliers still in, priced at their final offers (consultation.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField, NotFound
from services.kit.money import text
from services.tenancy import service as tenancy
from services.tendering import (
    award_notice,
    bids,
    consultation,
    credit_criteria,
    events,
    notices,
    procurements,
    repository,
    rules,
)
from services.tendering.errors import (
    ScoresHidden,
    WrongState,
)
from services.tendering.models import Bid, CommitteeMember, Procurement, Score
from services.tendering.schemas import (
    NoticeKind,
    RankedBid,
    ReportOut,
    ScoreIn,
    Status,
)

EXPERT = "expert"
BUYER = "buyer_representative"
TWO = Decimal("0.01")


# --- the committee (drawn in ``draws``) ------------------------------------------------------


async def members(session: AsyncSession, procurement: Procurement) -> list[CommitteeMember]:
    seats = await repository.parts(
        session, CommitteeMember, procurement, CommitteeMember.kind, CommitteeMember.user_id
    )
    return list(seats)


async def seat_of(session: AsyncSession, actor: Actor, procurement: Procurement) -> CommitteeMember:
    for member in await members(session, procurement):
        if member.user_id == actor.user_id:
            return member
    raise NotFound("You do not sit on this procurement's committee.")


# --- scores --------------------------------------------------------------------------------------


def _criteria(procurement: Procurement) -> tuple[dict[str, int], int]:
    """Scored criteria (name → weight) and the price weight (0 at a fixed price)."""
    scored = {c["name"]: int(c["weight"]) for c in procurement.criteria if not c["price"]}
    price_weight = next((int(c["weight"]) for c in procurement.criteria if c["price"]), 0)
    return scored, price_weight


async def scored_bids(session: AsyncSession, procurement: Procurement) -> list[tuple[Bid, Decimal]]:
    """The bids the committee scores, each with the price it is scored at: a tender's valid
    bids at their price; a consultation's final responses at their final offers (最后报价)."""
    live = await bids.live_bids(session, procurement)
    if not consultation.is_consultation(procurement):
        return [(bid, bid.price or Decimal(0)) for bid in live]
    final = await consultation.final_prices(session, procurement)
    return [(bid, final[bid.provider_id]) for bid in live if bid.provider_id in final]


async def submit_scores(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, items: list[ScoreIn]
) -> Procurement:
    """A member's scores of every bid on every scored criterion, submitted once."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.evaluation:
        raise WrongState(f"The procurement is {procurement.status}; scores are not taken.")
    seat = await seat_of(session, actor, procurement)
    if seat.scores_submitted_at is not None:
        raise WrongState("Your scores are submitted already.")
    scored, _ = _criteria(procurement)
    live = {bid.id for bid, _ in await scored_bids(session, procurement)}
    given: dict[tuple[uuid.UUID, str], Decimal] = {}
    for index, item in enumerate(items):
        if item.bid_id not in live:
            raise InvalidField("is not a bid of this procurement", field=f"scores[{index}].bid_id")
        if item.criterion not in scored:
            raise InvalidField("is not a scored criterion", field=f"scores[{index}].criterion")
        value = Decimal(item.score)
        if value > scored[item.criterion]:
            raise InvalidField(
                f"is more than the criterion's weight {scored[item.criterion]}",
                field=f"scores[{index}].score",
            )
        if (item.bid_id, item.criterion) in given:
            raise InvalidField("is scored twice", field=f"scores[{index}]")
        given[(item.bid_id, item.criterion)] = value
    missing = [(b, c) for b in live for c in scored if (b, c) not in given]
    if missing:
        raise InvalidField(f"{len(missing)} bid × criterion scores are missing", field="scores")
    session.add_all(
        Score(
            tenant_id=actor.tenant,
            procurement_id=procurement.id,
            user_id=seat.user_id,
            bid_id=bid_id,
            criterion=criterion,
            score=value,
        )
        for (bid_id, criterion), value in given.items()
    )
    seat.scores_submitted_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "scores.submitted",
        "procurement",
        procurement.id,
        after={"member": str(seat.user_id)},
    )
    if all(m.scores_submitted_at is not None for m in await members(session, procurement)):
        await _conclude_evaluation(session, actor, procurement)
    return procurement


async def scores_visible_to(
    session: AsyncSession, actor: Actor, procurement: Procurement, sees_all: bool
) -> list[Score]:
    """A member sees their own scores, and everyone's once all have submitted; the buyer
    (``sees_all``) only once all have submitted."""
    seats = await members(session, procurement)
    complete = bool(seats) and all(m.scores_submitted_at is not None for m in seats)
    is_member = any(m.user_id == actor.user_id for m in seats)
    if not complete and not is_member:
        if not sees_all:
            raise NotFound("You do not sit on this procurement's committee.")
        raise ScoresHidden("The scores are hidden until every member has submitted.")
    query = select(Score).where(repository.belongs_to(Score, procurement))
    if not complete:
        query = query.where(Score.user_id == actor.user_id)
    rows = await session.scalars(query.order_by(Score.user_id, Score.bid_id, Score.criterion))
    return list(rows.all())


Ranked = tuple[Bid, Decimal, Decimal, dict[str, Decimal], Decimal]


def _rank(
    procurement: Procurement,
    live: Sequence[tuple[Bid, Decimal]],
    scores: Sequence[Score],
    seats: int,
) -> list[Ranked]:
    """(bid, its price, price score, averaged criterion scores, total), best first. The price
    score's benchmark is the lowest valid price (87号令 art. 55; 214号 art. 24)."""
    scored, price_weight = _criteria(procurement)
    lowest = min(price for _, price in live)
    ranked = []
    for bid, price in live:
        price_score = (lowest / price * price_weight).quantize(TWO, rounding=ROUND_HALF_UP)
        others = {
            name: (
                sum(
                    (s.score for s in scores if s.bid_id == bid.id and s.criterion == name),
                    Decimal(0),
                )
                / seats
            ).quantize(TWO, rounding=ROUND_HALF_UP)
            for name in scored
        }
        total = price_score + sum(others.values(), Decimal(0))
        ranked.append((bid, price, price_score, others, total))
    ranked.sort(key=lambda row: (-row[4], row[1], row[0].submitted_at))
    return ranked


async def _conclude_evaluation(
    session: AsyncSession, actor: Actor, procurement: Procurement
) -> None:
    live = await scored_bids(session, procurement)
    seats = await members(session, procurement)
    scores = await repository.parts(session, Score, procurement)
    ranked = _rank(procurement, live, scores, len(seats))
    for position, (bid, *_, total) in enumerate(ranked, start=1):
        bid.total_score = total
        bid.rank = position
    best, price = ranked[0][0], ranked[0][1]
    procurement.recommended_bid_id = best.id
    procurement.recommended_provider_id = best.provider_id
    procurement.recommended_price = price
    procurement.report_at = datetime.now(UTC)
    await procurements.move(
        session,
        actor,
        procurement,
        Status.awaiting_confirmation,
        "评审报告",
        recommended=str(best.id),
        # 214号: the group recommends the top three, in their order.
        candidates=[str(row[0].id) for row in ranked[:3]],
    )
    await notify_report_ready(session, actor, procurement, procurement.report_at)


async def recommend_again(session: AsyncSession, actor: Actor, procurement: Procurement) -> None:
    """A bid set aside after the report (a bar the documents apply): the valid bids are
    ranked again — the price benchmark is the lowest valid price (87号令 art. 55) — and the
    best recommended; the approvers are told anew, with a new time to confirm."""
    live = await scored_bids(session, procurement)
    seats = await members(session, procurement)
    scores = await repository.parts(session, Score, procurement)
    ranked = _rank(procurement, live, scores, len(seats))
    for bid in await bids.opened_bids(session, procurement):
        bid.total_score, bid.rank = None, None
    for position, (bid, *_, total) in enumerate(ranked, start=1):
        bid.total_score = total
        bid.rank = position
    before = procurement.recommended_bid_id
    procurement.recommended_bid_id = ranked[0][0].id
    procurement.recommended_provider_id = ranked[0][0].provider_id
    procurement.recommended_price = ranked[0][1]
    procurement.report_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "procurement.recommendation_changed",
        "procurement",
        procurement.id,
        before={"recommended": before},
        after={"recommended": procurement.recommended_bid_id},
    )
    await notify_report_ready(session, actor, procurement, procurement.report_at)


async def notify_report_ready(
    session: AsyncSession, actor: Actor, procurement: Procurement, report_at: datetime
) -> None:
    """Tell the approvers a winner is recommended, and by when they must confirm it."""
    legal = await rules.rules_for(session, actor.tenant)
    await procurements.tell_roles(
        session,
        actor,
        procurement,
        (Role.civil_affairs_approver,),
        events.REPORT_READY.name,
        {"confirm_by": rules.confirm_deadline(legal, report_at)},
    )


async def report(session: AsyncSession, actor: Actor, procurement: Procurement) -> ReportOut:
    seats = await members(session, procurement)
    submitted = sum(1 for m in seats if m.scores_submitted_at is not None)
    complete = bool(seats) and submitted == len(seats)
    ranking: list[RankedBid] = []
    if complete:
        live = await scored_bids(session, procurement)
        scores = await repository.parts(session, Score, procurement)
        for position, (bid, price, price_score, others, total) in enumerate(
            _rank(procurement, live, scores, len(seats)), start=1
        ):
            ranking.append(
                RankedBid(
                    bid_id=bid.id,
                    provider_id=bid.provider_id,
                    provider_name=(await tenancy.get_provider(session, bid.provider_id)).name,
                    price=text(price),
                    price_score=text(price_score),
                    other_scores={k: text(v) for k, v in others.items()},
                    total_score=text(total),
                    rank=position,
                )
            )
    return ReportOut(
        procurement_id=procurement.id,
        complete=complete,
        members_submitted=submitted,
        members=len(seats),
        ranking=ranking,
        recommended_bid_id=procurement.recommended_bid_id,
    )


# --- the award -----------------------------------------------------------------------------------


async def confirm(session: AsyncSession, actor: Actor, procurement_id: uuid.UUID) -> Procurement:
    """The buyer confirms the committee's recommended winner (within 5 working days; the
    chronograph warns when it is late)."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.awaiting_confirmation:
        raise WrongState(f"A {procurement.status} procurement has no winner to confirm.")
    await credit_criteria.check_winner(session, procurement)
    procurement.awarded_bid_id = procurement.recommended_bid_id
    procurement.awarded_provider_id = procurement.recommended_provider_id
    procurement.awarded_price = procurement.recommended_price
    procurement.confirmed_at = datetime.now(UTC)
    await procurements.move(
        session,
        actor,
        procurement,
        Status.awarded,
        "确认中标人",
        bid=str(procurement.awarded_bid_id),
    )
    return procurement


async def publish_result(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> Procurement:
    """结果公告 (within 2 working days of the confirmation); the challenge period starts."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.awarded:
        raise WrongState(f"A {procurement.status} procurement has no result to publish.")
    assert procurement.awarded_provider_id is not None and procurement.awarded_price is not None
    provider = await tenancy.get_provider(session, procurement.awarded_provider_id)
    price = text(procurement.awarded_price)
    procurement.result_published_at = datetime.now(UTC)
    await procurements.move(session, actor, procurement, Status.result_published, "结果公告")
    await notices.publish(
        session,
        actor,
        procurement,
        NoticeKind.result,
        {"winner": provider.name, "winner_uscc": provider.uscc, "price": price},
    )
    legal = await rules.rules_for(session, actor.tenant)
    await procurements.tell_providers(
        session,
        actor,
        procurement,
        await bids.participants(session, procurement),
        events.RESULT.name,
        {
            "winner": provider.name,
            "price": price,
            "challenge_by": rules.challenge_deadline(legal, procurement.result_published_at),
        },
    )
    await award_notice.issue(session, actor, procurement, legal)
    return procurement


async def reset_scores(session: AsyncSession, procurement: Procurement) -> None:
    """An upheld challenge sends the bids back to the committee: scores start again."""
    await session.execute(delete(Score).where(repository.belongs_to(Score, procurement)))
    for seat in await members(session, procurement):
        seat.scores_submitted_at = None
    for bid in await bids.live_bids(session, procurement):
        bid.total_score = None
        bid.rank = None
    procurement.recommended_bid_id = None
    procurement.recommended_provider_id = None
    procurement.recommended_price = None
    procurement.awarded_bid_id = None
    procurement.awarded_provider_id = None
    procurement.awarded_price = None
    procurement.report_at = None
    procurement.confirmed_at = None
    procurement.result_published_at = None
    # A new result brings a new award notice; the securities wait for it.
    procurement.award_notice_at = None
    procurement.bid_security_due = None
    await session.flush()
