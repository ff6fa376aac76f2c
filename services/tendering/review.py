"""审查: after a tender's opening, the buyer reviews each opened bid's qualifications (资格审查,
87号令 art. 44) and then the committee each qualified bid's compliance with the documents'
substantive requirements (符合性审查, art. 50). Each invalid bid keeps its reason, and its bidder
is told its own — never another's. Only valid bids are scored, and the price score's benchmark
is the lowest valid price (art. 55): an invalid bid leaves the live bids, so the committee never
sees it in scoring. Fewer than three valid bids after either review is 废标 (政府采购法 art. 36):
the tender fails as at the opening, and the money goes back to its budget line.

The committee's compliance conclusion is one decision of the committee (by majority where its
members disagree, 87号令 art. 57); one of its members records it, and the audit names who.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.errors import InvalidField
from services.tendering import bids, evaluation, events, opening, procurements, rules
from services.tendering.errors import WrongState
from services.tendering.models import Bid, Procurement
from services.tendering.schemas import BidStatus, BidVerdictOut, ReviewOut, Status, VerdictIn

QUALIFICATION = "资格审查"
COMPLIANCE = "符合性审查"


def _checked(opened: Sequence[Bid], verdicts: list[VerdictIn]) -> dict[uuid.UUID, VerdictIn]:
    """Every opened bid exactly once; an invalid one with its reason."""
    ids = {bid.id for bid in opened}
    given: dict[uuid.UUID, VerdictIn] = {}
    for index, verdict in enumerate(verdicts):
        if verdict.bid_id not in ids:
            raise InvalidField("is not a bid under this review", field=f"verdicts[{index}].bid_id")
        if verdict.bid_id in given:
            raise InvalidField("is given a verdict twice", field=f"verdicts[{index}].bid_id")
        if not verdict.valid and verdict.reason is None:
            raise InvalidField("an invalid bid needs its reason", field=f"verdicts[{index}].reason")
        if verdict.valid and verdict.reason is not None:
            raise InvalidField("a valid bid takes no reason", field=f"verdicts[{index}].reason")
        given[verdict.bid_id] = verdict
    missing = len(ids - given.keys())
    if missing:
        raise InvalidField(f"{missing} opened bids have no verdict", field="verdicts")
    return given


async def qualify(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, verdicts: list[VerdictIn]
) -> Procurement:
    """The buyer's 资格审查 of every opened bid against the documents' qualification criteria."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.qualification_review:
        raise WrongState(f"A {procurement.status} procurement has no qualification review.")
    opened = list(await bids.live_bids(session, procurement))
    given = _checked(opened, verdicts)
    for bid in opened:
        bid.qualified = given[bid.id].valid
        bid.qualification_reason = given[bid.id].reason
    await _conclude(session, actor, procurement, opened, given, QUALIFICATION)
    return procurement


async def comply(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, verdicts: list[VerdictIn]
) -> Procurement:
    """The committee's 符合性审查 of every qualified bid, recorded by one of its members."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    # A non-member learns nothing of the procurement's review (404), in any state.
    await evaluation.seat_of(session, actor, procurement)
    if procurement.status != Status.compliance_review:
        raise WrongState(f"A {procurement.status} procurement has no compliance review.")
    qualified = list(await bids.live_bids(session, procurement))
    given = _checked(qualified, verdicts)
    for bid in qualified:
        bid.compliant = given[bid.id].valid
        bid.compliance_reason = given[bid.id].reason
    await _conclude(session, actor, procurement, qualified, given, COMPLIANCE)
    return procurement


async def _conclude(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    reviewed: list[Bid],
    given: dict[uuid.UUID, VerdictIn],
    stage: str,
) -> None:
    invalid = [bid for bid in reviewed if not given[bid.id].valid]
    for bid in invalid:
        bid.status = BidStatus.invalid.value
    await session.flush()
    await record(
        session,
        actor,
        "procurement.bids_reviewed",
        "procurement",
        procurement.id,
        after={
            "stage": stage,
            "at": datetime.now(UTC),
            "verdicts": {str(b.id): given[b.id].reason or "valid" for b in reviewed},
        },
    )
    # Each bidder hears its own bid's reason, in a notification of its own.
    for bid in invalid:
        await procurements.tell_providers(
            session,
            actor,
            procurement,
            [bid.provider_id],
            events.BID_INVALID.name,
            {"stage": stage, "reason": given[bid.id].reason},
        )
    valid = len(reviewed) - len(invalid)
    legal = await rules.rules_for(session, actor.tenant)
    if valid < legal.open_tender_min_bids:
        # 政府采购法 art. 36(1): fewer than three suppliers meet the requirements — 废标.
        await opening.fail(
            session,
            actor,
            procurement,
            list(await bids.opened_bids(session, procurement)),
            f"{stage}后符合要求的供应商不足{legal.open_tender_min_bids}家（{valid}家）",
        )
        return
    await procurements.move(
        session,
        actor,
        procurement,
        Status.compliance_review if stage == QUALIFICATION else Status.evaluation,
        stage,
        valid=valid,
        invalid=len(invalid),
    )


async def read(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, sees_all: bool
) -> ReviewOut:
    """The review's verdicts: every bid's for the buyer, finance (``sees_all``) and the
    committee's members; a bidder's own bid only; anyone else with a seat-less role learns
    nothing (404)."""
    procurement = await procurements.get(session, actor, procurement_id)
    opened = await bids.opened_bids(session, procurement)
    if actor.provider_id is not None:
        opened = [bid for bid in opened if bid.provider_id == actor.provider_id]
    elif not sees_all:
        await evaluation.seat_of(session, actor, procurement)
    return ReviewOut(
        procurement_id=procurement.id,
        status=Status(procurement.status),
        verdicts=[
            BidVerdictOut(
                bid_id=bid.id,
                provider_id=bid.provider_id,
                qualified=bid.qualified,
                qualification_reason=bid.qualification_reason,
                compliant=bid.compliant,
                compliance_reason=bid.compliance_reason,
            )
            for bid in opened
        ],
    )
