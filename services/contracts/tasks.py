"""Contracts' jobs: draft the contract when tendering tells of an award notice."""

from __future__ import annotations

import uuid
from typing import Any

from services.contracts import drafting
from services.kit.jobs import JobContext, job
from services.tendering import service as tendering


@job(tendering.AWARD_NOTIFIED)
async def draft_from_award(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: the second run finds the contract drafted."""
    await drafting.draft_from_award(ctx.session, ctx.actor, uuid.UUID(payload["procurement_id"]))
