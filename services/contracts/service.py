"""What later steps use of contracts (delivery, acceptance, evaluation, archive): a contract's
brief, the acceptance that releases its final instalment, and the contracts of a project.
Other contexts import this module only; nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import repository
from services.contracts.amendment_models import Amendment, AmendmentSignature, AmendmentVersion
from services.contracts.models import Contract, Instalment, Signature, Suspension, YearShare
from services.contracts.payment_models import Payment, PaymentSource
from services.contracts.schemas import ContractStatus
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import NotFound
from services.kit.rows import row_dict, rows_of

__all__ = [
    "ContractBrief",
    "ContractFile",
    "ContractStatus",
    "OpenInstalment",
    "OpenPayment",
    "PaymentDue",
    "contract_brief",
    "contract_files",
    "contracts_of_project",
    "open_payment",
    "payment_dues",
    "record_acceptance",
]


@dataclass(frozen=True)
class ContractBrief:
    """A contract as delivery sees it: parties, period, the targets it is measured against."""

    id: uuid.UUID
    tenant: str
    procurement_id: uuid.UUID
    project_id: uuid.UUID
    provider_id: uuid.UUID
    provider_name: str | None
    provider_uscc: str | None
    title: str
    status: ContractStatus
    price: Decimal
    signed_at: datetime | None
    period_start: date | None
    period_end: date | None
    county_code: str | None
    target_groups: list[str]
    beneficiaries: int | None
    # [{"name", "indicator", "value"}, …]: the performance targets (绩效目标) of the contract.
    targets: list[dict[str, str]]
    quality_requirements: str | None
    breach_liability: str | None
    accepted_at: datetime | None


def _brief(c: Contract) -> ContractBrief:
    return ContractBrief(
        id=c.id,
        tenant=c.tenant_id,
        procurement_id=c.procurement_id,
        project_id=c.project_id,
        provider_id=c.provider_id,
        provider_name=c.provider_name,
        provider_uscc=c.provider_uscc,
        title=c.title,
        status=ContractStatus(c.status),
        price=c.price,
        signed_at=c.signed_at,
        period_start=c.period_start,
        period_end=c.period_end,
        county_code=c.county_code,
        target_groups=list(c.target_groups or []),
        beneficiaries=c.beneficiaries,
        targets=[dict(t) for t in c.targets or []],
        quality_requirements=c.quality_requirements,
        breach_liability=c.breach_liability,
        accepted_at=c.accepted_at,
    )


async def contract_brief(
    session: AsyncSession,
    tenant: str,
    contract_id: uuid.UUID,
    *,
    lock: bool = False,
    projects: Sequence[uuid.UUID] | None = None,
) -> ContractBrief | None:
    """The contract of ``tenant`` (with ``projects``, only one of those projects); None when
    there is none, which callers answer as 404 like another region's."""
    found = await repository.contract(session, tenant, contract_id, lock=lock, projects=projects)
    return None if found is None else _brief(found)


async def contracts_of_project(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> list[ContractBrief]:
    """Every contract of the project, the refused and void ones included, oldest first."""
    rows = await session.scalars(
        select(Contract)
        .where(Contract.tenant_id == tenant, Contract.project_id == project_id)
        .order_by(Contract.created_at, Contract.id)
    )
    return [_brief(c) for c in rows]


async def record_acceptance(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, accepted_at: datetime
) -> None:
    """The acceptance (结项验收) passed: the final instalment may now be confirmed and paid.
    Idempotent: a contract accepted already keeps its first acceptance time."""
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    if contract.accepted_at is not None:
        return
    contract.accepted_at = accepted_at
    await record(
        session,
        actor,
        "contract.accepted",
        "contract",
        contract.id,
        before={"accepted_at": None},
        after={"accepted_at": accepted_at},
    )


@dataclass(frozen=True)
class ContractFile:
    """A contract's records for its project's archive, as plain JSON-safe rows."""

    id: uuid.UUID
    status: str
    # "contract", "instalments", "signatures", "suspensions", "year_shares", "amendments",
    # "amendment_versions", "amendment_signatures", "payments", "payment_sources".
    records: dict[str, list[dict[str, Any]]]
    objects: list[tuple[str, uuid.UUID]]


async def contract_files(
    session: AsyncSession, tenant: str, project_id: uuid.UUID
) -> list[ContractFile]:
    """Every contract of the project (refused and void ones too), with its amendments and
    payments, oldest first."""
    found = await session.scalars(
        select(Contract)
        .where(Contract.tenant_id == tenant, Contract.project_id == project_id)
        .order_by(Contract.created_at, Contract.id)
    )
    files = []
    for contract in found:
        cid = contract.id

        def of(model: type[Any], cid: uuid.UUID = cid) -> Any:
            return (model.tenant_id == tenant, model.contract_id == cid)

        amendments = await rows_of(session, Amendment, *of(Amendment))
        payments = await rows_of(session, Payment, *of(Payment), order_by=[Payment.requested_at])
        records = {
            "contract": [row_dict(contract)],
            "instalments": await rows_of(
                session, Instalment, *of(Instalment), order_by=[Instalment.seq]
            ),
            "signatures": await rows_of(session, Signature, *of(Signature)),
            "suspensions": await rows_of(session, Suspension, *of(Suspension)),
            "year_shares": await rows_of(session, YearShare, *of(YearShare)),
            "amendments": amendments,
            "amendment_versions": await rows_of(session, AmendmentVersion, *of(AmendmentVersion)),
            "amendment_signatures": await rows_of(
                session, AmendmentSignature, *of(AmendmentSignature)
            ),
            "payments": payments,
            "payment_sources": await rows_of(session, PaymentSource, *of(PaymentSource)),
        }
        objects: list[tuple[str, uuid.UUID]] = [("contract", cid)]
        objects += [("contract_amendment", uuid.UUID(a["id"])) for a in amendments]
        objects += [("contract_payment", uuid.UUID(p["id"])) for p in payments]
        files.append(ContractFile(cid, contract.status, records, objects))
    return files


# --- open data ---


@dataclass(frozen=True)
class OpenInstalment:
    seq: int
    milestone: str
    amount: Decimal
    due_on: date
    paid: Decimal  # paid against it so far


@dataclass(frozen=True)
class OpenPayment:
    """A paid payment as open data publishes it: how much came from each funding source, to
    whom, under which contract — and the contract's instalments as they stand (no voucher, no
    evidence, nobody's name)."""

    id: uuid.UUID
    contract_id: uuid.UUID
    procurement_id: uuid.UUID
    provider_id: uuid.UUID
    provider_name: str | None
    provider_uscc: str | None
    paid_on: date
    instalment_seq: int
    # (funding source, amount), in the source's order.
    sources: list[tuple[str, Decimal]]
    instalments: list[OpenInstalment]


async def open_payment(session: AsyncSession, tenant: str, payment_id: uuid.UUID) -> OpenPayment:
    """A paid payment of ``tenant``; NotFound when there is no such paid payment."""
    payment = await session.scalar(
        select(Payment).where(Payment.tenant_id == tenant, Payment.id == payment_id)
    )
    if payment is None or payment.paid_on is None:
        raise NotFound("No such paid payment.")
    contract = await repository.contract(session, tenant, payment.contract_id)
    assert contract is not None
    sources = await session.execute(
        select(PaymentSource.source, PaymentSource.amount)
        .where(PaymentSource.tenant_id == tenant, PaymentSource.payment_id == payment.id)
        .order_by(PaymentSource.source)
    )
    paid_rows = await session.execute(
        select(Payment.instalment_seq, Payment.amount).where(
            Payment.tenant_id == tenant,
            Payment.contract_id == contract.id,
            Payment.status == "paid",
        )
    )
    paid: dict[int, Decimal] = {}
    for seq, amount in paid_rows.all():
        paid[seq] = paid.get(seq, Decimal(0)) + amount
    instalments = await session.scalars(
        select(Instalment)
        .where(Instalment.tenant_id == tenant, Instalment.contract_id == contract.id)
        .order_by(Instalment.seq)
    )
    return OpenPayment(
        id=payment.id,
        contract_id=contract.id,
        procurement_id=contract.procurement_id,
        provider_id=contract.provider_id,
        provider_name=contract.provider_name,
        provider_uscc=contract.provider_uscc,
        paid_on=payment.paid_on,
        instalment_seq=payment.instalment_seq,
        sources=[(source, amount) for source, amount in sources.all()],
        instalments=[
            OpenInstalment(i.seq, i.milestone, i.amount, i.due_on, paid.get(i.seq, Decimal(0)))
            for i in instalments
        ],
    )


@dataclass(frozen=True)
class PaymentDue:
    """A payment's last day to pay and the day it was paid, for the late-payment red flag:
    the procurement it pays for and the instalment, never an amount or a name."""

    procurement_id: uuid.UUID
    ocid: str
    instalment_seq: int
    due: date  # the last day to pay (``pay_by``), Asia/Shanghai
    paid_on: date | None  # None: not paid yet


async def payment_dues(session: AsyncSession, tenant: str) -> list[PaymentDue]:
    """Every payment of ``tenant`` with a last day to pay (confirmed, approved or paid; a
    returned request is no debt), by contract, instalment and due date."""
    rows = await session.execute(
        select(
            Contract.procurement_id,
            Contract.ocid,
            Payment.instalment_seq,
            Payment.pay_by,
            Payment.paid_on,
        )
        .join(
            Contract,
            (Contract.tenant_id == Payment.tenant_id) & (Contract.id == Payment.contract_id),
        )
        .where(
            Payment.tenant_id == tenant,
            Payment.pay_by.is_not(None),
            Payment.status.in_(("confirmed", "approved", "paid")),
        )
        .order_by(Contract.ocid, Payment.instalment_seq, Payment.pay_by, Payment.id)
    )
    return [
        PaymentDue(procurement_id, ocid, seq, workdays.local_date(pay_by), paid_on)
        for procurement_id, ocid, seq, pay_by, paid_on in rows.all()
        if pay_by is not None  # the query's own condition, for the type checker
    ]
