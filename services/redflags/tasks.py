"""The red-flag jobs: the chronograph's sweep of dirty regions, and one region measured (see
services.redflags.sweep)."""

from __future__ import annotations

from typing import Any

import structlog

from services.kit.jobs import JobContext, job
from services.redflags import sweep as dirty
from services.redflags.measure import JOB, measure

log = structlog.get_logger(__name__)
SWEEP = dirty.SWEEP


@job(SWEEP)
async def red_flags_sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    queued = await dirty.sweep(ctx.session, ctx.request_id, ctx.tenant)
    if queued:
        log.info("red_flags_sweep_queued", queued=queued)


@job(JOB)
async def red_flags_measure(ctx: JobContext, payload: dict[str, Any]) -> None:
    await measure(ctx.session, ctx.tenant)
    marked_at = payload.get("marked_at")
    if isinstance(marked_at, str):
        await dirty.clear(ctx.session, ctx.tenant, marked_at)
