"""A contract's payments as the API shows them: to civil affairs, to finance and to the
contract's own provider."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import repository
from services.contracts.models import Contract
from services.contracts.payment_models import Payment, PaymentSource
from services.contracts.schemas import (
    EvidenceOut,
    InstalmentPaymentsOut,
    Party,
    PartyRef,
    PaymentMode,
    PaymentOut,
    PaymentsOut,
    PaymentStatus,
    SourceShareOut,
)
from services.kit.money import ZERO, text
from services.tenancy import service as tenancy

# Requested and not returned; the deliverables confirmed; paid.
HELD = frozenset({"requested", "confirmed", "approved", "paid"})
CONFIRMED = frozenset({"confirmed", "approved", "paid"})


async def payments_of(session: AsyncSession, contract: Contract) -> Sequence[Payment]:
    rows = await session.scalars(
        select(Payment)
        .where(Payment.tenant_id == contract.tenant_id, Payment.contract_id == contract.id)
        .order_by(Payment.requested_at, Payment.id)
    )
    return rows.all()


async def _sources(
    session: AsyncSession, contract: Contract
) -> dict[uuid.UUID, list[SourceShareOut]]:
    rows = await session.scalars(
        select(PaymentSource)
        .where(
            PaymentSource.tenant_id == contract.tenant_id,
            PaymentSource.contract_id == contract.id,
        )
        .order_by(PaymentSource.payment_id, PaymentSource.source)
    )
    found: dict[uuid.UUID, list[SourceShareOut]] = defaultdict(list)
    for row in rows.all():
        found[row.payment_id].append(SourceShareOut(source=row.source, amount=text(row.amount)))
    return found


async def parties(session: AsyncSession, contract: Contract) -> tuple[PartyRef, PartyRef]:
    """The payer (the buyer: this region) and the payee (the contract's provider)."""
    region = await tenancy.get_tenant(session, contract.tenant_id)
    provider = await tenancy.get_provider(session, contract.provider_id)
    return (
        PartyRef(id=contract.tenant_id, name=region.name),
        PartyRef(id=str(provider.id), name=provider.name),
    )


def payment(
    p: Payment, payer: PartyRef, payee: PartyRef, sources: list[SourceShareOut]
) -> PaymentOut:
    return PaymentOut(
        id=p.id,
        contract_id=p.contract_id,
        instalment_seq=p.instalment_seq,
        amount=text(p.amount),
        status=PaymentStatus(p.status),
        mode=PaymentMode(p.mode),
        payer=payer,
        payee=payee,
        evidence=[
            EvidenceOut(
                document_id=uuid.UUID(e["document_id"]), version=e["version"], sha256=e["sha256"]
            )
            for e in p.evidence
        ],
        note=p.note,
        requested_at=p.requested_at,
        requested_by=p.requested_by,
        confirmed_at=p.confirmed_at,
        confirmed_by=p.confirmed_by,
        confirmation_note=p.confirmation_note,
        pay_by=p.pay_by,
        approved_at=p.approved_at,
        approved_by=p.approved_by,
        approval_note=p.approval_note,
        returned_at=p.returned_at,
        returned_by=p.returned_by,
        returned_party=Party(p.returned_party) if p.returned_party else None,
        return_reason=p.return_reason,
        paid_on=p.paid_on,
        paid_at=p.paid_at,
        paid_by=p.paid_by,
        voucher=p.voucher,
        sources=sources,
    )


async def one(session: AsyncSession, contract: Contract, p: Payment) -> PaymentOut:
    payer, payee = await parties(session, contract)
    sources = (await _sources(session, contract)).get(p.id, [])
    return payment(p, payer, payee, sources)


def _sum(rows: Sequence[Payment], statuses: frozenset[str]) -> Decimal:
    return sum((p.amount for p in rows if p.status in statuses), ZERO)


async def of_contract(session: AsyncSession, contract: Contract) -> PaymentsOut:
    """The price, what is requested, confirmed, paid and due, what remains, per instalment
    and per payment. Totals come from the payments themselves."""
    rows = await payments_of(session, contract)
    payer, payee = await parties(session, contract)
    sources = await _sources(session, contract)
    requested, confirmed = _sum(rows, HELD), _sum(rows, CONFIRMED)
    paid = _sum(rows, frozenset({"paid"}))
    instalments = []
    for i in await repository.instalments(session, contract):
        mine = [p for p in rows if p.instalment_seq == i.seq]
        held = _sum(mine, HELD)
        instalments.append(
            InstalmentPaymentsOut(
                seq=i.seq,
                milestone=i.milestone,
                amount=text(i.amount),
                due_on=i.due_on,
                final=i.final,
                requested=text(held),
                requestable=text(i.amount - held),
                paid=text(_sum(mine, frozenset({"paid"}))),
            )
        )
    return PaymentsOut(
        contract_id=contract.id,
        price=text(contract.price),
        requested=text(requested),
        confirmed=text(confirmed),
        paid=text(paid),
        due=text(confirmed - paid),
        remaining=text(contract.price - paid),
        accepted_at=contract.accepted_at,
        instalments=instalments,
        payments=[payment(p, payer, payee, sources.get(p.id, [])) for p in rows],
    )
