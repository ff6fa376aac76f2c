"""What later stages use of tendering: a concluded procurement's award — who won, at what
price, on which budget line and commitment, and when the result was published and stood.
Contracts draft from it and statistics count it. Other contexts import this module only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import NotFound
from services.tendering import repository
from services.tendering.errors import WrongState
from services.tendering.schemas import Method, Status

__all__ = ["Award", "Method", "WrongState", "concluded_award"]


@dataclass(frozen=True)
class Award:
    """The award of a concluded procurement (结果确定)."""

    tenant: str
    procurement_id: uuid.UUID
    ocid: str
    title: str
    method: Method
    project_id: uuid.UUID
    budget_line_id: uuid.UUID
    # The budget money held for this purchase (planning's commitment) and its amount.
    commitment_id: uuid.UUID
    budget_amount: Decimal
    provider_id: uuid.UUID
    bid_id: uuid.UUID  # the winning bid (a negotiation's final response is a bid too)
    price: Decimal
    confirmed_at: datetime  # the buyer confirmed the result (采购人确认)
    result_published_at: datetime  # the result notice (结果公告)
    # The award notice (中标/成交通知书), sent with the result notice: the contract's 30 days
    # run from it. None for results published before the platform sent award notices.
    award_notice_at: datetime | None
    concluded_at: datetime  # the challenge period passed with no challenge standing


async def concluded_award(session: AsyncSession, tenant: str, procurement_id: uuid.UUID) -> Award:
    """The award of a concluded procurement of ``tenant``; NotFound when there is no such
    procurement, WrongState while it is not concluded."""
    procurement = await repository.procurement(session, tenant, procurement_id)
    if procurement is None:
        raise NotFound("No such procurement.")
    concluded_at = await repository.entered(session, tenant, procurement_id, Status.concluded)
    if (
        procurement.status != Status.concluded
        or concluded_at is None
        or procurement.awarded_provider_id is None
        or procurement.awarded_bid_id is None
        or procurement.awarded_price is None
        or procurement.confirmed_at is None
        or procurement.result_published_at is None
    ):
        raise WrongState("The procurement is not concluded.")
    return Award(
        tenant=tenant,
        procurement_id=procurement.id,
        ocid=procurement.ocid,
        title=procurement.title,
        method=Method(procurement.method),
        project_id=procurement.project_id,
        budget_line_id=procurement.budget_line_id,
        commitment_id=procurement.commitment_id,
        budget_amount=procurement.budget_amount,
        provider_id=procurement.awarded_provider_id,
        bid_id=procurement.awarded_bid_id,
        price=procurement.awarded_price,
        confirmed_at=procurement.confirmed_at,
        result_published_at=procurement.result_published_at,
        award_notice_at=procurement.award_notice_at,
        concluded_at=concluded_at,
    )
