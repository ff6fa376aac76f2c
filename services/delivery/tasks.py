"""Delivery's jobs: each part of delivery keeps its own block."""

from __future__ import annotations

from typing import Any

import structlog

from services.delivery import rectification_clock
from services.kit.jobs import JobContext, job

log = structlog.get_logger(__name__)

# --- inspections and rectification ------------------------------------------------------------

RECTIFICATIONS_SWEEP = "delivery.rectifications_sweep"


@job(RECTIFICATIONS_SWEEP)
async def sweep_rectifications(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: each warning is marked on its rectification as it goes."""
    sent = await rectification_clock.sweep(ctx.session, ctx.tenant, ctx.request_id)
    if sent:
        log.info("rectifications_sweep_warned", sent=sent)
