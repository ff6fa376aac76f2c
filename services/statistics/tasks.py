"""The statistics jobs: the chronograph's sweep of dirty region-years, and one region-year
recomputed (see services.statistics.sweep)."""

from __future__ import annotations

from typing import Any

import structlog

from services.kit.jobs import JobContext, job
from services.statistics import sweep as dirty
from services.statistics.refresh import JOB, refresh

log = structlog.get_logger(__name__)
SWEEP = dirty.SWEEP


@job(SWEEP)
async def statistics_sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    queued = await dirty.sweep(ctx.session, ctx.request_id, ctx.tenant)
    if queued:
        log.info("statistics_sweep_queued", queued=queued)


@job(JOB)
async def statistics_refresh(ctx: JobContext, payload: dict[str, Any]) -> None:
    year = payload["year"]
    assert isinstance(year, int)
    await refresh(ctx.session, ctx.tenant, year)
    marked_at = payload.get("marked_at")
    if isinstance(marked_at, str):
        await dirty.clear(ctx.session, ctx.tenant, year, marked_at)
