"""Delivery's jobs, a block per sub-area (progress reports, …)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from services.delivery import report_clock
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.kit.jobs import JobContext, job

log = structlog.get_logger(__name__)

# --- progress reports ----------------------------------------------------------------------------

REPORTS_SWEEP = "delivery.reports_sweep"


@job(REPORTS_SWEEP)
async def reports_sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Reminds providers before a report is due and warns civil affairs once it is late.
    Safe to run twice: each message is marked on its period as it goes."""
    sent = await report_clock.sweep(ctx.session, datetime.now(UTC), ctx.request_id)
    await bind_tenant(ctx.session, ctx.tenant or PLATFORM_TENANT)
    if sent:
        log.info("delivery_reports_sweep_warned", sent=sent)
