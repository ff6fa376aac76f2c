"""The steps of a payment request after it is filed, and who takes each.

    requested ──confirm (civil affairs)──▶ confirmed ──paid (civil affairs)──▶ paid   [treasury]
        │                                     │
        │                                     └─approve (finance)─▶ approved ─paid (finance)─▶ paid
        │                                     │                                 [finance_approval]
        └──return (civil affairs)──▶ returned ◀──return (finance, finance_approval only)

- Civil affairs (officer or approver) confirms the deliverables (验收确认) or returns the request
  with reasons. The confirmation starts the payment term: ``pay_by`` is the end (24:00
  Asia/Shanghai) of the region's payment days counted from the day after (保障中小企业款项
  支付条例 arts. 8–9: within 30 days of the delivery, at most 60 by agreement, from the day an
  agreed inspection or acceptance is passed); a last day on a rest day gives way to the next
  working day (民法典 art. 203, ``workdays.calendar_deadline``).
- In ``finance_approval`` mode finance (officer or approver) approves or returns the confirmed
  request and records the payment; in ``treasury`` mode (国库集中支付) civil affairs records it
  once confirmed, and no approval is asked.
- A returned request gives its amount back to its instalment: it may be asked again.
- The final instalment waits for the acceptance (结项验收, ``contracts.accepted_at``): its
  request is neither confirmed, approved nor paid before it (409 ``awaiting_acceptance``).
- The payment is recorded with the day it was paid and the treasury voucher, and split over
  the budget line's funding sources (services.contracts.payment_sources).

Each step locks the contract's row first, then the payment's — the order of every path that
touches both — and is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import payment_events, payment_guard, payment_settings, repository, telling
from services.contracts.errors import ContractSuspended
from services.contracts.models import Contract, YearShare
from services.contracts.payment_errors import (
    AwaitingAcceptance,
    NotPayable,
    NotYourStep,
    WrongPaymentState,
)
from services.contracts.payment_models import Payment, PaymentSource
from services.contracts.payment_sources import split
from services.contracts.payments import instalment, payment_of
from services.contracts.schemas import (
    ContractStatus,
    PaidIn,
    Party,
    PaymentMode,
    PaymentNoteIn,
    PaymentReturnIn,
    PaymentStatus,
)
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.money import text
from services.kit.publicity import PublicChange, announce
from services.planning import service as planning
from services.tenancy import service as tenancy

NAMES = {Party.buyer: "采购人", Party.finance: "财政部门"}


async def _step(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, payment_id: uuid.UUID
) -> tuple[Contract, Payment]:
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    return contract, await payment_of(session, contract, payment_id, lock=True)


async def _must_be(actor: Actor, session: AsyncSession, party: Party, why: str) -> None:
    """The actor holds a role of ``party``'s bureau here, else 403 saying whose step it is."""
    assert actor.user_id is not None
    held = await tenancy.roles_in(session, actor.tenant, actor.user_id)
    bureau = telling.CIVIL_AFFAIRS if party is Party.buyer else telling.FINANCE
    if not held & set(bureau):
        raise NotYourStep(why)


def _at(payment: Payment, *states: PaymentStatus) -> None:
    if PaymentStatus(payment.status) not in states:
        wanted = " or ".join(s.value for s in states)
        raise WrongPaymentState(f"The payment is {payment.status}, not {wanted}.")


def _performing(contract: Contract) -> None:
    """New deliverables are confirmed on a contract still in force; what was confirmed before
    it ended is still approved and paid: the debt stays."""
    if contract.status != ContractStatus.signed.value:
        raise NotPayable(f"The contract is {contract.status}; only a signed contract is paid.")


async def _not_suspended(session: AsyncSession, contract: Contract) -> None:
    """Performance suspended (实施条例 art. 54, 94号令 art. 28) delivers nothing new to confirm;
    what was confirmed before is still approved and paid."""
    if await repository.suspended(session, contract, datetime.now(UTC)):
        raise ContractSuspended("Performance is suspended; see the contract's suspensions.")


async def _released(session: AsyncSession, contract: Contract, payment: Payment) -> None:
    """The final instalment is released by the acceptance only."""
    due = await instalment(session, contract, payment.instalment_seq)
    if due.final and contract.accepted_at is None:
        raise AwaitingAcceptance(
            "This is the final instalment: it is confirmed and paid after the acceptance "
            "(结项验收) is recorded."
        )


def _extra(payment: Payment, **more: object) -> dict[str, object]:
    return {
        "payment_id": payment.id,
        "instalment_seq": payment.instalment_seq,
        "amount": text(payment.amount),
        **more,
    }


async def confirm(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    payment_id: uuid.UUID,
    data: PaymentNoteIn,
) -> tuple[Contract, Payment]:
    """Civil affairs confirms the deliverables: the payment term starts."""
    contract, payment = await _step(session, actor, contract_id, payment_id)
    _performing(contract)
    await _not_suspended(session, contract)
    _at(payment, PaymentStatus.requested)
    await _released(session, contract, payment)
    terms = await payment_settings.terms(session, contract.tenant_id)
    now = datetime.now(UTC)
    payment.status = PaymentStatus.confirmed.value
    payment.confirmed_at = now
    payment.confirmed_by = actor.user_id
    payment.confirmation_note = data.note
    payment.pay_by = workdays.calendar_deadline(now, terms.payment_days)
    await session.flush()
    await record(
        session,
        actor,
        "contract_payment.confirmed",
        "contract_payment",
        payment.id,
        before={"status": PaymentStatus.requested.value},
        after={
            "status": payment.status,
            "pay_by": payment.pay_by,
            "payment_days": terms.payment_days,
            "note": data.note,
        },
    )
    approval = PaymentMode(payment.mode) is PaymentMode.finance_approval
    await telling.tell(
        session,
        actor,
        contract,
        payment_events.PAYMENT_CONFIRMED,
        roles=telling.FINANCE if approval else (),
        provider=True,
        extra=_extra(payment, pay_by=payment.pay_by),
    )
    return contract, payment


async def give_back(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    payment_id: uuid.UUID,
    data: PaymentReturnIn,
) -> tuple[Contract, Payment]:
    """Civil affairs returns a request it has not confirmed; finance, where it approves, a
    confirmed one. The amount goes back to the instalment."""
    contract, payment = await _step(session, actor, contract_id, payment_id)
    status = PaymentStatus(payment.status)
    if status is PaymentStatus.requested:
        party = Party.buyer
        why = "Civil affairs returns a request it has not confirmed."
        await _must_be(actor, session, party, why)
    elif status is PaymentStatus.confirmed and payment.mode == PaymentMode.finance_approval.value:
        party = Party.finance
        await _must_be(actor, session, party, "Finance returns a confirmed request it approves.")
    else:
        raise WrongPaymentState(f"The payment is {payment.status}; it can no longer be returned.")
    await payment_guard.give_back(session, payment)
    payment.status = PaymentStatus.returned.value
    payment.returned_at = datetime.now(UTC)
    payment.returned_by = actor.user_id
    payment.returned_party = party.value
    payment.return_reason = data.reason
    await session.flush()
    await record(
        session,
        actor,
        "contract_payment.returned",
        "contract_payment",
        payment.id,
        before={"status": status.value},
        after={"status": payment.status, "party": party.value, "reason": data.reason},
    )
    await telling.tell(
        session,
        actor,
        contract,
        payment_events.PAYMENT_RETURNED,
        # Civil affairs, who confirmed it, hears when finance sends it back.
        roles=telling.CIVIL_AFFAIRS if party is Party.finance else (),
        provider=True,
        extra=_extra(payment, party=NAMES[party], reason=data.reason),
    )
    return contract, payment


async def approve(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    payment_id: uuid.UUID,
    data: PaymentNoteIn,
) -> tuple[Contract, Payment]:
    """Finance approves a confirmed request, where the region's finance approves payments."""
    contract, payment = await _step(session, actor, contract_id, payment_id)
    if payment.mode != PaymentMode.finance_approval.value:
        raise WrongPaymentState(
            "This request was filed under 国库集中支付 (treasury): no approval is asked."
        )
    _at(payment, PaymentStatus.confirmed)
    await _released(session, contract, payment)
    payment.status = PaymentStatus.approved.value
    payment.approved_at = datetime.now(UTC)
    payment.approved_by = actor.user_id
    payment.approval_note = data.note
    await session.flush()
    await record(
        session,
        actor,
        "contract_payment.approved",
        "contract_payment",
        payment.id,
        before={"status": PaymentStatus.confirmed.value},
        after={"status": payment.status, "note": data.note},
    )
    await telling.tell(
        session,
        actor,
        contract,
        payment_events.PAYMENT_APPROVED,
        provider=True,
        extra=_extra(payment, pay_by=payment.pay_by),
    )
    return contract, payment


async def paid(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    payment_id: uuid.UUID,
    data: PaidIn,
) -> tuple[Contract, Payment]:
    """Record the payment: civil affairs once confirmed (treasury), finance once approved
    (finance_approval); split over the budget line's funding sources."""
    contract, payment = await _step(session, actor, contract_id, payment_id)
    if payment.mode == PaymentMode.treasury.value:
        await _must_be(
            actor, session, Party.buyer, "Under 国库集中支付 civil affairs records the payment."
        )
        _at(payment, PaymentStatus.confirmed)
        since = payment.confirmed_at
    else:
        await _must_be(
            actor, session, Party.finance, "Where finance approves, finance records the payment."
        )
        _at(payment, PaymentStatus.approved)
        since = payment.approved_at
    await _released(session, contract, payment)
    assert since is not None
    _check_paid_on(data.paid_on, since)
    line = await planning.get_line(
        session, contract.tenant_id, await _paying_line(session, contract, data.paid_on)
    )
    shares = split(
        payment.amount,
        [
            (s.source, s.approved_amount if s.approved_amount is not None else s.requested_amount)
            for s in line.sources
        ],
    )
    for source, amount in shares:
        session.add(
            PaymentSource(
                tenant_id=payment.tenant_id,
                payment_id=payment.id,
                contract_id=contract.id,
                source=source,
                amount=amount,
            )
        )
    before = payment.status
    payment.status = PaymentStatus.paid.value
    payment.paid_on = data.paid_on
    now = datetime.now(UTC)
    payment.paid_at = now
    payment.paid_by = actor.user_id
    payment.voucher = data.voucher
    await session.flush()
    await record(
        session,
        actor,
        "contract_payment.paid",
        "contract_payment",
        payment.id,
        before={"status": before},
        after={
            "status": payment.status,
            "paid_on": data.paid_on,
            "voucher": data.voucher,
            "payer": contract.tenant_id,
            "payee": payment.payee_provider_id,
            "sources": {source: text(amount) for source, amount in shares},
            "late": payment.pay_by is not None and payment.paid_at > payment.pay_by,
        },
    )
    await telling.tell(
        session,
        actor,
        contract,
        payment_events.PAYMENT_PAID,
        provider=True,
        extra=_extra(payment, paid_on=data.paid_on, voucher=data.voucher),
    )
    await announce(
        session,
        PublicChange(contract.tenant_id, contract.procurement_id, "payment", payment.id, now),
    )
    return contract, payment


async def _paying_line(session: AsyncSession, contract: Contract, paid_on: date) -> uuid.UUID:
    share = paying_share(await repository.year_shares(session, contract), paid_on)
    return share.line_id if share and share.line_id else contract.budget_line_id


def paying_share(shares: Sequence[YearShare], paid_on: date) -> YearShare | None:
    """The year share a payment is made from: that of the year it is paid in — or of the
    latest year before it, whose money carries over (结转) to pay what that year's service
    earned — or the first, for a payment ahead of the period; None without shares."""
    committed = sorted((s for s in shares if s.line_id), key=lambda s: s.fiscal_year)
    earlier = [s for s in committed if s.fiscal_year <= paid_on.year]
    if earlier:
        return earlier[-1]
    return committed[0] if committed else None


def _check_paid_on(paid_on: date, since: datetime) -> None:
    """Paid no earlier than the step that allowed it, and not in the future."""
    today = workdays.local_date(datetime.now(UTC))
    if paid_on > today:
        raise InvalidField("a payment is recorded once made, not ahead", field="paid_on")
    if paid_on < workdays.local_date(since):
        raise InvalidField(
            f"before the payment was allowed ({workdays.local_date(since)})", field="paid_on"
        )
