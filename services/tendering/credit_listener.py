"""A supplier barred while a procurement runs: its bid or offer is set aside where the
documents apply the bar, and the buyer is told either way.

Credit announces a confirmed record through its bar listeners: its job
``credit.provider_bars_changed`` (the only handler of that job) binds each region the record
reaches and calls every registered listener there, in the job's own transaction. Tendering
registers ``on_bar_change`` below — an in-process fan-out, so no second job and no second
message key: the set-asides and the notices commit with credit's notices, or not at all, and a
redelivered message does nothing (its key is claimed with them).

Setting aside (an invalid bid, 87号令 art. 44's qualification criteria): the bid is marked
invalid with the reason, and a negotiation's supplier is excluded with it, so its offers no
longer count and it makes no more. Scores exclude the bid. What follows depends on where the
procurement is: before or during the review, the review counts only what remains (fewer than
three valid bids fail the tender there, 政府采购法 art. 36); during the committee's scoring or
after its report, too few remaining bids fail the tender now, and after the report the valid
bids are ranked again (the price benchmark moves to the lowest valid price, art. 55). A revoked
record sets nothing back: a bid set aside stays invalid (the supplier may bid again while bids
are open).

The buyer may apply the same test itself at any time before the award
(``POST …/credit-recheck``): the award's confirmation refuses a barred winner and names it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import service as credit
from services.kit.audit import Actor, record
from services.tenancy import service as tenancy
from services.tendering import (
    bids,
    credit_criteria,
    evaluation,
    events,
    negotiation,
    opening,
    procurements,
    rules,
)
from services.tendering.errors import WrongState
from services.tendering.models import Bid, Exclusion, Invitation, Procurement
from services.tendering.schemas import BidStatus, Method, Status

# From publication (or a single source's notice) to the award: where a bar still matters.
RUNNING = frozenset(
    {
        Status.single_source_notice,
        Status.awaiting_approval,
        Status.approved,
        Status.tendering,
        Status.qualification_review,
        Status.compliance_review,
        Status.negotiating,
        Status.evaluation,
        Status.awaiting_confirmation,
    }
)
TENDERS = frozenset({Method.open_tender, Method.invited_tender})
# Ranked by the committee's (group's) scores: a consultation after its rounds too.
SCORED = TENDERS | {Method.competitive_consultation}
NEGOTIATED = negotiation.NEGOTIATED
STAGE = "信用审查"


async def _running_with(
    session: AsyncSession, tenant: str, provider_id: uuid.UUID
) -> list[Procurement]:
    """Running procurements where the provider has a live bid or was invited to negotiate."""
    has_bid = select(Bid.procurement_id).where(
        Bid.tenant_id == tenant,
        Bid.provider_id == provider_id,
        Bid.status == BidStatus.submitted.value,
    )
    invited = select(Invitation.procurement_id).where(
        Invitation.tenant_id == tenant, Invitation.provider_id == provider_id
    )
    rows = await session.scalars(
        select(Procurement)
        .where(
            Procurement.tenant_id == tenant,
            Procurement.status.in_([s.value for s in RUNNING]),
            or_(
                Procurement.id.in_(has_bid),
                and_(
                    Procurement.id.in_(invited),
                    Procurement.method.in_([m.value for m in NEGOTIATED]),
                ),
            ),
        )
        .order_by(Procurement.created_at, Procurement.id)
        .with_for_update()
    )
    return list(rows.all())


async def set_aside(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    provider_id: uuid.UUID,
    reason: str,
) -> bool:
    """Set aside the provider's bid and, in a negotiation, the supplier itself; then what
    follows for the procurement. True when anything was set aside."""
    changed = False
    for bid in await bids.live_bids(session, procurement):
        if bid.provider_id == provider_id:
            bid.status = BidStatus.invalid.value
            bid.qualified = False
            bid.qualification_reason = reason
            changed = True
    method = Method(procurement.method)
    if method in NEGOTIATED and (
        await session.get(Exclusion, (procurement.tenant_id, procurement.id, provider_id)) is None
    ):
        session.add(
            Exclusion(
                tenant_id=procurement.tenant_id,
                procurement_id=procurement.id,
                provider_id=provider_id,
                reason=reason,
                excluded_by=actor.user_id,
                excluded_at=datetime.now(UTC),
            )
        )
        changed = True
    if not changed:
        return False
    await session.flush()
    await record(
        session,
        actor,
        "procurement.credit_set_aside",
        "procurement",
        procurement.id,
        after={"provider_id": provider_id, "reason": reason},
    )
    await procurements.tell_providers(
        session,
        actor,
        procurement,
        [provider_id],
        events.BID_INVALID.name,
        {"stage": STAGE, "reason": reason},
    )
    await _follow(session, actor, procurement, provider_id, reason)
    return True


async def _follow(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    provider_id: uuid.UUID,
    reason: str,
) -> None:
    status, method = Status(procurement.status), Method(procurement.method)
    if status is Status.negotiating:
        # 74号令 art. 37: too few suppliers left end the negotiation (single source excepted).
        await negotiation.end_if_too_few(session, actor, procurement, reason)
        return
    if status not in (Status.evaluation, Status.awaiting_confirmation):
        return  # the review or the opening count what remains
    if method in SCORED:
        legal = await rules.rules_for(session, procurement.tenant_id)
        valid = len(await evaluation.scored_bids(session, procurement))
        needed = (
            legal.open_tender_min_bids
            if method in TENDERS
            else legal.consultation_services_min_suppliers
        )
        if valid < needed:
            # 政府采购法 art. 36(1), as after the review: too few suppliers meet the requirements.
            await opening.fail(
                session,
                actor,
                procurement,
                list(await bids.opened_bids(session, procurement)),
                f"{STAGE}后符合要求的供应商不足{needed}家（{valid}家）",
            )
        elif status is Status.awaiting_confirmation:
            await evaluation.recommend_again(session, actor, procurement)
        return
    if status is Status.awaiting_confirmation and procurement.recommended_provider_id == (
        provider_id
    ):
        if not await negotiation.recommend_again(session, actor, procurement):
            await opening.fail(
                session, actor, procurement, [], f"{STAGE}后无符合要求的供应商最后报价"
            )


async def _tell_buyer(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    provider_id: uuid.UUID,
    bar: str,
    why: str,
) -> None:
    provider = await tenancy.get_provider(session, provider_id)
    await procurements.tell_roles(
        session,
        actor,
        procurement,
        procurements.CIVIL_AFFAIRS,
        events.BIDDER_BARRED.name,
        {"provider_name": provider.name, "bar": bar, "why": why},
    )


@credit.register_bar_listener
async def on_bar_change(session: AsyncSession, change: credit.BarChange) -> None:
    """Credit's job, bound to ``change.tenant``: a confirmed record reaches this region."""
    if change.change is not credit.Change.barred:
        return
    actor = Actor(None, change.tenant)
    source = await tenancy.get_tenant(session, change.source_tenant)
    bar = credit_criteria.describe_parts(
        source.name,
        change.source_tenant,
        change.ground,
        change.ends_on - timedelta(days=1),
    )
    for procurement in await _running_with(session, change.tenant, change.provider_id):
        why = credit_criteria.counts(procurement, change.ground, change.starts_on, change.ends_on)
        if why == "applied":
            await set_aside(session, actor, procurement, change.provider_id, f"{STAGE}：列入{bar}")
        await record(
            session,
            actor,
            "procurement.bidder_barred",
            "procurement",
            procurement.id,
            after={
                "provider_id": change.provider_id,
                "disqualification_id": change.disqualification_id,
                "ground": change.ground.value,
                "outcome": why,
            },
        )
        await _tell_buyer(session, actor, procurement, change.provider_id, bar, why)


async def recheck(session: AsyncSession, actor: Actor, procurement_id: uuid.UUID) -> Procurement:
    """The buyer applies the documents' bars now to every supplier still in: each barred one
    is set aside as the listener would."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if Status(procurement.status) not in RUNNING:
        raise WrongState(f"A {procurement.status} procurement has no suppliers to check.")
    suppliers = [bid.provider_id for bid in await bids.live_bids(session, procurement)]
    if Method(procurement.method) in NEGOTIATED:
        suppliers += await procurements.invited_of(session, procurement)
    for provider_id in dict.fromkeys(suppliers):
        if Status(procurement.status) not in RUNNING:
            break  # failed: nothing left to set aside
        found = await credit_criteria.bars_against(session, procurement, provider_id)
        if found:
            reason = f"{STAGE}：列入{credit_criteria.describe(found[0])}"
            await set_aside(session, actor, procurement, provider_id, reason)
    return procurement
