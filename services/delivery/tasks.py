"""Delivery's jobs. Each step keeps its own block."""

from __future__ import annotations

from typing import Any

import structlog

from services.delivery import evaluation_clock
from services.kit.jobs import JobContext, job

log = structlog.get_logger(__name__)

# --- third-party evaluation --------------------------------------------------------------------

EVALUATION_SWEEP = "delivery.evaluation_sweep"


@job(EVALUATION_SWEEP)
async def evaluation_sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: each follow-up opens once (its parent is marked as it goes)."""
    opened = await evaluation_clock.sweep(ctx.session, ctx.tenant, ctx.request_id)
    if opened:
        log.info("evaluation_follow_ups_opened", opened=opened)
