"""Contracts' jobs: draft the contract when tendering tells of an award notice, and the
chronograph's sweep of the contracts' deadlines."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

# calendar: its listener runs in tenancy's recount job, in this worker.
from services.contracts import calendar, clock, drafting
from services.kit.jobs import JobContext, job
from services.tendering import service as tendering

log = structlog.get_logger(__name__)
LISTENERS = (calendar,)
SWEEP = "contracts.sweep"


@job(tendering.AWARD_NOTIFIED)
async def draft_from_award(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: the second run finds the contract drafted."""
    await drafting.draft_from_award(ctx.session, ctx.actor, uuid.UUID(payload["procurement_id"]))


@job(SWEEP)
async def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: each warning is marked on its contract as it goes."""
    sent = await clock.sweep(ctx.session, ctx.tenant, ctx.request_id)
    if sent:
        log.info("contracts_sweep_warned", sent=sent)
