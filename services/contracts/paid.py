"""What has been paid under a contract: the money a termination leaves committed on the line."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.models import Contract


async def paid_total(session: AsyncSession, contract: Contract) -> Decimal:
    """The money paid to the provider under ``contract`` so far, in 元.

    Payments will sum their paid rows here; until they are recorded on the platform nothing
    has been paid, so a termination gives the whole unpaid value back to the budget line."""
    return Decimal("0")
