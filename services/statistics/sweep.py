"""The sweep: one ``statistics.refresh`` job per region-year marked dirty.

A change to a base table that matters marks its region-year in ``statistics_dirty`` (the
trigger of migration 0045), in the changing transaction: the mark commits with the change and
vanishes with its rollback, so no change is lost, and a burst of changes leaves one row whose
``marked_at`` is its latest mark's clock time. Every minute the chronograph runs this sweep,
which reads the marks through ``statistics_dirty_marks`` (owned by the NOLOGIN
``sws_statistics``: a region, a year and a time, never a base row) and queues one refresh per
mark, keyed by the mark's time: a sweep that runs again before the refresh queues the same key,
which runs once.

The refresh recomputes and replaces the region-year's rows, then deletes the mark only where
``marked_at <= `` the time it was queued for:

- a change committed before the refresh read the base tables is in what it wrote; its mark is
  no later than that time, or stays (and costs one more refresh, which writes the same rows);
- a change marked after the sweep read the row carries a later clock time, so its mark stays
  dirty for the next sweep;
- a change whose mark is still uncommitted holds the row's lock: the DELETE waits for it to
  commit, then reads the new ``marked_at`` again and leaves it.

Each refresh replaces what was there, never adds to it, so a refresh run twice (or one that
finds a change already counted) counts nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.kit.outbox import enqueue
from services.statistics.refresh import JOB

SWEEP = "statistics.sweep"
SWEEP_BATCH = 1000

_MARKS = text("SELECT tenant_id, fiscal_year, marked_at FROM statistics_dirty_marks(:limit)")
_CLEAR = text(
    "DELETE FROM statistics_dirty WHERE tenant_id = :tenant AND fiscal_year = :year"
    " AND marked_at <= CAST(:marked_at AS timestamptz)"
)


def refresh_key(tenant: str, year: int, marked_at: str) -> str:
    return f"{JOB}:{tenant}:{year}:{marked_at}"


async def sweep(session: AsyncSession, request_id: str | None, bound: str) -> int:
    """Queue a refresh for each dirty region-year (``bound``: the tenant to bind again after);
    the number queued."""
    marks = (await session.execute(_MARKS, {"limit": SWEEP_BATCH})).all()
    for mark in marks:
        await bind_tenant(session, mark.tenant_id)  # each job's outbox row is its region's
        marked_at = mark.marked_at.isoformat()
        await enqueue(
            session,
            Actor(user_id=None, tenant=mark.tenant_id, request_id=request_id),
            JOB,
            {"year": mark.fiscal_year, "marked_at": marked_at},
            message_key=refresh_key(mark.tenant_id, mark.fiscal_year, marked_at),
        )
    await bind_tenant(session, bound or PLATFORM_TENANT)
    return len(marks)


async def clear(session: AsyncSession, tenant: str, year: int, marked_at: str) -> None:
    """The mark the refresh was queued for, unless a later change marked it since."""
    await session.execute(
        _CLEAR, {"tenant": tenant, "year": year, "marked_at": datetime.fromisoformat(marked_at)}
    )
