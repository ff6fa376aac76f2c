"""A procurement from its approved budget line to publication; every status change goes
through ``move``, which checks the transition table and writes the transition row.

Open tender:            draft → tendering
Invited / negotiation / consultation:  draft → awaiting_approval → approved → tendering
Single source:          draft → single_source_notice → approved (after ≥ 5 working days), when
                        only one supplier can supply and the budget reaches the open-tender
                        threshold (74号令 art. 38; single_source.py); objections to the notice
                        → its supplementary justification: not upheld → awaiting_approval, upheld
                        → cancelled (art. 40). Any other single source: draft →
                        awaiting_approval → approved, or draft → approved where no approval is
                        asked.
A tender's opening leads to its review: tendering → qualification_review (the buyer's 资格审查)
→ compliance_review (the committee's 符合性审查) → evaluation, each review failing the tender
when fewer than three valid bids remain (政府采购法 art. 36). Then: evaluation →
awaiting_confirmation → awarded →
result_published → concluded (or challenged → …). A competitive negotiation goes from
tendering (its responses) to negotiating, a single source from approved to negotiating;
both end their rounds in awaiting_confirmation. A competitive consultation negotiates as a
negotiation does, then its group scores the final responses: negotiating → evaluation.
Any state before the award → cancelled.
After the award notice, a winner that refuses to sign (实施条例 art. 49) sends the procurement
back to awarded — the next-ranked candidate, and a new result notice — or to failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import service as documents
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField, NotFound
from services.kit.money import money, text
from services.kit.objects import ObjectType
from services.kit.settings import Settings
from services.notifications import service as notifications
from services.planning import service as planning
from services.tenancy import service as tenancy
from services.tendering import (
    approval_authority,
    consultation,
    credit_criteria,
    events,
    method_approvals,
    notices,
    repository,
    rules,
    scheduling,
    single_source,
)
from services.tendering.errors import (
    BudgetLineUnavailable,
    MethodReasonMissing,
    WrongState,
)
from services.tendering.models import Bid, Invitation, Procurement, Transition
from services.tendering.schemas import (
    REASONS_OF,
    BidStatus,
    Method,
    NoticeKind,
    ProcurementCreate,
    Status,
)
from services.tendering.selection_models import SupplierSelection

S = Status
TRANSITIONS: dict[S, frozenset[S]] = {
    # draft → approved: a single source whose approval the region does not ask.
    S.draft: frozenset(
        {S.tendering, S.awaiting_approval, S.single_source_notice, S.approved, S.cancelled}
    ),
    # → awaiting_approval: the objections' justification found they do not hold; → cancelled
    # also when it found they do (74号令 art. 40).
    S.single_source_notice: frozenset({S.approved, S.awaiting_approval, S.draft, S.cancelled}),
    S.awaiting_approval: frozenset({S.approved, S.draft, S.cancelled}),
    S.approved: frozenset({S.tendering, S.negotiating, S.cancelled}),
    S.tendering: frozenset({S.qualification_review, S.negotiating, S.failed, S.cancelled}),
    S.qualification_review: frozenset({S.compliance_review, S.failed, S.cancelled}),
    S.compliance_review: frozenset({S.evaluation, S.failed, S.cancelled}),
    # evaluation: a consultation's group scores the final responses (consultation.py).
    S.negotiating: frozenset({S.awaiting_confirmation, S.evaluation, S.failed, S.cancelled}),
    # failed from evaluation on: bids set aside for a bar leave too few (credit_listener).
    S.evaluation: frozenset({S.awaiting_confirmation, S.failed, S.cancelled}),
    S.awaiting_confirmation: frozenset({S.awarded, S.evaluation, S.failed, S.cancelled}),
    S.awarded: frozenset({S.result_published}),
    # awarded and failed from here on: the winner refused to sign (refusal.py).
    S.result_published: frozenset({S.challenged, S.concluded, S.awarded, S.failed}),
    S.challenged: frozenset({S.result_published, S.evaluation, S.cancelled, S.awarded, S.failed}),
    S.concluded: frozenset({S.awarded, S.failed}),
    S.failed: frozenset(),
    S.cancelled: frozenset(),
}
# Methods that need finance's approval, and so an approved state before publication: at or
# above the open-tender threshold by law (政府采购法 art. 27), below it where the region keeps
# 196号's approval of every non-open purchase (rules.approval_below_threshold, on by default).
# A competitive consultation is approved as a negotiation is (财库〔2014〕214号 art. 4).
NEEDS_APPROVAL = frozenset(
    {Method.invited_tender, Method.competitive_negotiation, Method.competitive_consultation}
)


def needs_approval(legal: rules.LegalRules, procurement: Procurement) -> bool:
    """Whether this invited tender, negotiation or consultation waits for finance before
    publication; a consultation whose price weight needs finance's approval always does."""
    if Method(procurement.method) not in NEEDS_APPROVAL:
        return False
    if procurement.continues_from is not None:
        # 74号令 art. 27 (by its art. 4): a failed tender's continuation, always.
        return True
    return (
        procurement.price_weight_outside_range
        or legal.approval_below_threshold
        or procurement.budget_amount >= legal.open_tender_threshold_yuan
    )


CIVIL_AFFAIRS = (Role.civil_affairs_officer, Role.civil_affairs_approver)
FINANCE = (Role.finance_approver,)


async def get(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, lock: bool = False
) -> Procurement:
    procurement = await repository.procurement(session, actor.tenant, procurement_id, lock=lock)
    if procurement is None:
        raise NotFound("No such procurement.")
    return procurement


async def find(session: AsyncSession, tenant: str, procurement_id: uuid.UUID) -> Procurement | None:
    return await repository.procurement(session, tenant, procurement_id)


async def list_procurements(
    session: AsyncSession,
    tenant: str,
    status: Status | None,
    method: Method | None,
    limit: int,
    offset: int,
) -> Sequence[Procurement]:
    return await repository.procurements(
        session,
        tenant,
        status=status.value if status else None,
        method=method.value if method else None,
        limit=limit,
        offset=offset,
    )


async def move(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    to: Status,
    reason: str | None = None,
    **after: Any,
) -> None:
    """The only way a procurement's status changes: checked, recorded, audited."""
    now = datetime.now(UTC)
    current = S(procurement.status)
    if to not in TRANSITIONS[current]:
        raise WrongState(f"A procurement that is {current.value} cannot become {to.value}.")
    seq = await session.scalar(
        select(func.coalesce(func.max(Transition.seq), 0)).where(
            repository.belongs_to(Transition, procurement)
        )
    )
    session.add(
        Transition(
            tenant_id=procurement.tenant_id,
            procurement_id=procurement.id,
            seq=int(seq or 0) + 1,
            from_status=current.value,
            to_status=to.value,
            at=now,
            by_user=actor.user_id,
            reason=reason,
        )
    )
    procurement.status = to.value
    procurement.updated_at = now
    await session.flush()
    if (
        current.value in method_approvals.WAITING
        and to.value not in method_approvals.WAITING
        and to is not S.approved
        and procurement.approving_region not in (None, actor.tenant)
    ):
        # Stopped waiting without the approving region's decision: its request is withdrawn.
        await method_approvals.withdraw(session, procurement, reason)
    await record(
        session,
        actor,
        f"procurement.{to.value}",
        "procurement",
        procurement.id,
        before={"status": current.value},
        after={"status": to.value, "reason": reason, **after},
    )


def aware(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidField("needs a time zone (e.g. +08:00 or Z)", field=field)
    return value.astimezone(UTC)


def check_dates(
    legal: rules.LegalRules,
    method: Method,
    bid_deadline: datetime,
    opening_at: datetime,
    enquiry_deadline: datetime | None,
) -> None:
    """A draft's deadlines, as created or as changed later (drafts.py)."""
    now = datetime.now(UTC)
    if bid_deadline <= now:
        raise InvalidField("must be in the future", field="bid_deadline")
    if opening_at < bid_deadline:
        raise InvalidField("cannot come before the bid deadline", field="opening_at")
    if enquiry_deadline is not None and not now < enquiry_deadline < bid_deadline:
        raise InvalidField("must fall between now and the bid deadline", field="enquiry_deadline")
    if method in (Method.open_tender, Method.invited_tender):
        # Checked again at publication, against the day the documents are issued.
        rules.check_bid_period(legal, now, bid_deadline, field="bid_deadline")


def _check_method(body: ProcurementCreate) -> None:
    reasons = REASONS_OF[body.method]
    if not reasons:
        if body.method_reason is not None:
            raise InvalidField("open tender needs no reason", field="method_reason")
        return
    if body.method_reason is None or not body.method_justification:
        raise MethodReasonMissing(
            f"{body.method.value} needs one of the law's reasons and a justification",
            field="method_reason" if body.method_reason is None else "method_justification",
        )
    if body.method_reason not in reasons:
        raise InvalidField(
            f"is not a ground for {body.method.value}; one of: "
            + ", ".join(sorted(reason.value for reason in reasons)),
            field="method_reason",
        )


def _check_criteria(body: ProcurementCreate, legal: rules.LegalRules) -> bool:
    """The criteria's names, weights and price; True when a consultation's price weight waits
    for finance's approval."""
    names = [criterion.name for criterion in body.criteria]
    for index, name in enumerate(names):
        if names.index(name) != index:
            raise InvalidField(
                f"criterion {name!r} is named twice", field=f"criteria[{index}].name"
            )
    prices = [criterion for criterion in body.criteria if criterion.price]
    # A fixed-price consultation has none (consultation.check_criteria refuses one).
    fixed = body.method is Method.competitive_consultation and body.fixed_price
    if not fixed and len(prices) != 1:
        raise InvalidField("exactly one criterion is the price", field="criteria")
    rules.check_weights_sum([criterion.weight for criterion in body.criteria], field="criteria")
    outside = consultation.check_criteria(body, legal)
    if body.method is not Method.competitive_consultation:
        # A consultation's price weight follows its own range (214号 art. 24).
        rules.check_price_weight(legal, prices[0].weight, field="criteria")
    return outside


async def _check_providers(
    session: AsyncSession, tenant: str, provider_ids: list[uuid.UUID], field: str
) -> None:
    for index, provider_id in enumerate(provider_ids):
        if not await tenancy.is_registered(session, tenant, provider_id):
            raise InvalidField(
                f"provider {provider_id} is not registered here", field=f"{field}[{index}]"
            )


async def create(
    session: AsyncSession, settings: Settings, actor: Actor, body: ProcurementCreate
) -> Procurement:
    """A draft procurement from an approved budget line; its budget is committed now."""
    assert actor.user_id is not None
    legal = await rules.rules_for(session, actor.tenant)
    _check_method(body)
    budget_amount = money(body.budget_amount)
    ceiling = money(body.ceiling_price)
    security = money(body.bid_security)
    if budget_amount <= 0:
        raise InvalidField("must be more than 0", field="budget_amount")
    if not Decimal(0) < ceiling <= budget_amount:
        raise InvalidField(
            f"must be more than 0 and at most the budget {text(budget_amount)}",
            field="ceiling_price",
        )
    rules.check_bid_security(legal, security, budget_amount, field="bid_security")
    price_weight_outside_range = _check_criteria(body, legal)
    bid_deadline = aware(body.bid_deadline, "bid_deadline")
    assert bid_deadline is not None
    opening_at = aware(body.opening_at, "opening_at") or bid_deadline
    enquiry_deadline = aware(body.enquiry_deadline, "enquiry_deadline")
    check_dates(legal, body.method, bid_deadline, opening_at, enquiry_deadline)

    # The buyer never names its invitees: they come from the supplier selection's recorded
    # draw or, for a negotiation, from written recommendations (selection.py).
    if body.invited_provider_ids:
        raise InvalidField(
            "invitees come from the supplier selection (POST …/supplier-selection), not from "
            "the buyer's list (政府采购法 art. 34)",
            field="invited_provider_ids",
        )
    invited: list[uuid.UUID] = []
    if body.method is Method.single_source:
        if body.proposed_provider_id is None:
            raise InvalidField("name the one provider", field="proposed_provider_id")
        await _check_providers(
            session, actor.tenant, [body.proposed_provider_id], "proposed_provider_id"
        )
        invited = [body.proposed_provider_id]
    elif body.proposed_provider_id is not None:
        raise InvalidField("only single source names a provider", field="proposed_provider_id")

    try:
        line = await planning.get_line(session, actor.tenant, body.budget_line_id)
    except NotFound:
        raise BudgetLineUnavailable("no such budget line here", field="budget_line_id") from None
    procurement_id = uuid.uuid4()
    commitment = await planning.commit(
        session,
        actor,
        line.line.id,
        budget_amount,
        planning.CommitmentPurpose.procurement,
        "procurement",
        procurement_id,
        field="budget_amount",
    )
    procurement = Procurement(
        tenant_id=actor.tenant,
        id=procurement_id,
        ocid=f"{settings.ocds_prefix}-{procurement_id}",
        project_id=line.line.project_id,
        budget_line_id=line.line.id,
        commitment_id=commitment.id,
        title=body.title,
        requirements=body.requirements,
        method=body.method.value,
        method_reason=body.method_reason.value if body.method_reason else None,
        method_justification=body.method_justification,
        status=S.draft.value,
        budget_amount=budget_amount,
        ceiling_price=ceiling,
        bid_security=security,
        qualification_criteria=list(body.qualification_criteria),
        credit_bars=credit_criteria.bars_of(body.credit_bars),
        credit_window=body.credit_window.value,
        technically_complex=body.technically_complex,
        wide_social_impact=body.wide_social_impact,
        fixed_price=body.fixed_price,
        price_weight_outside_range=price_weight_outside_range,
        criteria=[{"name": c.name, "weight": c.weight, "price": c.price} for c in body.criteria],
        enquiry_deadline=enquiry_deadline,
        bid_deadline=bid_deadline,
        opening_at=opening_at,
        created_by=actor.user_id,
    )
    session.add(procurement)
    await session.flush()
    session.add_all(
        Invitation(tenant_id=actor.tenant, procurement_id=procurement.id, provider_id=provider)
        for provider in invited
    )
    session.add(
        Transition(
            tenant_id=actor.tenant,
            procurement_id=procurement.id,
            seq=1,
            from_status=None,
            to_status=S.draft.value,
            at=datetime.now(UTC),
            by_user=actor.user_id,
        )
    )
    await session.flush()
    await _project_in_procurement(session, actor, line.line.project_id)
    await record(
        session,
        actor,
        "procurement.created",
        "procurement",
        procurement.id,
        after={
            "method": procurement.method,
            "budget_line_id": line.line.id,
            "budget_amount": budget_amount,
            "ceiling_price": ceiling,
            "bid_deadline": bid_deadline,
            "invited": [str(p) for p in invited],
            "technically_complex": procurement.technically_complex,
            "wide_social_impact": procurement.wide_social_impact,
            "fixed_price": procurement.fixed_price,
            "price_weight_outside_range": price_weight_outside_range,
        },
    )
    return procurement


async def _project_in_procurement(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID
) -> None:
    """The first procurement of a budgeted project moves it to in_procurement."""
    try:
        await planning.advance(session, actor, project_id, planning.ProjectStatus.in_procurement)
    except planning.WrongState:
        pass  # already in procurement (a second lot, or a repeat after a failed tender)


async def _selection(session: AsyncSession, procurement: Procurement) -> SupplierSelection | None:
    return await session.get(SupplierSelection, (procurement.tenant_id, procurement.id))


async def open_by_notice(session: AsyncSession, procurement: Procurement) -> bool:
    """Whether a negotiation takes responses from every provider registered here, its public
    notice being the invitation (74号令 art. 12)."""
    selection = await _selection(session, procurement)
    return selection is not None and selection.source == "notice"


async def invited_of(session: AsyncSession, procurement: Procurement) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Invitation.provider_id).where(repository.belongs_to(Invitation, procurement))
    )
    return list(rows.all())


async def submit_for_approval(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> Procurement:
    """Invited tender, negotiation, consultation and a single source without a notice go to
    finance for approval of the method (and of a consultation's price weight outside its
    range)."""
    procurement = await get(session, actor, procurement_id, lock=True)
    if procurement.method == Method.single_source:
        await _submit_single_source(session, actor, procurement)
        return procurement
    if Method(procurement.method) not in NEEDS_APPROVAL:
        raise WrongState(f"{procurement.method} does not go to finance this way.")
    if not needs_approval(await rules.rules_for(session, actor.tenant), procurement):
        raise WrongState(
            "Below the open-tender threshold this region does not ask finance to approve the "
            "method (approval_below_threshold is off): publish it."
        )
    await move(session, actor, procurement, S.awaiting_approval)
    await _to_approver(session, actor, procurement, await invited_of(session, procurement))
    return procurement


async def _submit_single_source(
    session: AsyncSession, actor: Actor, procurement: Procurement
) -> None:
    legal = await rules.rules_for(session, actor.tenant)
    if single_source.needs_notice(legal, procurement):
        raise WrongState(
            "Only one supplier can supply and the budget reaches the open-tender threshold "
            f"({text(legal.open_tender_threshold_yuan)} 元): publish the single-source notice "
            "first (单一来源公示, 74号令 art. 38; POST …/single-source-notice)."
        )
    if single_source.needs_approval(legal, procurement):
        await move(session, actor, procurement, S.awaiting_approval)
        await _to_approver(session, actor, procurement, await invited_of(session, procurement))
        return
    # Nobody approves it: recorded as approved by the region's rules, with the reason.
    reason = (
        "Below the open-tender threshold this region does not ask finance to approve the "
        "method (approval_below_threshold is off)."
    )
    procurement.approved_at = datetime.now(UTC)
    procurement.approval_note = reason
    await move(session, actor, procurement, S.approved, reason, approval="not_required")


async def publish_single_source_notice(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> Procurement:
    """单一来源公示: the proposed provider is named publicly before finance may approve."""
    procurement = await get(session, actor, procurement_id, lock=True)
    if procurement.method != Method.single_source:
        raise WrongState("Only a single-source procurement has this notice.")
    legal = await rules.rules_for(session, actor.tenant)
    if not single_source.needs_notice(legal, procurement):
        raise WrongState(
            "This single source needs no single-source notice: only one chosen because one "
            "supplier alone can supply, with a budget reaching the open-tender threshold "
            f"({text(legal.open_tender_threshold_yuan)} 元), does (74号令 art. 38). Submit it "
            "for approval (POST …/submit-for-approval)."
        )
    await move(session, actor, procurement, S.single_source_notice)
    (provider_id,) = await invited_of(session, procurement)
    provider = await tenancy.get_provider(session, provider_id)
    notice = await notices.publish(
        session,
        actor,
        procurement,
        NoticeKind.single_source,
        {
            "proposed_provider": provider.name,
            "proposed_provider_uscc": provider.uscc,
            "reason": procurement.method_reason,
            "justification": procurement.method_justification,
        },
    )
    await _to_approver(session, actor, procurement, [provider_id], notice.published_at)
    return procurement


async def _to_approver(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    provider_ids: Sequence[uuid.UUID],
    notice_published_at: datetime | None = None,
) -> None:
    """Record whose finance approves the method and ask it: the region's own, or for a
    county at or above the threshold its city's, through a request filed there."""
    legal = await rules.rules_for(session, actor.tenant)
    authority = await approval_authority.approving_region(session, legal, procurement)
    procurement.approving_region = authority.code
    await session.flush()
    if authority.code == actor.tenant:
        await _tell_finance(session, actor, procurement)
        return
    await method_approvals.file(session, legal, procurement, provider_ids, notice_published_at)


async def _tell_finance(session: AsyncSession, actor: Actor, procurement: Procurement) -> None:
    await tell_roles(
        session,
        actor,
        procurement,
        FINANCE,
        events.APPROVAL_REQUESTED.name,
        {
            "method": procurement.method,
            "price_weight_outside_range": procurement.price_weight_outside_range,
        },
    )


async def decide_approval(
    session: AsyncSession,
    actor: Actor,
    procurement_id: uuid.UUID,
    approve: bool,
    note: str | None,
    decided_in: str | None = None,
) -> Procurement:
    """Finance approves the method (a single source only when
    ``single_source.ready_for_approval`` lets it) or sends it back to the draft."""
    procurement = await get(session, actor, procurement_id, lock=True)
    if procurement.status not in (S.awaiting_approval, S.single_source_notice):
        raise WrongState(f"A {procurement.status} procurement is not waiting for approval.")
    # A county's method at or above the threshold is its city's finance's to approve: the
    # decision comes as a job on its behalf (method_approval_tasks), never from the county.
    await approval_authority.check_decider(session, procurement, decided_in or actor.tenant)
    if approve:
        await single_source.ready_for_approval(session, procurement)
    if not approve and not note:
        raise InvalidField("say why the method is not approved", field="note")
    if approve:
        procurement.approved_by = actor.user_id
        procurement.approved_at = datetime.now(UTC)
        procurement.approval_note = note
        await move(session, actor, procurement, S.approved, note)
    else:
        procurement.approval_note = note
        await move(session, actor, procurement, S.draft, note)
    await _decide_price_weight(session, actor, procurement, approve, note)
    decided = events.METHOD_APPROVED if approve else events.METHOD_REFUSED
    await tell_roles(session, actor, procurement, CIVIL_AFFAIRS, decided.name, {"note": note})
    return procurement


async def _decide_price_weight(
    session: AsyncSession, actor: Actor, procurement: Procurement, approve: bool, note: str | None
) -> None:
    """A consultation's price weight outside its range rides on the method's approval
    (财库〔2014〕214号 art. 24): approving the method approves it, refusing refuses both. The
    decision is recorded on its own so the file shows finance decided the weight too."""
    if not procurement.price_weight_outside_range:
        return
    price = next((c for c in procurement.criteria if c["price"]), None)
    await record(
        session,
        actor,
        "procurement.price_weight_approved" if approve else "procurement.price_weight_refused",
        "procurement",
        procurement.id,
        after={"price_weight": price["weight"] if price else None, "note": note},
    )


async def publish(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, issued_at: datetime | None
) -> Procurement:
    """采购公告: the documents are issued and bids may come; the opening is scheduled."""
    procurement = await get(session, actor, procurement_id, lock=True)
    method = Method(procurement.method)
    if method is Method.single_source:
        raise WrongState(
            "A single-source procurement negotiates with its provider; it is not published."
        )
    legal = await rules.rules_for(session, actor.tenant)
    # An approved one stays publishable whatever the region's setting has become since.
    allowed = {S.approved} if method in NEEDS_APPROVAL else set()
    if not needs_approval(legal, procurement):
        allowed.add(S.draft)
    if procurement.status not in allowed:
        raise WrongState(f"A {procurement.status} {method.value} cannot be published.")
    now = datetime.now(UTC)
    issued = aware(issued_at, "issued_at") or now
    if issued > now:
        raise InvalidField("cannot be in the future", field="issued_at")
    if method in (Method.open_tender, Method.invited_tender):
        rules.check_bid_period(legal, issued, procurement.bid_deadline, field="bid_deadline")
    elif method is Method.competitive_consultation:
        rules.check_consultation_response(
            legal, issued, procurement.bid_deadline, field="bid_deadline"
        )
    else:
        rules.check_negotiation_response(
            legal, issued, procurement.bid_deadline, field="bid_deadline"
        )
    if procurement.bid_deadline <= now:
        raise InvalidField("has passed; set a new one", field="bid_deadline")
    if method in NEEDS_APPROVAL and await _selection(session, procurement) is None:
        raise WrongState(
            "Choose the suppliers first (POST …/supplier-selection): the invitations go out "
            "with the publication."
        )
    procurement.documents_issued_at = issued
    await move(session, actor, procurement, S.tendering)
    await notices.publish(
        session, actor, procurement, NoticeKind.tender, notices.tender_data(procurement)
    )
    await scheduling.schedule_opening(session, actor, procurement)
    invited = await invited_of(session, procurement)
    if invited:
        recipients: list[uuid.UUID] = []
        for provider_id in invited:
            recipients += await tenancy.provider_admins(session, provider_id)
        await notifications.notify(
            session,
            actor,
            event_type=events.INVITED.name,
            recipients=recipients,
            context={
                **await context(session, actor, procurement),
                "bid_deadline": procurement.bid_deadline,
            },
            tenant=actor.tenant,
        )
    return procurement


async def cancel(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, reason: str
) -> Procurement:
    """终止: the committed money goes back to the budget line."""
    procurement = await get(session, actor, procurement_id, lock=True)
    await move(session, actor, procurement, S.cancelled, reason)
    await close_out(session, actor, procurement)
    return procurement


async def close_out(session: AsyncSession, actor: Actor, procurement: Procurement) -> None:
    """A procurement ends without an award (failed, cancelled): bids not opened stay sealed
    for good, and the committed money goes back to the budget line."""
    unopened = await session.scalars(
        select(Bid.id).where(
            repository.belongs_to(Bid, procurement),
            Bid.status == BidStatus.submitted.value,
            Bid.price.is_(None),
        )
    )
    for bid_id in unopened.all():
        await documents.withhold_seal(session, actor, ObjectType.bid, bid_id)
    await release_money(session, actor, procurement)


async def release_money(session: AsyncSession, actor: Actor, procurement: Procurement) -> None:
    await planning.release(session, actor, procurement.commitment_id)
    try:
        await planning.advance(
            session, actor, procurement.project_id, planning.ProjectStatus.budgeted
        )
    except planning.WrongState:
        pass  # another procurement of the project is still under way


async def transitions(session: AsyncSession, procurement: Procurement) -> list[Transition]:
    return list(await repository.parts(session, Transition, procurement, Transition.seq))


async def context(session: AsyncSession, actor: Actor, procurement: Procurement) -> dict[str, Any]:
    """What every notification about a procurement names."""
    return {
        "tenant_name": (await tenancy.get_tenant(session, actor.tenant)).name,
        "title": procurement.title,
        "procurement_id": procurement.id,
        "ocid": procurement.ocid,
    }


async def tell_providers(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    provider_ids: Iterable[uuid.UUID],
    event: str,
    extra: Mapping[str, object],
) -> None:
    """Notify the admins of these providers about the procurement; nothing when none has one."""
    recipients: list[uuid.UUID] = []
    for provider_id in provider_ids:
        recipients += await tenancy.provider_admins(session, provider_id)
    if not recipients:
        return
    await notifications.notify(
        session,
        actor,
        event_type=event,
        recipients=recipients,
        context={**await context(session, actor, procurement), **extra},
        tenant=actor.tenant,
    )


async def tell_roles(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    roles: tuple[Role, ...],
    event: str,
    extra: Mapping[str, object],
) -> None:
    """Notify whoever holds these roles in the region about the procurement."""
    await notifications.notify(
        session,
        actor,
        event_type=event,
        recipients=await tenancy.holders(session, actor.tenant, roles),
        context={**await context(session, actor, procurement), **extra},
        tenant=actor.tenant,
    )
