"""What has been paid under a contract: the money a termination leaves committed on the line."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.models import Contract
from services.contracts.payment_models import Payment
from services.contracts.schemas import PaymentStatus


async def paid_total(session: AsyncSession, contract: Contract) -> Decimal:
    """The money paid to the provider under ``contract`` so far, in 元: its paid payments."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.tenant_id == contract.tenant_id,
            Payment.contract_id == contract.id,
            Payment.status == PaymentStatus.paid.value,
        )
    )
    return Decimal(total or 0).quantize(Decimal("0.01"))
