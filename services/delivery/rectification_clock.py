"""What time moves for rectifications: the chronograph's sweep warns civil affairs (and
finance for its own inspections' findings) and the provider once when a rectification's
deadline — 24:00 Asia/Shanghai of its last day — has passed with no answer, and records it
as a credit fact of the provider (``rectification_overdue``).
``overdue_warned_for`` keeps the deadline that was warned about, so a reopening with a new
last day warns again when that one passes, and the same deadline never twice.

The sweep reads every region's open rectifications through the narrow ``sws_delivery_clock``
role (ids, state and deadlines only — migration 0026), then works in each region's own
transaction context.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import service as credit
from services.delivery import rectification_events as events
from services.delivery import rectification_telling as telling
from services.delivery import rectifications
from services.delivery.rectification_views import is_overdue
from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, bind_tenant

BATCH = 500

LATE = text(
    """
    SELECT tenant_id, id
      FROM rectifications
     WHERE status = 'open' AND due_at < :now
       AND overdue_warned_for IS DISTINCT FROM due_at
     ORDER BY tenant_id, due_at, id
     LIMIT :limit
    """
)


async def sweep(session: AsyncSession, tenant: str | None, request_id: str | None) -> int:
    """Send every overdue warning not sent yet; how many went out."""
    now = datetime.now(UTC)
    await session.execute(text("SET LOCAL ROLE sws_delivery_clock"))
    rows = (await session.execute(LATE, {"now": now, "limit": BATCH})).all()
    await session.execute(text("RESET ROLE"))
    sent = 0
    for row in rows:
        await bind_tenant(session, row.tenant_id)
        rectification = await rectifications.get(session, row.tenant_id, row.id, lock=True)
        # Answered or warned by another sweep since the list was read: nothing to send.
        if not is_overdue(rectification, now):
            continue
        if rectification.overdue_warned_for == rectification.due_at:
            continue
        rectification.overdue_warned_for = rectification.due_at
        bureau = await rectifications.checked_by(session, rectification)
        actor = Actor(user_id=None, tenant=row.tenant_id, request_id=request_id)
        await telling.tell(
            session,
            actor,
            rectification,
            events.RECTIFICATION_OVERDUE,
            roles=telling.checkers(bureau),
            provider=True,
        )
        # An unfinished rectification is a fact of the provider's record (结果运用): once per
        # rectification, however often it is reopened and missed again.
        await credit.record_fact(
            session,
            actor,
            provider_id=rectification.provider_id,
            kind="rectification_overdue",
            source_kind="rectification",
            source_id=rectification.id,
            summary=f"整改未在期限内完成（最后一日 {rectification.due_on.isoformat()}）",
            details={
                "due_on": rectification.due_on.isoformat(),
                "ordered_by": rectification.source_kind,
                "contract_id": str(rectification.contract_id),
            },
        )
        await session.flush()
        sent += 1
    await bind_tenant(session, tenant or PLATFORM_TENANT)
    return sent
