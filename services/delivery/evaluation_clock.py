"""What time moves for third-party evaluation: the chronograph's sweep opens each follow-up
evaluation once its months have run (see ``evaluation_rules.follow_up_due``) and tells the
evaluator and the region's civil affairs. Each opens once: the parent's row is locked and
marked, and a unique index allows one follow-up per evaluation.

The sweep finds them in every region through the narrow ``sws_evaluation_clock`` role (ids,
states and the moment only — migration 0027), then works in each region's own context.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import evaluations
from services.delivery.evaluation_models import Evaluation
from services.delivery.evaluation_schemas import EvaluationKind, EvaluationStatus
from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, bind_tenant

BATCH = 500

DUE = text(
    """
    SELECT tenant_id, id
      FROM evaluations
     WHERE kind = 'final' AND status = 'confirmed'
       AND follow_up_due_at <= :now AND follow_up_opened_at IS NULL
     ORDER BY tenant_id, id
     LIMIT :limit
    """
)


async def sweep(session: AsyncSession, tenant: str | None, request_id: str | None) -> int:
    """Open every follow-up evaluation that is due; how many opened."""
    now = datetime.now(UTC)
    await session.execute(text("SET LOCAL ROLE sws_evaluation_clock"))
    rows = (await session.execute(DUE, {"now": now, "limit": BATCH})).all()
    await session.execute(text("RESET ROLE"))
    opened = 0
    for row in rows:
        await bind_tenant(session, row.tenant_id)
        parent = await session.scalar(
            select(Evaluation)
            .where(Evaluation.tenant_id == row.tenant_id, Evaluation.id == row.id)
            .with_for_update()
        )
        if (
            parent is None
            or parent.kind != EvaluationKind.final
            or parent.status != EvaluationStatus.confirmed
            or parent.follow_up_opened_at is not None
            or parent.follow_up_due_at is None
            or parent.follow_up_due_at > now
        ):
            continue  # another sweep got there first
        actor = Actor(user_id=None, tenant=row.tenant_id, request_id=request_id)
        await evaluations.open_follow_up(session, actor, parent)
        opened += 1
    await bind_tenant(session, tenant or PLATFORM_TENANT)
    return opened
