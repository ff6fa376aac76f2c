"""What later stages use of tendering: a concluded procurement's award — who won, at what
price, on which budget line and commitment, and when the result was published and stood.
Contracts draft from it and statistics count it. Contracts also tell tendering what happened
at signing: the winner signed (its bid security is owed back), or refused (the next-ranked
candidate wins, or the buyer procures again). Other contexts import this module only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.kit.rows import row_dict, rows_of
from services.tendering import award_notice, challenges, notices, refusal, repository, rules
from services.tendering.award_notice import AWARD_NOTIFIED
from services.tendering.errors import WrongState
from services.tendering.models import (
    AwardRefusal,
    Bid,
    BidSecurity,
    Challenge,
    CommitteeMember,
    Enquiry,
    Exclusion,
    Invitation,
    NegotiationRound,
    Notice,
    Offer,
    Procurement,
    Score,
    Transition,
)
from services.tendering.schemas import Method, NoticeKind, Status
from services.tendering.selection_models import SupplierSelection

# The national law's numbers (a region may only tighten them): what supervisors measure against.
NATIONAL_RULES = rules.NATIONAL

__all__ = [
    "AWARD_NOTIFIED",
    "NATIONAL_RULES",
    "Award",
    "Method",
    "NoticeKind",
    "OpenChallenge",
    "OpenFacts",
    "ProcurementFile",
    "PublicNotice",
    "WrongState",
    "abandon_award",
    "award_next_ranked",
    "check_performance_security",
    "concluded_award",
    "contract_sign_rule",
    "contract_signed",
    "ended_procurements",
    "notified_award",
    "open_challenges",
    "open_facts",
    "procurement_files",
    "procurement_states",
    "publish_acceptance_notice",
    "publish_amendment_notice",
    "publish_contract_notice",
    "published_ceilings",
    "supplementary_max_share",
]


@dataclass(frozen=True)
class Award:
    """The award of a concluded procurement (结果确定)."""

    tenant: str
    procurement_id: uuid.UUID
    ocid: str
    title: str
    method: Method
    project_id: uuid.UUID
    budget_line_id: uuid.UUID
    # The budget money held for this purchase (planning's commitment) and its amount.
    commitment_id: uuid.UUID
    budget_amount: Decimal
    provider_id: uuid.UUID
    # The winning bid; None where the award rests on offers alone (a single source).
    bid_id: uuid.UUID | None
    price: Decimal
    confirmed_at: datetime  # the buyer confirmed the result (采购人确认)
    result_published_at: datetime  # the result notice (结果公告)
    # The award notice (中标/成交通知书), sent with the result notice: the contract's 30 days
    # run from it. None for results published before the platform sent award notices.
    award_notice_at: datetime | None
    # The last moment to sign the contract: 30 days from the day after the award notice.
    sign_by: datetime | None
    # The challenge period passed with no challenge standing; None until then.
    concluded_at: datetime | None


@dataclass(frozen=True)
class OpenChallenge:
    """A challenge (质疑) of the result the buyer has not answered yet."""

    id: uuid.UUID
    provider_id: uuid.UUID
    filed_at: datetime
    answer_due: datetime  # 7 working days from the day after it was filed


async def concluded_award(session: AsyncSession, tenant: str, procurement_id: uuid.UUID) -> Award:
    """The award of a concluded procurement of ``tenant``; NotFound when there is no such
    procurement, WrongState while it is not concluded."""
    procurement = await _procurement(session, tenant, procurement_id)
    concluded_at = await repository.entered(session, tenant, procurement_id, Status.concluded)
    if procurement.status != Status.concluded or concluded_at is None:
        raise WrongState("The procurement is not concluded.")
    return await _award(session, procurement, concluded_at)


async def notified_award(session: AsyncSession, tenant: str, procurement_id: uuid.UUID) -> Award:
    """The award of a procurement whose award notice has gone out — the contract may be
    drafted from then on, while challenges may still come (政府采购法 art. 46); NotFound when
    there is no such procurement, WrongState when no award notice stands (none sent yet, or
    the procurement was cancelled or failed after it)."""
    procurement = await _procurement(session, tenant, procurement_id)
    if procurement.award_notice_at is None:
        raise WrongState("No award notice has been sent for this procurement.")
    if procurement.status not in award_notice.SIGNABLE:
        raise WrongState(f"The award was withdrawn: the procurement is {procurement.status}.")
    concluded_at = None
    if procurement.status == Status.concluded:  # (a new result after a refusal starts again)
        concluded_at = await repository.entered(session, tenant, procurement_id, Status.concluded)
    return await _award(session, procurement, concluded_at)


async def award_next_ranked(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    refused_provider_id: uuid.UUID,
    reason: str,
) -> Award:
    """The winner refused, or failed, to sign (实施条例 art. 49): the buyer names the next
    candidate in the review's order, one that never refused here. In the caller's transaction:
    the refusal is recorded, a new result notice and award notice go out (a new AWARD_NOTIFIED
    job, 30 days to sign and a challenge period from it), and the new award is returned.
    NotFound: no such procurement; WrongState: no award notice stands, the contract is signed,
    a single source, or nobody is left to name ("procure again"); InvalidField
    (``refused_provider_id``): not the awarded provider, (``reason``): blank."""
    procurement = await refusal.award_next_ranked(
        session, actor, procurement_id, refused_provider_id, reason
    )
    return await _award(session, procurement, None)


async def abandon_award(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    refused_provider_id: uuid.UUID,
    reason: str,
) -> None:
    """The winner refused to sign and the buyer procures again: the refusal is recorded, the
    procurement fails with a failure notice (废标公告) naming the reason, and the committed money
    goes back to the budget line (the project back to budgeted). Same refusals as
    ``award_next_ranked``, but for the candidates."""
    await refusal.abandon_award(session, actor, procurement_id, refused_provider_id, reason)


async def open_challenges(
    session: AsyncSession, tenant: str, procurement_id: uuid.UUID
) -> list[OpenChallenge]:
    """The procurement's challenges not yet answered, oldest first (政府采购法 art. 54: the
    buyer may suspend signing while one is open); NotFound when there is no such procurement."""
    procurement = await _procurement(session, tenant, procurement_id)
    return [
        OpenChallenge(
            id=c.id, provider_id=c.provider_id, filed_at=c.filed_at, answer_due=c.answer_due
        )
        for c in await challenges.unanswered(session, procurement)
    ]


async def contract_signed(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, signed_at: datetime
) -> None:
    """The winner signed the contract at ``signed_at``: its bid security, still held, is owed
    back by the end of the 5th working day after (财政部令第87号 art. 38) and the sweep warns
    past it; the award can no longer move to another candidate. The same moment twice is a
    no-op. NotFound: no such procurement; WrongState: no award notice stands, or another
    signing moment is recorded; InvalidField (``signed_at``): no time zone, before the award
    notice or in the future."""
    await award_notice.contract_signed(session, actor, procurement_id, signed_at)


async def check_performance_security(
    session: AsyncSession, tenant: str, security: Decimal, price: Decimal, field: str
) -> None:
    """Refuse a performance security above the share of the price the law and the region
    allow (实施条例 art. 48: at most 10 %), naming ``field``."""
    legal = await rules.rules_for(session, tenant)
    rules.check_performance_security(legal, security, price, field=field)


async def publish_contract_notice(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, data: dict[str, Any]
) -> uuid.UUID:
    """Publish the signed contract's public notice (合同公告, 实施条例 art. 50) among the
    procurement's notices, where anyone reads them in every region; its id."""
    procurement = await _procurement(session, actor.tenant, procurement_id)
    notice = await notices.publish(session, actor, procurement, NoticeKind.contract, data)
    return notice.id


async def publish_amendment_notice(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, data: dict[str, Any]
) -> uuid.UUID:
    """Publish the notice of a contract amendment that took effect (补充合同公告, 合同变更公告,
    合同解除公告) among the procurement's notices; ``data["amendment_kind"]`` names which. Its
    id."""
    procurement = await _procurement(session, actor.tenant, procurement_id)
    notice = await notices.publish(session, actor, procurement, NoticeKind.amendment, data)
    return notice.id


# --- delivery ---


async def publish_acceptance_notice(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, data: dict[str, Any]
) -> uuid.UUID:
    """Publish the result of a contract's acceptance (验收结果公告, 实施条例 art. 45) among the
    procurement's notices; ``data`` names the provider, the round, the result and each
    standard with its verdict, and no person. Its id."""
    procurement = await _procurement(session, actor.tenant, procurement_id)
    notice = await notices.publish(session, actor, procurement, NoticeKind.acceptance, data)
    return notice.id


async def supplementary_max_share(session: AsyncSession, tenant: str) -> Decimal:
    """The share of a contract's original price that its supplementary purchases may reach
    together in the region: 10 % by law (政府采购法 art. 49), less where the region tightened
    it (rule ``supplementary_max_percent``)."""
    legal = await rules.rules_for(session, tenant)
    return legal.supplementary_max_percent / Decimal(100)


async def _procurement(
    session: AsyncSession, tenant: str, procurement_id: uuid.UUID
) -> Procurement:
    procurement = await repository.procurement(session, tenant, procurement_id)
    if procurement is None:
        raise NotFound("No such procurement.")
    return procurement


async def _award(
    session: AsyncSession, procurement: Procurement, concluded_at: datetime | None
) -> Award:
    if (
        procurement.awarded_provider_id is None
        or procurement.awarded_price is None
        or procurement.confirmed_at is None
        or procurement.result_published_at is None
    ):
        raise WrongState("The procurement has no award.")
    sign_by = None
    if procurement.award_notice_at is not None:
        legal = await rules.rules_for(session, procurement.tenant_id)
        sign_by = rules.contract_deadline(legal, procurement.award_notice_at)
    return Award(
        tenant=procurement.tenant_id,
        procurement_id=procurement.id,
        ocid=procurement.ocid,
        title=procurement.title,
        method=Method(procurement.method),
        project_id=procurement.project_id,
        budget_line_id=procurement.budget_line_id,
        commitment_id=procurement.commitment_id,
        budget_amount=procurement.budget_amount,
        provider_id=procurement.awarded_provider_id,
        bid_id=procurement.awarded_bid_id,
        price=procurement.awarded_price,
        confirmed_at=procurement.confirmed_at,
        result_published_at=procurement.result_published_at,
        award_notice_at=procurement.award_notice_at,
        sign_by=sign_by,
        concluded_at=concluded_at,
    )


async def contract_sign_rule(session: AsyncSession, tenant: str) -> Callable[[datetime], datetime]:
    """The region's rule for the last moment to sign after an award notice (``sign_by``),
    to count it again with a calendar in force (contracts' recount)."""
    legal = await rules.rules_for(session, tenant)
    return lambda award_notice_at: rules.contract_deadline(legal, award_notice_at)


# Statuses in which a procurement has ended without a contract (废标, 终止).
ENDED = (Status.failed, Status.cancelled)


@dataclass(frozen=True)
class ProcurementFile:
    """A procurement's records for its project's archive, as plain JSON-safe rows."""

    id: uuid.UUID
    status: str
    # "procurement", "transitions", "invitations", "notices", "enquiries", "bids",
    # "bid_securities", "award_refusals", "negotiation_rounds", "offers", "exclusions",
    # "committee", "scores", "challenges": lists of rows. A bid's sealed price never
    # leaves; an unopened bid shows who bid and when, nothing of its content.
    records: dict[str, list[dict[str, Any]]]
    # (object type, id) of every object whose documents and audit entries belong to the file.
    objects: list[tuple[str, uuid.UUID]]


async def procurement_files(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> list[ProcurementFile]:
    """Every procurement of the project, oldest first, with its notices, enquiries, bids,
    committee and scores, result and challenges."""
    found = await session.scalars(
        select(Procurement)
        .where(Procurement.tenant_id == tenant, Procurement.project_id == project_id)
        .order_by(Procurement.created_at, Procurement.id)
    )
    files = []
    for procurement in found:
        pid = procurement.id

        def of(model: type[Any], pid: uuid.UUID = pid) -> Any:
            return (model.tenant_id == tenant, model.procurement_id == pid)

        bids = list(await session.scalars(select(Bid).where(*of(Bid)).order_by(Bid.submitted_at)))
        notices = await rows_of(session, Notice, *of(Notice), order_by=[Notice.published_at])
        enquiries = await rows_of(session, Enquiry, *of(Enquiry), order_by=[Enquiry.asked_at])
        challenges = await rows_of(
            session, Challenge, *of(Challenge), order_by=[Challenge.filed_at]
        )
        records = {
            "procurement": [row_dict(procurement, omit={"committee_seed"})],
            "transitions": await rows_of(
                session, Transition, *of(Transition), order_by=[Transition.seq]
            ),
            "invitations": await rows_of(session, Invitation, *of(Invitation)),
            "notices": notices,
            "enquiries": enquiries,
            "bids": [{**row_dict(b), "opened": b.price is not None} for b in bids],
            "bid_securities": await rows_of(session, BidSecurity, *of(BidSecurity)),
            "award_refusals": await rows_of(session, AwardRefusal, *of(AwardRefusal)),
            "negotiation_rounds": await rows_of(
                session, NegotiationRound, *of(NegotiationRound), order_by=[NegotiationRound.round]
            ),
            "offers": await rows_of(session, Offer, *of(Offer), order_by=[Offer.round]),
            "exclusions": await rows_of(session, Exclusion, *of(Exclusion)),
            "committee": await rows_of(session, CommitteeMember, *of(CommitteeMember)),
            "scores": await rows_of(
                session, Score, *of(Score), order_by=[Score.bid_id, Score.user_id, Score.criterion]
            ),
            "challenges": challenges,
        }
        objects: list[tuple[str, uuid.UUID]] = [("procurement", pid), ("tender", pid)]
        objects += [("bid", b.id) for b in bids]
        objects += [("notice", uuid.UUID(n["id"])) for n in notices]
        objects += [("enquiry", uuid.UUID(e["id"])) for e in enquiries]
        objects += [("challenge", uuid.UUID(c["id"])) for c in challenges]
        files.append(ProcurementFile(pid, procurement.status, records, objects))
    return files


async def ended_procurements(
    session: AsyncSession, since: datetime, limit: int
) -> list[tuple[str, uuid.UUID]]:
    """(tenant, project) of procurements that failed or were cancelled since ``since``, in
    every region the session's role may read (the archive's sweep, through its narrow role)."""
    rows = await session.execute(
        select(Procurement.tenant_id, Procurement.project_id)
        .where(Procurement.status.in_(ENDED), Procurement.updated_at >= since)
        .order_by(Procurement.updated_at)
        .limit(limit)
    )
    return [(tenant, project_id) for tenant, project_id in rows.all()]


async def procurement_states(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    """(id, status) of every procurement of the project."""
    rows = await session.execute(
        select(Procurement.id, Procurement.status).where(
            Procurement.tenant_id == tenant, Procurement.project_id == project_id
        )
    )
    return [(pid, status) for pid, status in rows.all()]


# --- open data ---


@dataclass(frozen=True)
class PublicNotice:
    id: uuid.UUID
    kind: NoticeKind
    data: dict[str, Any]
    published_at: datetime


@dataclass(frozen=True)
class OpenFacts:
    """What open data may publish of a procurement: its published terms and notices, and the
    bid counts only once the bids were opened (never a bid's price, never a person)."""

    tenant: str
    id: uuid.UUID
    ocid: str
    title: str
    requirements: str
    method: str
    method_reason: str | None
    method_justification: str | None
    # Where an invited tender's or a negotiation's suppliers came from (supplier selection).
    selection_source: str | None
    project_id: uuid.UUID
    budget_line_id: uuid.UUID
    budget_amount: Decimal
    criteria: list[dict[str, Any]]
    documents_issued_at: datetime | None
    enquiry_deadline: datetime | None
    bid_deadline: datetime
    opening_at: datetime
    status: str
    # (bids received, valid bids), once opened; None before the opening.
    bid_counts: tuple[int, int] | None
    notices: list[PublicNotice]


async def open_facts(session: AsyncSession, tenant: str, procurement_id: uuid.UUID) -> OpenFacts:
    """The public facts of ``tenant``'s procurement; NotFound when there is none."""
    p = await _procurement(session, tenant, procurement_id)
    bids = list(await session.scalars(select(Bid).where(repository.belongs_to(Bid, p))))
    counted = [b for b in bids if b.status in ("submitted", "invalid")]
    opened = any(b.price is not None for b in counted)
    selection = await session.scalar(
        select(SupplierSelection.source).where(
            SupplierSelection.tenant_id == tenant, SupplierSelection.procurement_id == p.id
        )
    )
    return OpenFacts(
        tenant=tenant,
        id=p.id,
        ocid=p.ocid,
        title=p.title,
        requirements=p.requirements,
        method=p.method,
        method_reason=p.method_reason,
        method_justification=p.method_justification,
        selection_source=selection,
        project_id=p.project_id,
        budget_line_id=p.budget_line_id,
        budget_amount=p.budget_amount,
        criteria=[dict(c) for c in p.criteria],
        documents_issued_at=p.documents_issued_at,
        enquiry_deadline=p.enquiry_deadline,
        bid_deadline=p.bid_deadline,
        opening_at=p.opening_at,
        status=p.status,
        bid_counts=(
            (len(counted), sum(b.status == "submitted" for b in counted)) if opened else None
        ),
        notices=[
            PublicNotice(n.id, NoticeKind(n.kind), dict(n.data), n.published_at)
            for n in await notices.of_procurement(session, p)
        ],
    )


async def published_ceilings(
    session: AsyncSession, procurement_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Each procurement's ceiling price (最高限价) as its latest notice published it: public in
    every region, like the notice itself."""
    rows = await session.execute(
        select(Notice.procurement_id, Notice.data["ceiling_price"].astext)
        .where(Notice.procurement_id.in_(procurement_ids), Notice.data.has_key("ceiling_price"))
        .order_by(Notice.published_at)
    )
    # The later notice (a correction) overwrites the earlier.
    return {pid: Decimal(ceiling) for pid, ceiling in rows.all()}
