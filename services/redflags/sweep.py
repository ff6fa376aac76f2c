"""The sweep: one ``redflags.measure`` job per region marked dirty (the statistics' design,
services.statistics.sweep, with a region for a region-year).

A release written or a payment changed marks its region in ``red_flags_dirty`` in the changing
transaction (the triggers of migration 0046). An unpaid payment turns late by the passing of
time, which no transaction marks: so the sweep first marks the regions holding an unpaid
payment whose last day to pay is over and that were not measured since it ended, nor yet
today (``red_flags_mark_overdue``). That is once when a due date passes and once a day after
while the payment stays unpaid (its days late grow by one a day), in those regions only —
rather than every region once a day, which would measure thousands of regions for nothing.

Each job is keyed by its mark's time, so a sweep run again before the job queues the same key.
The job deletes the mark only where ``marked_at <=`` that time: a change marked since stays
dirty for the next sweep.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.kit.outbox import enqueue
from services.redflags.measure import JOB

SWEEP = "redflags.sweep"
SWEEP_BATCH = 1000

_OVERDUE = text("SELECT red_flags_mark_overdue()")
_MARKS = text("SELECT tenant_id, marked_at FROM red_flags_dirty_marks(:limit)")
_CLEAR = text(
    "DELETE FROM red_flags_dirty WHERE tenant_id = :tenant"
    " AND marked_at <= CAST(:marked_at AS timestamptz)"
)


def measure_key(tenant: str, marked_at: str) -> str:
    return f"{JOB}:{tenant}:{marked_at}"


async def sweep(session: AsyncSession, request_id: str | None, bound: str) -> int:
    """Mark the regions a passed due date made stale, then queue a measure for each dirty
    region (``bound``: the tenant to bind again after); the number queued."""
    await session.execute(_OVERDUE)
    marks = (await session.execute(_MARKS, {"limit": SWEEP_BATCH})).all()
    for mark in marks:
        await bind_tenant(session, mark.tenant_id)  # each job's outbox row is its region's
        marked_at = mark.marked_at.isoformat()
        await enqueue(
            session,
            Actor(user_id=None, tenant=mark.tenant_id, request_id=request_id),
            JOB,
            {"marked_at": marked_at},
            message_key=measure_key(mark.tenant_id, marked_at),
        )
    await bind_tenant(session, bound or PLATFORM_TENANT)
    return len(marks)


async def clear(session: AsyncSession, tenant: str, marked_at: str) -> None:
    """The mark the measure was queued for, unless a later change marked it since."""
    await session.execute(
        _CLEAR, {"tenant": tenant, "marked_at": datetime.fromisoformat(marked_at)}
    )
