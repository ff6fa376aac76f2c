"""The jobs of a county's method approval by its city (method_approvals): one tells the
city's finance of a request filed with it, bound to the city by ``file_method_approval()``;
the other applies, in the county, the decision the city's finance made, bound to the county's
tenant by ``dispatch_method_decision()``."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.errors import DomainError
from services.kit.jobs import JobContext, job
from services.kit.money import text
from services.kit.outbox import forget_notify
from services.notifications import service as notifications
from services.tenancy import service as tenancy
from services.tendering import events, procurements
from services.tendering.method_approval_models import MethodApprovalRequest
from services.tendering.method_approvals import WAITING

log = structlog.get_logger(__name__)
APPLY = "tendering.apply_method_decision"
FILED = "tendering.method_approval_filed"


@job(FILED)
async def tell_approving_finance(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Tell the approving region's finance that a request waits for it (the job's message
    key, one per request, makes it tell once)."""
    request = await ctx.session.get(
        MethodApprovalRequest, (ctx.tenant, uuid.UUID(payload["request_id"]))
    )
    if request is None or request.status != "pending":
        return
    actor = Actor(user_id=None, tenant=ctx.tenant, request_id=ctx.request_id)
    roles = (Role.finance_officer, Role.finance_approver)
    await notifications.notify(
        ctx.session,
        actor,
        event_type=events.METHOD_APPROVAL_FILED.name,
        recipients=await tenancy.holders(ctx.session, ctx.tenant, roles),
        context={
            "tenant_name": (await tenancy.get_tenant(ctx.session, ctx.tenant)).name,
            "county_name": request.county_name,
            "title": request.title,
            "method": request.method,
            "budget": text(request.budget_amount),
            "request_id": str(request.id),
        },
        tenant=ctx.tenant,
    )


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
