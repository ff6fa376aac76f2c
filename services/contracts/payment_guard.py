"""The payments' guard: what is requested never passes the instalment nor the price.

``take`` raises the contract's and the instalment's ``requested_total`` each in one
conditional UPDATE (the budget guard's pattern, services/planning/guard.py). PostgreSQL takes
the row's lock for it; a concurrent request waits, then re-checks the condition against the
winner's total (READ COMMITTED re-evaluates the WHERE on the updated row), so of many requests
racing for one instalment exactly those that fit succeed. The CHECK constraints of migration
0020 hold the same rule underneath. The contract's row is always taken first, the
instalment's second — in every path that touches both — so two transactions never wait on
each other in a circle.

``give_back`` lowers both totals when a request is returned: its amount may be asked again.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.models import Contract, Instalment
from services.contracts.payment_errors import InstalmentExceeded, NotPayable
from services.contracts.payment_models import Payment
from services.contracts.schemas import ContractStatus
from services.kit.money import text


async def take(
    session: AsyncSession, contract: Contract, seq: int, amount: Decimal
) -> tuple[Decimal, Decimal]:
    """Hold ``amount`` of instalment ``seq``: the contract's and the instalment's totals after."""
    on_contract = (
        await session.execute(
            update(Contract)
            .where(
                Contract.tenant_id == contract.tenant_id,
                Contract.id == contract.id,
                Contract.status == ContractStatus.signed.value,
                Contract.requested_total + amount <= Contract.price,
            )
            .values(requested_total=Contract.requested_total + amount)
            .returning(Contract.requested_total)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if on_contract is None:
        await _refusal_on_contract(session, contract, amount)
    on_instalment = (
        await session.execute(
            update(Instalment)
            .where(
                Instalment.tenant_id == contract.tenant_id,
                Instalment.contract_id == contract.id,
                Instalment.seq == seq,
                Instalment.requested_total + amount <= Instalment.amount,
            )
            .values(requested_total=Instalment.requested_total + amount)
            .returning(Instalment.requested_total)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if on_instalment is None:
        await _refusal_on_instalment(session, contract, seq, amount)
    assert on_contract is not None and on_instalment is not None
    return on_contract, on_instalment


async def _refusal_on_contract(session: AsyncSession, contract: Contract, amount: Decimal) -> None:
    # Columns, not the loaded object: a concurrent winner changed the row since it was read.
    row = (
        await session.execute(
            select(Contract.status, Contract.price, Contract.requested_total).where(
                Contract.tenant_id == contract.tenant_id, Contract.id == contract.id
            )
        )
    ).one()
    if row.status != ContractStatus.signed.value:
        raise NotPayable(f"The contract is {row.status}; only a signed contract is paid.")
    left = row.price - row.requested_total
    raise InstalmentExceeded(
        f"{text(amount)} is more than the {text(left)} left of the price",
        field="amount",
        available=text(left),
    )


async def _refusal_on_instalment(
    session: AsyncSession, contract: Contract, seq: int, amount: Decimal
) -> None:
    row = (
        await session.execute(
            select(Instalment.amount, Instalment.requested_total).where(
                Instalment.tenant_id == contract.tenant_id,
                Instalment.contract_id == contract.id,
                Instalment.seq == seq,
            )
        )
    ).one()
    left = row.amount - row.requested_total
    raise InstalmentExceeded(
        f"{text(amount)} is more than the {text(left)} left of instalment {seq}",
        field="amount",
        available=text(left),
    )


async def give_back(session: AsyncSession, payment: Payment) -> None:
    """A returned request's amount goes back to its instalment and to the contract (the
    caller holds the contract's row: it is taken first here too)."""
    await session.execute(
        update(Contract)
        .where(Contract.tenant_id == payment.tenant_id, Contract.id == payment.contract_id)
        .values(requested_total=Contract.requested_total - payment.amount)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Instalment)
        .where(
            Instalment.tenant_id == payment.tenant_id,
            Instalment.contract_id == payment.contract_id,
            Instalment.seq == payment.instalment_seq,
        )
        .values(requested_total=Instalment.requested_total - payment.amount)
        .execution_options(synchronize_session=False)
    )
