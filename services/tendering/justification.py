"""补充论证: the buyer's supplementary justification of the objections to a single-source
notice (财政部令第74号 art. 40).

Once the notice has ended, and only when it drew objections, the buyer records whether they
hold, within ``objection_answer_working_days`` working days (later is recorded as late). Upheld:
the single source ends (cancelled, its money back on the budget line, a 终止公告) and the buyer
may start another procurement. Not upheld: it waits for finance, who reads the notice, the
objections and the opinion together. Either way every objection is answered with the
conclusion and each objector is told it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import service as documents
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.tendering import enquiries, events, notices, procurements, rules, single_source, views
from services.tendering.errors import WrongState
from services.tendering.models import Enquiry, Procurement, SingleSourceJustification
from services.tendering.schemas import (
    JustificationIn,
    JustificationOut,
    JustificationPackage,
    Method,
    NoticeKind,
    Status,
)

# The conclusion as the objector reads it: (zh-CN, English).
UPHELD = (
    "异议成立，本项目终止单一来源采购，采购人将依法另行采购。",
    "the objection holds; the single source ends and the buyer will buy by another method.",
)
NOT_UPHELD = (
    "异议不成立，采购人将异议、论证意见与公示情况一并报财政部门。",
    "the objection does not hold; the objections, this opinion and the notice go to the "
    "finance bureau together.",
)


async def _documents(
    session: AsyncSession, actor: Actor, procurement: Procurement, ids: list[uuid.UUID]
) -> None:
    for at, document_id in enumerate(ids):
        found = await documents.current_version(
            session, actor.tenant, ObjectType.tender, procurement.id, document_id
        )
        if found is None:
            raise InvalidField("is not a document of this procurement", field=f"document_ids[{at}]")


async def justify(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, body: JustificationIn
) -> Procurement:
    """Record the justification and act on it: the procurement ends or goes to finance."""
    assert actor.user_id is not None
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.method != Method.single_source:
        raise WrongState("Only a single source's notice takes a supplementary justification.")
    notice = await single_source.notice_of(session, procurement)
    if procurement.status != Status.single_source_notice or notice is None:
        raise WrongState(
            f"A {procurement.status} procurement has no single-source notice waiting for a "
            "supplementary justification."
        )
    legal = await rules.rules_for(session, actor.tenant)
    now = datetime.now(UTC)
    rules.check_justification_time(legal, notice.published_at, now)
    objections = await single_source.objections(session, procurement, notice)
    if not objections:
        raise WrongState(
            "The notice drew no objection: there is nothing to justify, and finance may approve."
        )
    if await single_source.justification_of(session, procurement, notice) is not None:
        raise WrongState("The objections to this notice were justified already.")
    await _documents(session, actor, procurement, body.document_ids)
    due = rules.objection_answer_deadline(legal, notice.published_at)
    justification = SingleSourceJustification(
        tenant_id=procurement.tenant_id,
        id=uuid.uuid4(),
        procurement_id=procurement.id,
        notice_id=notice.id,
        objections_upheld=body.objections_upheld,
        opinion=body.opinion,
        experts=list(body.experts),
        document_ids=list(body.document_ids),
        due=due,
        recorded_by=actor.user_id,
        recorded_at=now,
    )
    session.add(justification)
    await session.flush()
    await record(
        session,
        actor,
        "single_source.justified",
        "procurement",
        procurement.id,
        after={
            "objections_upheld": body.objections_upheld,
            "objections": [str(o.id) for o in objections],
            "experts": list(body.experts),
            "document_ids": [str(d) for d in body.document_ids],
            "due": due,
            "late": now > due,
        },
    )
    conclusion = UPHELD if body.objections_upheld else NOT_UPHELD
    await _answer(
        session, actor, procurement, objections, f"补充论证结论：{conclusion[0]}\n{body.opinion}"
    )
    if body.objections_upheld:
        reason = f"单一来源公示异议成立（财政部令第74号 第四十条）：{body.opinion[:500]}"
        await procurements.move(session, actor, procurement, Status.cancelled, reason)
        await procurements.close_out(session, actor, procurement)
        await notices.publish(
            session, actor, procurement, NoticeKind.termination, {"reason": reason}
        )
    else:
        reason = "单一来源公示异议不成立，补充论证意见与异议一并报财政部门审批。"
        await procurements.move(session, actor, procurement, Status.awaiting_approval, reason)
    # A county's request at the threshold waits in its city's list (method_approvals), where
    # the city reads the procurement's state at decision time; only a region's own finance is
    # told here.
    if not body.objections_upheld and procurement.approving_region in (None, actor.tenant):
        await procurements.tell_roles(
            session,
            actor,
            procurement,
            procurements.FINANCE,
            events.APPROVAL_REQUESTED.name,
            {"method": procurement.method},
        )
    await procurements.tell_providers(
        session,
        actor,
        procurement,
        sorted({o.provider_id for o in objections}, key=str),
        events.OBJECTION_CONCLUDED.name,
        {"conclusion_zh": conclusion[0], "conclusion_en": conclusion[1], "opinion": body.opinion},
    )
    return procurement


async def _answer(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    objections: Sequence[Enquiry],
    answer: str,
) -> None:
    """Every objection still open is answered with the conclusion (public, like any answer)."""
    now = datetime.now(UTC)
    for objection in objections:
        if objection.answered_at is None:
            objection.answer = answer
            objection.answered_at = now
            objection.answered_by = actor.user_id
    await session.flush()
    await enquiries.track_answer_due(session, procurement)


async def package(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> JustificationPackage:
    """The notice, its objections and the justification, as finance decides on them."""
    procurement = await procurements.get(session, actor, procurement_id)
    notice = await single_source.notice_of(session, procurement)
    if notice is None:
        raise NotFound("This procurement has no single-source notice.")
    objections = await single_source.objections(session, procurement, notice)
    ids = {o.id for o in objections}
    received = [e for e in await enquiries.received(session, procurement) if e.id in ids]
    justification = await single_source.justification_of(session, procurement, notice)
    due = await single_source.justification_due(session, procurement)
    return JustificationPackage(
        procurement_id=procurement.id,
        notice=views.notice(notice),
        objections=received,
        justification_due=due,
        justification_due_provisional=due is not None and workdays.is_provisional_moment(due),
        justification=None
        if justification is None
        else JustificationOut(
            objections_upheld=justification.objections_upheld,
            opinion=justification.opinion,
            experts=list(justification.experts),
            document_ids=list(justification.document_ids),
            recorded_at=justification.recorded_at,
            recorded_by=justification.recorded_by,
            due=justification.due,
            late=justification.recorded_at > justification.due,
        ),
    )
