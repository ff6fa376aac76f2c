"""Going on by negotiation or consultation after a failed open tender with two valid bids
(财政部令第74号 art. 27; 财库〔2014〕214号 art. 27; 87号令 art. 43).

An open tender at or above the open-tender threshold that fails because fewer than three bids
came, or fewer than three passed the qualification and compliance review: if its documents or
procedure were at fault, the buyer corrects them and tenders again (87号令 art. 43(1)); if
not, and another method is needed, finance approves it (art. 43(2)). When exactly two suppliers
bid, or exactly two passed the review — the bids still valid when the tender failed: filed
and never found invalid — the buyer may, finance approving (74号令 art. 4), negotiate with
those two; the negotiation follows the tender's requirements, and the three suppliers of arts.
33 and 35 read two (``rules.negotiation_minimum``). 214号 art. 27 allows the same by competitive
consultation, which for a purchase of services goes on with two anyway (财库〔2015〕124号); its
ground is then the purchase of services (214号 art. 3(1)), the tender's failure being told in
the justification.

The continuation is a new draft competitive negotiation from the same budget line (its money
committed again, the failed tender's having gone back), with the tender's requirements,
criteria and terms, ``continues_from`` the failed tender; its supplier selection is recorded
as the two valid bidders (source ``continuation``: no pool, no draw). It goes to finance
whatever the region's approval setting (procurements.needs_approval), then is published and
negotiated as any negotiation; it fails when one of the two drops out. Once per failed tender.
Below the threshold 87号令 art. 43 does not apply: the buyer chooses a method itself and
creates that procurement.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.service import Ground
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField
from services.kit.money import text
from services.kit.settings import Settings
from services.tendering import bids, procurements, repository, rules
from services.tendering.errors import WrongState
from services.tendering.models import Invitation, Procurement
from services.tendering.schemas import (
    ContinuationIn,
    CreditWindow,
    Criterion,
    Method,
    MethodReason,
    ProcurementCreate,
    Status,
)
from services.tendering.selection_models import SupplierSelection
from services.tendering.selection_schemas import SelectionSource

# The methods a failed tender may go on by, each with the ground it is created under.
CONTINUATION_METHODS = {
    Method.competitive_negotiation: MethodReason.tender_failed,  # 政府采购法 art. 30(1)
    Method.competitive_consultation: MethodReason.purchase_of_services,  # 214号 art. 3(1)
}
# Where a tender stood when it failed "in the tender" (招标过程中): at its opening, in its
# reviews, its scoring or its report — not after an award (the winner refusing to sign).
IN_THE_TENDER = frozenset(
    {
        Status.tendering,
        Status.qualification_review,
        Status.compliance_review,
        Status.evaluation,
        Status.awaiting_confirmation,
    }
)
TITLE_MAX = 200
SUFFIX = "（竞争性谈判）"


class BelowThreshold(WrongState):
    code = "below_threshold"
    title = "Below the open-tender threshold the buyer chooses a method itself"


class AlreadyContinued(WrongState):
    code = "already_continued"
    title = "The failed tender goes on already"


class NotTwoValidBids(WrongState):
    code = "not_two_valid_bids"
    title = "Only a tender failed with exactly two valid bids goes on by negotiation"


async def _failed_tender(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> tuple[Procurement, list[uuid.UUID]]:
    """The failed open tender (locked: two requests queue) and its valid bidders."""
    failed = await procurements.get(session, actor, procurement_id, lock=True)
    if failed.method != Method.open_tender:
        raise WrongState("Only a failed open tender goes on by negotiation (74号令 art. 27).")
    if failed.status != Status.failed:
        raise WrongState(f"A {failed.status} procurement has not failed.")
    legal = await rules.rules_for(session, actor.tenant)
    if failed.budget_amount < legal.open_tender_threshold_yuan:
        raise BelowThreshold(
            f"The budget {text(failed.budget_amount)} is below the open-tender threshold "
            f"{text(legal.open_tender_threshold_yuan)}: 87号令 art. 43 does not apply, and the "
            "buyer chooses a method itself — create the procurement by that method."
        )
    if await repository.continuation_of(session, failed) is not None:
        raise AlreadyContinued("The failed tender goes on already; once per failed tender.")
    if await repository.failed_from(session, failed) not in IN_THE_TENDER:
        raise NotTwoValidBids(
            "The tender failed after its award (the winner did not sign), not for too few "
            "bids: it does not go on by negotiation."
        )
    valid = list(dict.fromkeys(bid.provider_id for bid in await bids.live_bids(session, failed)))
    if len(valid) != legal.continuation_suppliers:
        raise NotTwoValidBids(
            f"The tender failed with {len(valid)} valid bids; only one that failed with exactly "
            f"{legal.continuation_suppliers} — bids filed, or passing the review — goes on by "
            "negotiation with them (74号令 art. 27)."
        )
    return failed, valid


def _body(failed: Procurement, data: ContinuationIn) -> ProcurementCreate:
    """The negotiation's draft: the tender's requirements and terms (74号令 art. 27), the
    buyer's deadlines."""
    title = failed.title + SUFFIX
    return ProcurementCreate(
        budget_line_id=failed.budget_line_id,
        title=title if len(title) <= TITLE_MAX else failed.title,
        requirements=failed.requirements,
        budget_amount=text(failed.budget_amount),
        ceiling_price=text(failed.ceiling_price),
        bid_security=text(failed.bid_security),
        criteria=[
            Criterion(name=c["name"], weight=c["weight"], price=c["price"]) for c in failed.criteria
        ],
        qualification_criteria=list(failed.qualification_criteria),
        credit_bars=[Ground(g) for g in failed.credit_bars],
        credit_window=CreditWindow(failed.credit_window),
        technically_complex=failed.technically_complex,
        wide_social_impact=failed.wide_social_impact,
        method=data.method,
        method_reason=CONTINUATION_METHODS[data.method],
        method_justification=data.justification,
        bid_deadline=data.bid_deadline,
        opening_at=data.opening_at,
    )


async def continue_by_negotiation(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    procurement_id: uuid.UUID,
    data: ContinuationIn,
) -> Procurement:
    """A draft negotiation with the failed tender's two valid bidders, for finance to approve."""
    assert actor.user_id is not None
    failed, valid = await _failed_tender(session, actor, procurement_id)
    if not data.documents_sound:
        raise InvalidField(
            "the documents or the procedure were at fault: correct them and tender again "
            "(87号令 art. 43(1)); only sound ones go on by another method (art. 43(2))",
            field="documents_sound",
        )
    if data.method not in CONTINUATION_METHODS:
        raise InvalidField(
            "goes on by one of: " + ", ".join(sorted(m.value for m in CONTINUATION_METHODS)),
            field="method",
        )
    negotiation = await procurements.create(session, settings, actor, _body(failed, data))
    negotiation.continues_from = failed.id
    session.add(
        SupplierSelection(
            tenant_id=actor.tenant,
            procurement_id=negotiation.id,
            source=SelectionSource.continuation.value,
            to_draw=None,
            seed=None,
            pool=valid,
            invited=valid,
            witness_ids=[],
            recommendations=[],
            made_by=actor.user_id,
            made_at=datetime.now(UTC),
        )
    )
    session.add_all(
        Invitation(tenant_id=actor.tenant, procurement_id=negotiation.id, provider_id=provider)
        for provider in valid
    )
    await session.flush()
    await record(
        session,
        actor,
        "procurement.suppliers_selected",
        "procurement",
        negotiation.id,
        after={
            "source": SelectionSource.continuation.value,
            "continues_from": failed.id,
            "invited": [str(p) for p in valid],
        },
    )
    await record(
        session,
        actor,
        "procurement.continued",
        "procurement",
        failed.id,
        after={
            "continued_by": negotiation.id,
            "method": data.method.value,
            "documents_sound": True,
            "justification": data.justification,
        },
    )
    return negotiation
