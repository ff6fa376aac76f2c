"""Delivery's jobs: each part of delivery keeps its own block."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

# report_recount: its listener runs in tenancy's recount job, in this worker.
from services.delivery import evaluation_clock, rectification_clock, report_clock, report_recount
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.kit.jobs import JobContext, job

log = structlog.get_logger(__name__)
LISTENERS = (report_recount,)

# --- inspections and rectification ------------------------------------------------------------

RECTIFICATIONS_SWEEP = "delivery.rectifications_sweep"


@job(RECTIFICATIONS_SWEEP)
async def sweep_rectifications(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: each warning is marked on its rectification as it goes."""
    sent = await rectification_clock.sweep(ctx.session, ctx.tenant, ctx.request_id)
    if sent:
        log.info("rectifications_sweep_warned", sent=sent)


# --- third-party evaluation --------------------------------------------------------------------

EVALUATION_SWEEP = "delivery.evaluation_sweep"


@job(EVALUATION_SWEEP)
async def evaluation_sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: each follow-up opens once (its parent is marked as it goes)."""
    opened = await evaluation_clock.sweep(ctx.session, ctx.tenant, ctx.request_id)
    if opened:
        log.info("evaluation_follow_ups_opened", opened=opened)


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
