"""The statistics job: one region-year recomputed (queued by the base tables' triggers)."""

from __future__ import annotations

from typing import Any

from services.kit.jobs import JobContext, job
from services.statistics.refresh import JOB, refresh


@job(JOB)
async def statistics_refresh(ctx: JobContext, payload: dict[str, Any]) -> None:
    year = payload["year"]
    assert isinstance(year, int)
    await refresh(ctx.session, ctx.tenant, year)
