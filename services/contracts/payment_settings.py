"""A region's payment setting, kept by its finance bureau: how instalments are paid, and in how
many days after the deliverables are confirmed.

- ``treasury`` (国库集中支付, the default): the buyer pays through the treasury once civil
  affairs confirmed the deliverables; finance sees every step.
- ``finance_approval`` (财政审核拨付): finance approves, or returns with reasons, each confirmed
  request before it is paid, and records the payment.

The payment term (保障中小企业款项支付条例 art. 8): an organ of state pays within 30 days from
the delivery; a contract may agree on longer, never over 60 days. Where the contract provides
for an inspection or acceptance, the term runs from the day it is passed (art. 9) — here, the
confirmation of the deliverables. The region's figure stands for what its contracts agree;
counted from the day after the confirmation to 24:00 (Asia/Shanghai) of the last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.payment_models import PaymentSetting
from services.contracts.schemas import PaymentMode, PaymentSettingIn, PaymentSettingOut
from services.kit.audit import Actor, record

DEFAULT_MODE = PaymentMode.treasury
DEFAULT_DAYS = 30  # 保障中小企业款项支付条例 art. 8
MAX_DAYS = 60  # ibid.: by agreement, at most 60


@dataclass(frozen=True)
class Terms:
    mode: PaymentMode
    payment_days: int


async def _row(session: AsyncSession, tenant: str, *, lock: bool = False) -> PaymentSetting | None:
    query = select(PaymentSetting).where(PaymentSetting.tenant_id == tenant)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def terms(session: AsyncSession, tenant: str) -> Terms:
    """The region's mode and payment days; the defaults when finance set nothing."""
    row = await _row(session, tenant)
    if row is None:
        return Terms(DEFAULT_MODE, DEFAULT_DAYS)
    return Terms(PaymentMode(row.mode), row.payment_days)


async def view(session: AsyncSession, tenant: str) -> PaymentSettingOut:
    row = await _row(session, tenant)
    if row is None:
        return PaymentSettingOut(
            tenant_id=tenant,
            mode=DEFAULT_MODE,
            payment_days=DEFAULT_DAYS,
            updated_at=None,
            updated_by=None,
        )
    return PaymentSettingOut(
        tenant_id=tenant,
        mode=PaymentMode(row.mode),
        payment_days=row.payment_days,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


async def replace(session: AsyncSession, actor: Actor, data: PaymentSettingIn) -> PaymentSettingOut:
    """Set the region's mode and payment days. Requests already filed keep the mode they were
    filed under; confirmations from now on count the new days."""
    # The schema bounds payment_days to 1..MAX_DAYS (a 422 naming the field); the table's
    # CHECK holds the same rule. The defaults become a row first, so that two first settings
    # at once meet on its lock instead of on the primary key.
    await session.execute(
        insert(PaymentSetting)
        .values(tenant_id=actor.tenant, mode=DEFAULT_MODE.value, payment_days=DEFAULT_DAYS)
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    row = await _row(session, actor.tenant, lock=True)
    assert row is not None
    before = {"mode": row.mode, "payment_days": row.payment_days}
    now = datetime.now(UTC)
    row.mode = data.mode.value
    row.payment_days = data.payment_days
    row.updated_at = now
    row.updated_by = actor.user_id
    await session.flush()
    await record(
        session,
        actor,
        "contract_payment_setting.replaced",
        "contract_payment_setting",
        actor.tenant,
        before=before,
        after={"mode": row.mode, "payment_days": row.payment_days},
    )
    return await view(session, actor.tenant)
