"""The job that applies, in the county, a method decision its city's finance made
(method_approvals): bound to the county's tenant by ``dispatch_method_decision()``."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from services.kit.audit import Actor
from services.kit.errors import DomainError
from services.kit.jobs import JobContext, job
from services.kit.outbox import forget_notify
from services.tendering import procurements
from services.tendering.method_approvals import WAITING

log = structlog.get_logger(__name__)
APPLY = "tendering.apply_method_decision"


@job(APPLY)
async def apply_method_decision(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Move the county's procurement to approved (or back to draft) as the approving region's
    finance decided; nothing when it no longer waits (a replay, or cancelled meanwhile)."""
    procurement_id = uuid.UUID(payload["procurement_id"])
    decided_by = uuid.UUID(payload["decided_by"])
    region: str = payload["approving_region"]
    # The transition, the audit entry and the approval name the approving region's approver.
    actor = Actor(user_id=decided_by, tenant=ctx.tenant, request_id=ctx.request_id)
    procurement = await procurements.get(ctx.session, actor, procurement_id, lock=True)
    if procurement.status not in WAITING or procurement.approving_region != region:
        log.info("method_decision_not_waiting", status=procurement.status, **payload)
        return
    approve: bool = payload["approve"]
    note: str | None = payload["note"]
    try:
        async with ctx.session.begin_nested():
            await procurements.decide_approval(
                ctx.session, actor, procurement_id, approve, note, decided_in=region
            )
    except DomainError as refused:
        # What only the county's session can check (its credit bars) stopped the approval
        # after the decision: the method cannot stand, the draft comes back with the reason.
        log.warning("method_approval_not_applied", reason=refused.detail, **payload)
        forget_notify(ctx.session)
        await procurements.decide_approval(
            ctx.session,
            actor,
            procurement_id,
            False,
            f"{note or '同意'}——但批准未能生效：{refused.detail}",
            decided_in=region,
        )
