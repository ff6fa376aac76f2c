"""Response bodies built from tendering's rows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.service import Ground
from services.kit import workdays
from services.kit.audit import Actor
from services.kit.money import text
from services.tenancy import service as tenancy
from services.tendering import deadlines, procurements, repository, single_source
from services.tendering.models import (
    Bid,
    BidSecurity,
    Challenge,
    Enquiry,
    Exclusion,
    NegotiationRound,
    Notice,
    Offer,
    Procurement,
)
from services.tendering.schemas import (
    BidOut,
    BidSecurityOut,
    BidStatus,
    ChallengeOut,
    ChallengeOutcome,
    CreditWindow,
    Criterion,
    EnquiryOut,
    ExclusionOut,
    Method,
    MethodReason,
    NoticeKind,
    NoticeOut,
    OfferOut,
    ProcurementOut,
    RegionOut,
    RoundOut,
    Status,
    TransitionOut,
)


async def procurement(
    session: AsyncSession, p: Procurement, with_transitions: bool = False
) -> ProcurementOut:
    await session.refresh(p)
    justification_due = await single_source.justification_due(session, p)
    transitions = None
    if with_transitions:
        transitions = [
            TransitionOut(
                seq=t.seq,
                from_status=Status(t.from_status) if t.from_status else None,
                to_status=Status(t.to_status),
                at=t.at,
                by_user=t.by_user,
                reason=t.reason,
            )
            for t in await procurements.transitions(session, p)
        ]
    return ProcurementOut(
        id=p.id,
        tenant_id=p.tenant_id,
        ocid=p.ocid,
        project_id=p.project_id,
        budget_line_id=p.budget_line_id,
        title=p.title,
        requirements=p.requirements,
        method=Method(p.method),
        method_reason=MethodReason(p.method_reason) if p.method_reason else None,
        method_justification=p.method_justification,
        status=Status(p.status),
        budget_amount=text(p.budget_amount),
        ceiling_price=text(p.ceiling_price),
        bid_security=text(p.bid_security),
        qualification_criteria=list(p.qualification_criteria),
        credit_bars=[Ground(g) for g in p.credit_bars],
        credit_window=CreditWindow(p.credit_window),
        criteria=[
            Criterion(name=c["name"], weight=c["weight"], price=c["price"]) for c in p.criteria
        ],
        enquiry_deadline=p.enquiry_deadline,
        bid_deadline=p.bid_deadline,
        opening_at=p.opening_at,
        documents_issued_at=p.documents_issued_at,
        approved_by=p.approved_by,
        approved_at=p.approved_at,
        approval_note=p.approval_note,
        invited_provider_ids=await procurements.invited_of(session, p),
        created_at=p.created_at,
        updated_at=p.updated_at,
        awarded_bid_id=p.awarded_bid_id,
        awarded_provider_id=p.awarded_provider_id,
        awarded_price=text(p.awarded_price) if p.awarded_price is not None else None,
        transitions=transitions,
        deadlines=await deadlines.show(session, Actor(None, p.tenant_id), p),
        technically_complex=p.technically_complex,
        wide_social_impact=p.wide_social_impact,
        fixed_price=p.fixed_price,
        price_weight_outside_range=p.price_weight_outside_range,
        approving_region=await _region(session, p.approving_region),
        continues_from=p.continues_from,
        continued_by=await repository.continuation_of(session, p)
        if p.status == Status.failed
        else None,
        justification_due=justification_due,
        justification_due_provisional=justification_due is not None
        and workdays.is_provisional_moment(justification_due),
    )


async def _region(session: AsyncSession, code: str | None) -> RegionOut | None:
    if code is None:
        return None
    return RegionOut(code=code, name=(await tenancy.get_tenant(session, code)).name)


def notice(n: Notice) -> NoticeOut:
    return NoticeOut(
        id=n.id,
        tenant_id=n.tenant_id,
        procurement_id=n.procurement_id,
        ocid=str(n.data.get("ocid", "")),
        kind=NoticeKind(n.kind),
        title=n.title,
        body=n.body,
        data=n.data,
        published_at=n.published_at,
    )


def bid(b: Bid, provider_name: str | None = None) -> BidOut:
    """A bid as its provider, or (after the opening) the buyer, sees it."""
    return BidOut(
        id=b.id,
        procurement_id=b.procurement_id,
        provider_id=b.provider_id,
        status=BidStatus(b.status),
        receipt=b.receipt,
        submitted_at=b.submitted_at,
        withdrawn_at=b.withdrawn_at,
        price=text(b.price) if b.price is not None else None,
        total_score=text(b.total_score) if b.total_score is not None else None,
        rank=b.rank,
        provider_name=provider_name,
    )


def enquiry(e: Enquiry, mine: bool = False) -> EnquiryOut:
    return EnquiryOut(
        id=e.id,
        procurement_id=e.procurement_id,
        question=e.question,
        asked_at=e.asked_at,
        answer=e.answer,
        answered_at=e.answered_at,
        affects_bids=e.affects_bids,
        mine=mine,
    )


def challenge(c: Challenge) -> ChallengeOut:
    return ChallengeOut(
        id=c.id,
        procurement_id=c.procurement_id,
        provider_id=c.provider_id,
        grounds=c.grounds,
        filed_at=c.filed_at,
        answer_due=c.answer_due,
        answer_due_provisional=workdays.is_provisional_moment(c.answer_due),
        outcome=ChallengeOutcome(c.outcome) if c.outcome else None,
        answer=c.answer,
        answered_at=c.answered_at,
    )


def round_out(r: NegotiationRound) -> RoundOut:
    return RoundOut(round=r.round, final=r.final, note=r.note, opened_at=r.opened_at)


def offer(o: Offer) -> OfferOut:
    return OfferOut(
        round=o.round,
        provider_id=o.provider_id,
        price=text(o.price),
        terms=o.terms,
        submitted_at=o.submitted_at,
    )


def exclusion(e: Exclusion) -> ExclusionOut:
    return ExclusionOut(provider_id=e.provider_id, reason=e.reason, excluded_at=e.excluded_at)


def bid_security(s: BidSecurity) -> BidSecurityOut:
    return BidSecurityOut(
        bid_id=s.bid_id,
        provider_id=s.provider_id,
        amount=text(s.amount),
        winner=s.winner,
        due_at=s.due_at,
        due_at_provisional=s.due_at is not None and workdays.is_provisional_moment(s.due_at),
        returned_at=s.returned_at,
        returned_by=s.returned_by,
        note=s.note,
    )
