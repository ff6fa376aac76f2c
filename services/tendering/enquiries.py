"""Enquiries (澄清): providers ask, the buyer answers publicly without naming the asker.

An answer that may change how bids are prepared, given too close to the deadline, moves the
deadline (顺延) by the method's rule: less than 15 days before a tender's bid deadline (实施条例
art. 31), less than 3 working days before a negotiation's response deadline (74号令 art. 10);
the opening, the bids' seals and the opening job move with it, and a correction notice says so.
During a single-source notice, a question is an objection (taken until the notice ends),
answered by the buyer's supplementary justification (justification.py) before finance may
approve.

Civil affairs is told of each one as it is filed, lists them all, answered or not, and the
sweep warns when one is past its answer time (``rules.enquiry_answer_deadline``,
``rules.objection_answer_deadline``; the oldest open one's is kept on the procurement).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import service as documents
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.objects import ObjectType
from services.tenancy import service as tenancy
from services.tendering import bids, events, notices, procurements, repository, rules, scheduling
from services.tendering.errors import NotEligible, WrongState
from services.tendering.models import Enquiry, Procurement
from services.tendering.schemas import (
    EnquiryKind,
    Method,
    NoticeKind,
    Objector,
    ReceivedEnquiryOut,
    Status,
)

OPEN_FOR_QUESTIONS = frozenset({Status.tendering, Status.single_source_notice})


async def ask(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, question: str
) -> Enquiry:
    assert actor.provider_id is not None
    # Locked: the oldest open question's due time is kept on it.
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status not in OPEN_FOR_QUESTIONS:
        raise WrongState(f"A {procurement.status} procurement takes no questions.")
    now = datetime.now(UTC)
    closes = procurement.enquiry_deadline or procurement.bid_deadline
    if procurement.status == Status.tendering and now >= closes:
        raise WrongState(f"Questions closed at {closes.isoformat()}.")
    if procurement.status == Status.single_source_notice:
        await _check_notice_open(session, procurement, now)
    if not await tenancy.is_registered(session, actor.tenant, actor.provider_id):
        raise NotEligible("Register with this region before asking.")
    enquiry = Enquiry(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        procurement_id=procurement.id,
        provider_id=actor.provider_id,
        question=question,
        asked_at=now,
    )
    session.add(enquiry)
    await session.flush()
    await record(
        session,
        actor,
        "enquiry.asked",
        "enquiry",
        enquiry.id,
        after={"procurement_id": procurement.id},
    )
    due_of = await _due_of(session, procurement)
    await _track_answer_due(session, procurement, due_of)
    await _tell_civil_affairs(session, actor, procurement, due_of(enquiry))
    return enquiry


async def _check_notice_open(
    session: AsyncSession, procurement: Procurement, now: datetime
) -> None:
    """Objections come during the single-source notice (74号令 art. 39); its supplementary
    justification answers those, and no later ones."""
    notice = await notices.latest(session, procurement, NoticeKind.single_source)
    if notice is None:
        return
    legal = await rules.rules_for(session, procurement.tenant_id)
    over = rules.single_source_notice_over(legal, notice.published_at)
    if now >= over:
        raise WrongState(
            f"The single-source notice ended at {over.isoformat()}: objections closed."
        )


def kind_of(procurement: Procurement) -> EnquiryKind:
    """A single source takes questions only during its notice, where they are objections."""
    if procurement.method == Method.single_source:
        return EnquiryKind.objection
    return EnquiryKind.enquiry


async def _due_of(session: AsyncSession, procurement: Procurement) -> Callable[[Enquiry], datetime]:
    """When each of the procurement's questions should be answered, by the region's rules."""
    legal = await rules.rules_for(session, procurement.tenant_id)
    if kind_of(procurement) is EnquiryKind.objection:
        notice = await notices.latest(session, procurement, NoticeKind.single_source)
        if notice is not None:
            due = rules.objection_answer_deadline(legal, notice.published_at)
            return lambda _: due
        return lambda e: rules.objection_answer_deadline(legal, e.asked_at)
    method, deadline = procurement.method, procurement.bid_deadline
    return lambda e: rules.enquiry_answer_deadline(legal, e.asked_at, deadline, method)


async def _track_answer_due(
    session: AsyncSession, procurement: Procurement, due_of: Callable[[Enquiry], datetime]
) -> None:
    """Keep on the procurement when its oldest open question is due, for the sweep."""
    waiting = [e for e in await of_procurement(session, procurement) if e.answered_at is None]
    procurement.enquiry_answer_due = min((due_of(e) for e in waiting), default=None)
    await session.flush()


async def track_answer_due(session: AsyncSession, procurement: Procurement) -> None:
    """Count again when the oldest open question is due (after a holiday year was entered)."""
    await _track_answer_due(session, procurement, await _due_of(session, procurement))


async def _tell_civil_affairs(
    session: AsyncSession, actor: Actor, procurement: Procurement, answer_by: datetime
) -> None:
    """The asker of an enquiry is not named (nor to the buyer); an objector is."""
    extra: dict[str, object] = {"answer_by": answer_by}
    event = events.ENQUIRY_RECEIVED
    if kind_of(procurement) is EnquiryKind.objection:
        assert actor.provider_id is not None
        event = events.OBJECTION_RECEIVED
        extra["objector"] = (await tenancy.get_provider(session, actor.provider_id)).name
    await procurements.tell_roles(
        session, actor, procurement, procurements.CIVIL_AFFAIRS, event.name, extra
    )


async def answer(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    enquiry_id: uuid.UUID,
    text: str,
    affects_bids: bool,
) -> Enquiry:
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    enquiry = await repository.awaiting_answer(session, Enquiry, procurement, enquiry_id)
    now = datetime.now(UTC)
    enquiry.answer = text
    enquiry.affects_bids = affects_bids
    enquiry.answered_at = now
    enquiry.answered_by = actor.user_id
    await session.flush()
    await record(
        session,
        actor,
        "enquiry.answered",
        "enquiry",
        enquiry.id,
        after={"affects_bids": affects_bids},
    )
    if affects_bids and procurement.status == Status.tendering:
        legal = await rules.rules_for(session, actor.tenant)
        moved = rules.check_clarification(legal, now, procurement.bid_deadline, procurement.method)
        if moved is not None:
            await move_deadline(session, actor, procurement, moved, f"澄清：{text[:200]}")
            return enquiry  # the questions' due times were tracked with the new deadline
    await _track_answer_due(session, procurement, await _due_of(session, procurement))
    return enquiry


async def move_deadline(
    session: AsyncSession, actor: Actor, procurement: Procurement, deadline: datetime, change: str
) -> None:
    """The bid deadline moves out; the opening keeps its distance from it."""
    before = {"bid_deadline": procurement.bid_deadline, "opening_at": procurement.opening_at}
    gap = procurement.opening_at - procurement.bid_deadline
    procurement.bid_deadline = deadline
    procurement.opening_at = deadline + gap
    procurement.updated_at = datetime.now(UTC)
    await session.flush()
    for bid in await bids.live_bids(session, procurement):
        await documents.reschedule_seal(
            session, actor, ObjectType.bid, bid.id, procurement.opening_at
        )
    await scheduling.schedule_opening(session, actor, procurement)
    await _track_answer_due(session, procurement, await _due_of(session, procurement))
    await record(
        session,
        actor,
        "procurement.deadline_moved",
        "procurement",
        procurement.id,
        before=before,
        after={"bid_deadline": procurement.bid_deadline, "opening_at": procurement.opening_at},
    )
    await notices.publish(
        session,
        actor,
        procurement,
        NoticeKind.correction,
        {"change": change, **notices.tender_data(procurement)},
    )


async def of_procurement(session: AsyncSession, procurement: Procurement) -> Sequence[Enquiry]:
    return await repository.parts(session, Enquiry, procurement, Enquiry.asked_at)


async def received(session: AsyncSession, procurement: Procurement) -> list[ReceivedEnquiryOut]:
    """Every question of the procurement, answered or not, as the buyer sees it."""
    kind = kind_of(procurement)
    due_of = await _due_of(session, procurement)
    names: dict[uuid.UUID, str] = {}
    out: list[ReceivedEnquiryOut] = []
    for e in await of_procurement(session, procurement):
        objector = None
        if kind is EnquiryKind.objection:
            if e.provider_id not in names:
                names[e.provider_id] = (await tenancy.get_provider(session, e.provider_id)).name
            objector = Objector(provider_id=e.provider_id, name=names[e.provider_id])
        out.append(
            ReceivedEnquiryOut(
                id=e.id,
                procurement_id=e.procurement_id,
                kind=kind,
                question=e.question,
                asked_at=e.asked_at,
                answer_due=due_of(e),
                answer_due_provisional=workdays.is_provisional_moment(due_of(e)),
                answer=e.answer,
                answered_at=e.answered_at,
                affects_bids=e.affects_bids,
                objector=objector,
            )
        )
    return out
