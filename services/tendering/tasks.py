"""Tendering's jobs: open the bids at their time, and the chronograph's sweep that opens any
whose job went missing, concludes awards whose challenge period ended, and warns (then
escalates to the region's administrator) when the buyer is late.

Each job reloads by id and is safe to run twice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import text

from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.kit.jobs import JobContext, job, job_settings
from services.kit.outbox import enqueue
from services.notifications import service as notifications
from services.tenancy import service as tenancy

# deadlines: its listener runs in tenancy's recount job, in this worker.
from services.tendering import challenges, deadlines, events, opening, procurements, rules
from services.tendering.scheduling import OPEN_BIDS, SWEEP
from services.tendering.schemas import Status

log = structlog.get_logger(__name__)
LISTENERS = (deadlines,)
WARN = "tendering.warn_overdue"
CONCLUDE = "tendering.conclude"
SWEEP_BATCH = 500

# Every region's procurements waiting on time, through the narrow sws_tendering_clock role.
WAITING = text(
    """
    SELECT tenant_id, id, status, opening_at, report_at, confirmed_at, result_published_at,
           challenge_answer_due, enquiry_answer_due, bid_security_due, warnings_sent
      FROM procurements
     WHERE status IN ('tendering', 'awaiting_confirmation', 'awarded', 'result_published',
                      'challenged', 'single_source_notice')
        OR bid_security_due IS NOT NULL
     ORDER BY tenant_id, id
     LIMIT :limit
    """
)


@job(OPEN_BIDS)
async def open_bids(ctx: JobContext, payload: dict[str, Any]) -> None:
    acted = await opening.open_bids(
        ctx.session, job_settings(), ctx.actor, uuid.UUID(payload["procurement_id"])
    )
    if not acted:
        log.info("tendering_open_not_due_or_done", **payload)


@job(CONCLUDE)
async def conclude(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The challenge period is over with nothing open: the award stands, for contracts."""
    procurement = await procurements.get(
        ctx.session, ctx.actor, uuid.UUID(payload["procurement_id"]), lock=True
    )
    if procurement.status != Status.result_published or procurement.result_published_at is None:
        return
    legal = await rules.rules_for(ctx.session, ctx.tenant)
    if not rules.challenge_period_over(legal, procurement.result_published_at, datetime.now(UTC)):
        return
    if await challenges.open_challenges(ctx.session, procurement):
        return
    await procurements.move(
        ctx.session, ctx.actor, procurement, Status.concluded, "质疑期满，结果确定"
    )


@job(WARN)
async def warn_overdue(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Tell the buyer a legal time has passed; the second warning also goes to the region's
    administrator (escalation)."""
    procurement = await procurements.get(
        ctx.session, ctx.actor, uuid.UUID(payload["procurement_id"]), lock=True
    )
    marker = payload["marker"]
    if marker in procurement.warnings_sent:
        return
    roles = [Role.civil_affairs_approver, Role.civil_affairs_officer]
    if payload.get("escalate"):
        roles.append(Role.tenant_admin)
    procurement.warnings_sent = [*procurement.warnings_sent, marker]
    await notifications.notify(
        ctx.session,
        ctx.actor,
        event_type=events.OVERDUE.name,
        recipients=await tenancy.holders(ctx.session, ctx.tenant, roles),
        context={
            **await procurements.context(ctx.session, ctx.actor, procurement),
            "step": payload["step"],
            "due": datetime.fromisoformat(payload["due"]),
        },
        tenant=ctx.tenant,
    )


def _late_step(row: Any, legal: rules.LegalRules) -> tuple[str | None, datetime | None]:
    """The buyer's step a waiting procurement is on, and when the law wants it done."""
    if row.status == Status.challenged:
        return "答复质疑", row.challenge_answer_due
    if row.status == Status.awaiting_confirmation and row.report_at is not None:
        return "确认中标人", rules.confirm_deadline(legal, row.report_at)
    if row.status == Status.awarded and row.confirmed_at is not None:
        return "发布结果公告", rules.result_notice_deadline(legal, row.confirmed_at)
    return None, None


# Questions the buyer answers while a procurement takes them (enquiries.py).
QUESTION_STEPS = {Status.tendering: "答复澄清问题", Status.single_source_notice: "答复单一来源异议"}


def _warning(
    row: Any, topic: str, step: str | None, due: datetime | None, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """A warning, once, when ``due`` has passed; again to the administrator a day later."""
    if step is None or due is None or now <= due:
        return []
    late_by_a_day = (now - due).total_seconds() > 86400
    marker = f"{topic}:{due.isoformat()}:{'escalated' if late_by_a_day else 'warned'}"
    if marker in (row.warnings_sent or []):
        return []
    payload = {
        "procurement_id": str(row.id),
        "step": step,
        "due": due.isoformat(),
        "marker": marker,
        "escalate": late_by_a_day,
    }
    return [(WARN, payload)]


def _due(row: Any, legal: rules.LegalRules, now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """The jobs a waiting procurement needs now: (job name, payload)."""
    # Bid securities owed back past their date (财政部令第87号 art. 38), whatever the status.
    securities = _warning(row, "bid_security", "退还投标保证金", row.bid_security_due, now)
    return securities + _due_by_status(row, legal, now)


def _due_by_status(
    row: Any, legal: rules.LegalRules, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    pid = str(row.id)
    if row.status == Status.tendering and row.opening_at <= now:
        return [(OPEN_BIDS, {"procurement_id": pid})]
    if row.status == Status.result_published and row.result_published_at is not None:
        if rules.challenge_period_over(legal, row.result_published_at, now):
            return [(CONCLUDE, {"procurement_id": pid})]
        return []
    step, due = _late_step(row, legal)
    jobs = _warning(row, row.status, step, due, now)
    question = QUESTION_STEPS.get(Status(row.status))
    return jobs + _warning(row, "enquiry", question, row.enquiry_answer_due, now)


@job(SWEEP)
async def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    session = ctx.session
    await session.execute(text("SET LOCAL ROLE sws_tendering_clock"))
    rows = (await session.execute(WAITING, {"limit": SWEEP_BATCH})).all()
    await session.execute(text("RESET ROLE"))
    now = datetime.now(UTC)
    tick = str(payload.get("tick") or now.isoformat())
    legal_of: dict[str, rules.LegalRules] = {}  # rows come ordered by region
    for row in rows:
        await bind_tenant(session, row.tenant_id)  # each job's outbox row is its region's
        if row.tenant_id not in legal_of:
            legal_of[row.tenant_id] = await rules.rules_for(session, row.tenant_id)
        legal = legal_of[row.tenant_id]
        for name, body in _due(row, legal, now):
            await enqueue(
                session,
                Actor(user_id=None, tenant=row.tenant_id, request_id=ctx.request_id),
                name,
                body,
                message_key=f"tendering-sweep:{name}:{row.id}:{body.get('marker') or tick}",
            )
    await bind_tenant(session, ctx.tenant or PLATFORM_TENANT)
