"""评审: the expert pool, the committee drawn from it, scores, the report and the award.

The draw is reproducible: the eligible pool is ordered by user id and sampled with
``random.Random(seed)``, and the seed is recorded — anyone can redo the draw from the record.
Experts tied to a bidder (a declared affiliation, the same employer, or an account of the
bidder itself) are never in the pool. A member's scores stay hidden from the other members
until every member has submitted.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import service as identity
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField, NotFound
from services.kit.money import text
from services.notifications import service as notifications
from services.tenancy import service as tenancy
from services.tendering import (
    award_notice,
    bids,
    credit_criteria,
    events,
    notices,
    procurements,
    repository,
    rules,
)
from services.tendering.errors import (
    ExpertConflicted,
    NotEnoughExperts,
    ScoresHidden,
    WrongState,
)
from services.tendering.models import Bid, CommitteeMember, Expert, Procurement, Score
from services.tendering.schemas import (
    CommitteeIn,
    ExpertIn,
    Method,
    NoticeKind,
    RankedBid,
    ReportOut,
    ScoreIn,
    Status,
)

EXPERT = "expert"
BUYER = "buyer_representative"
TWO = Decimal("0.01")


# --- the expert pool ---------------------------------------------------------------------------


async def register_expert(session: AsyncSession, actor: Actor, body: ExpertIn) -> Expert:
    """Add (or update) an expert of the region's pool; the account holds the expert role here."""
    if Role.expert not in await tenancy.roles_in(session, actor.tenant, body.user_id):
        raise InvalidField("does not hold the expert role here", field="user_id")
    expert = await session.get(Expert, (actor.tenant, body.user_id), with_for_update=True)
    fields = {
        "specialities": list(dict.fromkeys(body.specialities)),
        "employer": body.employer,
        "affiliated_provider_ids": list(dict.fromkeys(body.affiliated_provider_ids)),
        "active": True,
    }
    if expert is None:
        expert = Expert(tenant_id=actor.tenant, user_id=body.user_id, **fields)
        session.add(expert)
    else:
        for name, value in fields.items():
            setattr(expert, name, value)
    await session.flush()
    await record(session, actor, "expert.registered", "expert", body.user_id, after=fields)
    return expert


async def list_experts(session: AsyncSession, tenant: str) -> Sequence[Expert]:
    rows = await session.scalars(
        select(Expert).where(Expert.tenant_id == tenant).order_by(Expert.user_id)
    )
    return rows.all()


# --- the committee -----------------------------------------------------------------------------


async def _ties(session: AsyncSession, live: Sequence[Bid]) -> tuple[set[uuid.UUID], set[str]]:
    providers = {bid.provider_id for bid in live}
    names = {(await tenancy.get_provider(session, p)).name for p in providers}
    return providers, names


async def _conflicted(
    session: AsyncSession, expert: Expert, providers: set[uuid.UUID], names: set[str]
) -> bool:
    if providers & set(expert.affiliated_provider_ids) or expert.employer in names:
        return True
    (user,) = await identity.users_by_ids(session, [expert.user_id])
    return user.provider_id in providers


async def draw_committee(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, body: CommitteeIn
) -> tuple[Procurement, list[CommitteeMember]]:
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    # Drawn once the bids are open: the committee also reviews their compliance (review.py).
    if procurement.status not in (
        Status.qualification_review,
        Status.compliance_review,
        Status.evaluation,
        Status.negotiating,
    ):
        raise WrongState(
            f"A committee is drawn for opened bids; the procurement is {procurement.status}."
        )
    if await members(session, procurement):
        raise WrongState("The committee has been drawn already.")
    legal = await rules.rules_for(session, actor.tenant)
    representatives = list(dict.fromkeys(body.buyer_representative_ids))
    size = body.experts + len(representatives)
    if Method(procurement.method) is Method.competitive_negotiation:
        rules.check_negotiation_group(
            legal, size, body.experts, procurement.budget_amount, field="experts"
        )
    else:
        rules.check_committee(legal, size, body.experts, procurement.budget_amount, field="experts")
    buyers = set(
        await tenancy.holders(
            session, actor.tenant, (Role.civil_affairs_officer, Role.civil_affairs_approver)
        )
    )
    for index, user_id in enumerate(representatives):
        if user_id not in buyers:
            raise InvalidField(
                "is not a civil-affairs user here", field=f"buyer_representative_ids[{index}]"
            )
    providers, names = await _ties(session, await bids.live_bids(session, procurement))
    pool = [
        expert
        for expert in await list_experts(session, actor.tenant)
        if expert.active
        and body.speciality in expert.specialities
        and expert.user_id not in representatives
        and not await _conflicted(session, expert, providers, names)
    ]
    appointed = list(dict.fromkeys(body.appointed_expert_ids))
    for index, user_id in enumerate(appointed):
        expert = await session.get(Expert, (actor.tenant, user_id))
        if expert is None or not expert.active:
            raise InvalidField(
                "is not in this region's expert pool", field=f"appointed_expert_ids[{index}]"
            )
        if await _conflicted(session, expert, providers, names):
            raise ExpertConflicted(
                "is tied to a bidder (affiliation or employer) and may not evaluate",
                field=f"appointed_expert_ids[{index}]",
                rule="conflict_of_interest",
            )
    to_draw = body.experts - len(appointed)
    if to_draw < 0:
        raise InvalidField("more appointed experts than seats", field="appointed_expert_ids")
    candidates = sorted(
        (e for e in pool if e.user_id not in appointed), key=lambda e: str(e.user_id)
    )
    if len(candidates) < to_draw:
        raise NotEnoughExperts(
            f"{len(candidates)} eligible experts in '{body.speciality}', {to_draw} needed"
        )
    seed = body.seed or secrets.token_hex(16)
    # Reproducible from the recorded seed on purpose; the seed itself comes from `secrets`.
    drawn = random.Random(seed).sample(candidates, to_draw)  # noqa: S311
    seats = [
        CommitteeMember(
            tenant_id=actor.tenant, procurement_id=procurement.id, user_id=u, kind=EXPERT
        )
        for u in appointed
    ]
    seats += [
        CommitteeMember(
            tenant_id=actor.tenant, procurement_id=procurement.id, user_id=e.user_id, kind=EXPERT
        )
        for e in drawn
    ]
    seats += [
        CommitteeMember(
            tenant_id=actor.tenant, procurement_id=procurement.id, user_id=u, kind=BUYER
        )
        for u in representatives
    ]
    session.add_all(seats)
    procurement.committee_seed = seed
    await session.flush()
    await record(
        session,
        actor,
        "committee.drawn",
        "procurement",
        procurement.id,
        after={
            "seed": seed,
            "speciality": body.speciality,
            "pool": [str(e.user_id) for e in candidates],
            "drawn": [str(e.user_id) for e in drawn],
            "appointed": [str(u) for u in appointed],
            "buyer_representatives": [str(u) for u in representatives],
        },
    )
    await notifications.notify(
        session,
        actor,
        event_type=events.COMMITTEE_SEAT.name,
        recipients=[seat.user_id for seat in seats],
        context=await procurements.context(session, actor, procurement),
        tenant=actor.tenant,
    )
    return procurement, seats


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
    """Scored criteria (name → weight) and the price weight."""
    scored = {c["name"]: int(c["weight"]) for c in procurement.criteria if not c["price"]}
    price_weight = next(int(c["weight"]) for c in procurement.criteria if c["price"])
    return scored, price_weight


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
    live = {bid.id for bid in await bids.live_bids(session, procurement)}
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


def _rank(
    procurement: Procurement, live: Sequence[Bid], scores: Sequence[Score], seats: int
) -> list[tuple[Bid, Decimal, dict[str, Decimal], Decimal]]:
    """(bid, price score, averaged criterion scores, total), best first."""
    scored, price_weight = _criteria(procurement)
    lowest = min(bid.price or Decimal(0) for bid in live)
    ranked = []
    for bid in live:
        assert bid.price is not None
        price_score = (lowest / bid.price * price_weight).quantize(TWO, rounding=ROUND_HALF_UP)
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
        ranked.append((bid, price_score, others, price_score + sum(others.values(), Decimal(0))))
    ranked.sort(key=lambda row: (-row[3], row[0].price, row[0].submitted_at))
    return ranked


async def _conclude_evaluation(
    session: AsyncSession, actor: Actor, procurement: Procurement
) -> None:
    live = await bids.live_bids(session, procurement)
    seats = await members(session, procurement)
    scores = await repository.parts(session, Score, procurement)
    ranked = _rank(procurement, live, scores, len(seats))
    for position, (bid, _, _, total) in enumerate(ranked, start=1):
        bid.total_score = total
        bid.rank = position
    procurement.recommended_bid_id = ranked[0][0].id
    procurement.recommended_provider_id = ranked[0][0].provider_id
    procurement.recommended_price = ranked[0][0].price
    procurement.report_at = datetime.now(UTC)
    await procurements.move(
        session,
        actor,
        procurement,
        Status.awaiting_confirmation,
        "评审报告",
        recommended=str(ranked[0][0].id),
    )
    await notify_report_ready(session, actor, procurement, procurement.report_at)


async def recommend_again(session: AsyncSession, actor: Actor, procurement: Procurement) -> None:
    """A bid set aside after the report (a bar the documents apply): the valid bids are
    ranked again — the price benchmark is the lowest valid price (87号令 art. 55) — and the
    best recommended; the approvers are told anew, with a new time to confirm."""
    live = await bids.live_bids(session, procurement)
    seats = await members(session, procurement)
    scores = await repository.parts(session, Score, procurement)
    ranked = _rank(procurement, live, scores, len(seats))
    for bid in await bids.opened_bids(session, procurement):
        bid.total_score, bid.rank = None, None
    for position, (bid, _, _, total) in enumerate(ranked, start=1):
        bid.total_score = total
        bid.rank = position
    before = procurement.recommended_bid_id
    procurement.recommended_bid_id = ranked[0][0].id
    procurement.recommended_provider_id = ranked[0][0].provider_id
    procurement.recommended_price = ranked[0][0].price
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
        live = await bids.live_bids(session, procurement)
        scores = await repository.parts(session, Score, procurement)
        for position, (bid, price_score, others, total) in enumerate(
            _rank(procurement, live, scores, len(seats)), start=1
        ):
            ranking.append(
                RankedBid(
                    bid_id=bid.id,
                    provider_id=bid.provider_id,
                    provider_name=(await tenancy.get_provider(session, bid.provider_id)).name,
                    price=text(bid.price or Decimal(0)),
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
