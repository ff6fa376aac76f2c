"""What later contexts (archive, credit's consequences, evaluation) use of delivery. Other
contexts import this module only; nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery.acceptance_models import Acceptance

__all__ = ["AcceptanceBrief", "acceptances_of_contract"]

# --- acceptance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptanceBrief:
    """One acceptance round of a contract, as the archive and the credit record see it."""

    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    round: int
    status: str  # open | concluded | published
    planned_on: date
    result: str | None  # pass | fail, once concluded
    signed_at: datetime | None  # both sides signed the report; published then
    signed_sha256: str | None
    notice_id: uuid.UUID | None
    breach_liability: str | None  # a re-acceptance failed: what the contract says


async def acceptances_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[AcceptanceBrief]:
    """The contract's acceptance rounds, first first."""
    rows = await session.scalars(
        select(Acceptance)
        .where(Acceptance.tenant_id == tenant, Acceptance.contract_id == contract_id)
        .order_by(Acceptance.round)
    )
    return [
        AcceptanceBrief(
            id=a.id,
            contract_id=a.contract_id,
            provider_id=a.provider_id,
            round=a.round,
            status=a.status,
            planned_on=a.planned_on,
            result=a.result,
            signed_at=a.signed_at,
            signed_sha256=a.signed_sha256,
            notice_id=a.notice_id,
            breach_liability=a.breach_liability,
        )
        for a in rows
    ]
