"""When a single source is noticed, and whether finance may approve it (财政部令第74号
arts. 38–40).

Only a single source chosen because one supplier alone can supply (政府采购法 art. 31(1)) whose
budget reaches the open-tender threshold is publicly noticed (单一来源公示) for
``single_source_notice_working_days``; any other goes to finance as any non-open method does,
or needs no approval where the region does not ask it. Objections to the notice are answered
together by a supplementary justification (补充论证) once the notice has ended: finance
approves only when it found them not to hold. The procedure itself (who decides, the routes)
calls :func:`ready_for_approval`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.tendering import credit_criteria, notices, repository, rules
from services.tendering.errors import WrongState
from services.tendering.models import (
    Enquiry,
    Invitation,
    Notice,
    Procurement,
    SingleSourceJustification,
)
from services.tendering.schemas import Method, MethodReason, NoticeKind


def needs_notice(legal: rules.LegalRules, procurement: Procurement) -> bool:
    """74号令 art. 38: only the only-supplier ground at or above the open-tender threshold."""
    return (
        procurement.method == Method.single_source
        and procurement.method_reason == MethodReason.only_one_supplier
        and procurement.budget_amount >= legal.open_tender_threshold_yuan
    )


def needs_approval(legal: rules.LegalRules, procurement: Procurement) -> bool:
    """Finance approves a single source at or above the threshold (政府采购法 art. 27), and below
    it where the region keeps 196号's approval of every non-open purchase."""
    return (
        needs_notice(legal, procurement)
        or legal.approval_below_threshold
        or procurement.budget_amount >= legal.open_tender_threshold_yuan
    )


async def notice_of(session: AsyncSession, procurement: Procurement) -> Notice | None:
    return await notices.latest(session, procurement, NoticeKind.single_source)


async def objections(
    session: AsyncSession, procurement: Procurement, notice: Notice
) -> Sequence[Enquiry]:
    """The objections to this notice (a notice published again after a refusal starts anew)."""
    rows = await session.scalars(
        select(Enquiry)
        .where(
            repository.belongs_to(Enquiry, procurement),
            Enquiry.asked_at >= notice.published_at,
        )
        .order_by(Enquiry.asked_at)
    )
    return rows.all()


async def justification_of(
    session: AsyncSession, procurement: Procurement, notice: Notice
) -> SingleSourceJustification | None:
    return await session.scalar(
        select(SingleSourceJustification).where(
            repository.belongs_to(SingleSourceJustification, procurement),
            SingleSourceJustification.notice_id == notice.id,
        )
    )


async def justification_due(session: AsyncSession, procurement: Procurement) -> datetime | None:
    """When the justification of the notice's objections is due, while it is awaited."""
    if procurement.method != Method.single_source:
        return None
    notice = await notice_of(session, procurement)
    if notice is None or not await objections(session, procurement, notice):
        return None
    if await justification_of(session, procurement, notice) is not None:
        return None
    legal = await rules.rules_for(session, procurement.tenant_id)
    return rules.objection_answer_deadline(legal, notice.published_at)


async def ready_for_approval(session: AsyncSession, procurement: Procurement) -> None:
    """Refuse (409/422) finance's approval of a single source that is not ready: its notice,
    where one is due, has not run its time, or drew objections without a justification that
    found them not to hold; or its proposed provider is barred."""
    if procurement.method != Method.single_source:
        return
    legal = await rules.rules_for(session, procurement.tenant_id)
    notice = await notice_of(session, procurement)
    if notice is None:
        if needs_notice(legal, procurement):
            raise WrongState(
                "This single source needs its single-source notice (单一来源公示, 74号令 art. 38)"
                " before finance may approve it."
            )
    else:
        rules.check_single_source_notice(legal, notice.published_at, datetime.now(UTC))
        if await objections(session, procurement, notice):
            justification = await justification_of(session, procurement, notice)
            if justification is None:
                raise WrongState(
                    "The single-source notice drew objections: finance approves only after "
                    "the buyer's supplementary justification (补充论证, 74号令 art. 40) found "
                    "that they do not hold (POST …/supplementary-justification)."
                )
            if justification.objections_upheld:
                raise WrongState("The objections were upheld: this single source has ended.")
        if await notices.unanswered_enquiries(session, procurement):
            raise WrongState("An objection to the single-source notice is still unanswered.")
    provider_id = await session.scalar(
        select(Invitation.provider_id).where(repository.belongs_to(Invitation, procurement))
    )
    assert provider_id is not None
    await credit_criteria.check_proposed(session, procurement, provider_id)
