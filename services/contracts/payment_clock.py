"""What time moves for payments, in the contracts' sweep (services.contracts.clock):

- a confirmed (or approved) payment not paid: civil affairs — and finance, where it approves —
  hear 5 days before ``pay_by``, and again once it has passed (保障中小企业款项支付条例 art. 8;
  late payment bears interest, art. 15); a payment overdue before its first warning gets only
  the second;
- an instalment whose agreed day (``due_on``) is over while nothing is asked for it: civil
  affairs hears, to look into the contract's progress.

Each warning goes once: marked on the payment (``warnings_sent``), or for an instalment on its
contract (``instalment_<seq>_not_requested``). Both lists are read in every region through the
``sws_contracts_clock`` role, each in its own query on the columns migration 0020 grants it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import payment_events, repository, telling
from services.contracts.models import Instalment
from services.contracts.payment_models import Payment
from services.contracts.schemas import ContractStatus, PaymentMode
from services.kit import workdays
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.db import bind_tenant
from services.kit.money import text as money_text
from services.notifications.service import EventType

# Civil affairs (and finance) hear this many days before the last day to pay.
PAY_WARNING_DAYS = 5
BATCH = 500

PAYMENTS_WAITING = text(
    """
    SELECT tenant_id, contract_id, id
      FROM contract_payments
     WHERE status IN ('confirmed', 'approved')
       AND ((pay_by < :now AND NOT warnings_sent ? 'payment_overdue')
            OR (pay_by >= :now AND pay_by < :warn_from
                AND NOT warnings_sent ? 'payment_due_soon'))
     ORDER BY tenant_id, contract_id, id
     LIMIT :limit
    """
)
INSTALMENTS_WAITING = text(
    """
    SELECT i.tenant_id, i.contract_id, i.seq
      FROM contract_instalments i
      JOIN contracts c ON c.tenant_id = i.tenant_id AND c.id = i.contract_id
     WHERE c.status = 'signed' AND i.requested_total = 0 AND i.due_on < :today
       AND NOT c.warnings_sent ? ('instalment_' || i.seq || '_not_requested')
     ORDER BY i.tenant_id, i.contract_id, i.seq
     LIMIT :limit
    """
)


@dataclass
class _Rows:
    payments: list[tuple[str, uuid.UUID, uuid.UUID]] = field(default_factory=list)
    instalments: list[tuple[str, uuid.UUID, int]] = field(default_factory=list)


async def _waiting(session: AsyncSession, now: datetime) -> _Rows:
    if session.new or session.dirty or session.deleted:
        await session.flush()  # nothing of ours is written under the clock's role
    await session.execute(text("SET LOCAL ROLE sws_contracts_clock"))
    limit = {"limit": BATCH}
    found = _Rows()
    rows = await session.execute(
        PAYMENTS_WAITING,
        {"now": now, "warn_from": now + timedelta(days=PAY_WARNING_DAYS), **limit},
    )
    found.payments = [(r.tenant_id, r.contract_id, r.id) for r in rows]
    rows = await session.execute(INSTALMENTS_WAITING, {"today": workdays.local_date(now), **limit})
    found.instalments = [(r.tenant_id, r.contract_id, r.seq) for r in rows]
    await session.execute(text("RESET ROLE"))
    return found


async def sweep(session: AsyncSession, now: datetime, request_id: str | None) -> int:
    """Send every payment warning that is due; how many went out. Leaves the session bound
    to the last region it worked in: the caller binds its own again."""
    waiting = await _waiting(session, now)
    sent = 0
    for tenant, contract_id, payment_id in waiting.payments:
        await bind_tenant(session, tenant)
        sent += await _payment(session, tenant, contract_id, payment_id, now, request_id)
    for tenant, contract_id, seq in waiting.instalments:
        await bind_tenant(session, tenant)
        sent += await _instalment(session, tenant, contract_id, seq, request_id)
    return sent


async def _payment(
    session: AsyncSession,
    tenant: str,
    contract_id: uuid.UUID,
    payment_id: uuid.UUID,
    now: datetime,
    request_id: str | None,
) -> int:
    contract = await repository.contract(session, tenant, contract_id, lock=True)
    payment = await session.get(Payment, (tenant, payment_id), with_for_update=True)
    if contract is None or payment is None or payment.pay_by is None:  # pragma: no cover
        return 0
    if payment.status not in ("confirmed", "approved"):
        return 0  # paid or returned since the list was read
    overdue = now > payment.pay_by
    marker = "payment_overdue" if overdue else "payment_due_soon"
    if marker in payment.warnings_sent or (
        not overdue and "payment_overdue" in payment.warnings_sent
    ):
        return 0
    event: EventType = (
        payment_events.PAYMENT_OVERDUE if overdue else payment_events.PAYMENT_DUE_SOON
    )
    roles: tuple[Role, ...] = telling.CIVIL_AFFAIRS
    if payment.mode == PaymentMode.finance_approval.value:
        roles += telling.FINANCE
    payment.warnings_sent = [*payment.warnings_sent, marker]
    await telling.tell(
        session,
        Actor(user_id=None, tenant=tenant, request_id=request_id),
        contract,
        event,
        roles=roles,
        extra={
            "payment_id": payment.id,
            "instalment_seq": payment.instalment_seq,
            "amount": money_text(payment.amount),
            "pay_by": payment.pay_by,
        },
    )
    await session.flush()
    return 1


async def _instalment(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID, seq: int, request_id: str | None
) -> int:
    contract = await repository.contract(session, tenant, contract_id, lock=True)
    if contract is None or contract.status != ContractStatus.signed.value:  # pragma: no cover
        return 0
    marker = f"instalment_{seq}_not_requested"
    if marker in contract.warnings_sent:
        return 0
    # Columns, read now: a request may have come in since the list was read.
    due = (
        await session.execute(
            select(
                Instalment.milestone,
                Instalment.amount,
                Instalment.due_on,
                Instalment.requested_total,
            ).where(
                Instalment.tenant_id == tenant,
                Instalment.contract_id == contract_id,
                Instalment.seq == seq,
            )
        )
    ).first()
    if due is None or due.requested_total > 0:
        return 0
    contract.warnings_sent = [*contract.warnings_sent, marker]
    await telling.tell(
        session,
        Actor(user_id=None, tenant=tenant, request_id=request_id),
        contract,
        payment_events.INSTALMENT_NOT_REQUESTED,
        roles=telling.CIVIL_AFFAIRS,
        extra={
            "instalment_seq": seq,
            "milestone": due.milestone,
            "amount": money_text(due.amount),
            "due_on": due.due_on,
        },
    )
    await session.flush()
    return 1
