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
from services.tendering import repository, rules
from services.tendering.award_notice import AWARD_NOTIFIED
from services.tendering.errors import WrongState
from services.tendering.models import Procurement
from services.tendering.schemas import Method, Status

__all__ = [
    "AWARD_NOTIFIED",
    "Award",
    "Method",
    "WrongState",
    "check_performance_security",
    "concluded_award",
    "notified_award",
]


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
    # The last moment to sign the contract: 30 days from the day after the award notice.
    sign_by: datetime | None
    # The challenge period passed with no challenge standing; None until then.
    concluded_at: datetime | None


async def concluded_award(session: AsyncSession, tenant: str, procurement_id: uuid.UUID) -> Award:
    """The award of a concluded procurement of ``tenant``; NotFound when there is no such
    procurement, WrongState while it is not concluded."""
    procurement = await _procurement(session, tenant, procurement_id)
    concluded_at = await repository.entered(session, tenant, procurement_id, Status.concluded)
    if procurement.status != Status.concluded or concluded_at is None:
        raise WrongState("The procurement is not concluded.")
    return await _award(session, procurement, concluded_at)


async def notified_award(session: AsyncSession, tenant: str, procurement_id: uuid.UUID) -> Award:
    """The award of a procurement whose award notice has gone out — the contract may be
    drafted from then on, while challenges may still come (政府采购法 art. 46); NotFound when
    there is no such procurement, WrongState when no award notice has been sent."""
    procurement = await _procurement(session, tenant, procurement_id)
    if procurement.award_notice_at is None:
        raise WrongState("No award notice has been sent for this procurement.")
    concluded_at = await repository.entered(session, tenant, procurement_id, Status.concluded)
    return await _award(session, procurement, concluded_at)


async def check_performance_security(
    session: AsyncSession, tenant: str, security: Decimal, price: Decimal, field: str
) -> None:
    """Refuse a performance security above the share of the price the law and the region
    allow (实施条例 art. 48: at most 10 %), naming ``field``."""
    legal = await rules.rules_for(session, tenant)
    rules.check_performance_security(legal, security, price, field=field)


async def _procurement(
    session: AsyncSession, tenant: str, procurement_id: uuid.UUID
) -> Procurement:
    procurement = await repository.procurement(session, tenant, procurement_id)
    if procurement is None:
        raise NotFound("No such procurement.")
    return procurement


async def _award(
    session: AsyncSession, procurement: Procurement, concluded_at: datetime | None
) -> Award:
    if (
        procurement.awarded_provider_id is None
        or procurement.awarded_bid_id is None
        or procurement.awarded_price is None
        or procurement.confirmed_at is None
        or procurement.result_published_at is None
    ):
        raise WrongState("The procurement has no award.")
    sign_by = None
    if procurement.award_notice_at is not None:
        legal = await rules.rules_for(session, procurement.tenant_id)
        sign_by = rules.contract_deadline(legal, procurement.award_notice_at)
    return Award(
        tenant=procurement.tenant_id,
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
        sign_by=sign_by,
        concluded_at=concluded_at,
    )
