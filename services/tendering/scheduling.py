"""What time moves: each procurement's opening is a delayed job; the chronograph's sweep
catches any that went missing and warns when the buyer is late.

The sweep reads every region's procurements through the narrow ``sws_tendering_clock``
role (ids, states and times only — migration 0008), then works in each region's own
transaction context.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor
from services.kit.outbox import enqueue
from services.tendering.models import Procurement

OPEN_BIDS = "tendering.open_bids"
SWEEP = "tendering.sweep"


async def schedule_opening(session: AsyncSession, actor: Actor, procurement: Procurement) -> None:
    """The opening job, due at the opening time; a moved time gets a job of its own."""
    delay = max(procurement.opening_at - datetime.now(UTC), timedelta(0))
    await enqueue(
        session,
        actor,
        OPEN_BIDS,
        {"procurement_id": str(procurement.id)},
        message_key=f"tendering-open:{procurement.id}:{procurement.opening_at.isoformat()}",
        delay=delay,
    )
