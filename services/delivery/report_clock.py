"""What time moves for progress reports, in the delivery sweep: the provider's administrators
hear ``DUE_SOON_DAYS`` days before a report is due, and civil affairs once it is late with
nothing submitted. Each message goes once, marked on the period (``warnings_sent``); a period
already late before its reminder went gets only the warning.

The sweep reads every region's periods waiting on a report through the narrow
``sws_delivery_clock`` role (ids, due moments, markers and report counters only — migration
0024), then works in each region's own transaction context.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.contracts.service import ContractStatus
from services.delivery import report_events, report_telling
from services.delivery import report_repository as repository
from services.kit.audit import Actor
from services.kit.db import bind_tenant

DUE_SOON_DAYS = 3
BATCH = 500
DUE_SOON, LATE = "due_soon", "late"

WAITING = text(
    """
    SELECT p.tenant_id, p.contract_id, p.seq
      FROM delivery_report_periods p
      JOIN contracts c ON c.tenant_id = p.tenant_id AND c.id = p.contract_id
     WHERE c.status = 'signed'
       AND p.due_at < :warn_from
       AND NOT p.warnings_sent ? 'late'
       AND (p.due_at < :now OR NOT p.warnings_sent ? 'due_soon')
       AND NOT EXISTS (
             SELECT 1 FROM delivery_reports r
              WHERE r.tenant_id = p.tenant_id AND r.contract_id = p.contract_id
                AND r.period_seq = p.seq AND r.submissions > 0)
     ORDER BY p.tenant_id, p.contract_id, p.seq
     LIMIT :limit
    """
)


async def sweep(session: AsyncSession, now: datetime, request_id: str | None) -> int:
    """Send every reminder and warning that is due; how many went out. Leaves the session
    bound to the last region it worked in: the caller binds its own again."""
    if session.new or session.dirty or session.deleted:
        await session.flush()  # nothing of ours is written under the clock's role
    await session.execute(text("SET LOCAL ROLE sws_delivery_clock"))
    rows = (
        await session.execute(
            WAITING,
            {"now": now, "warn_from": now + timedelta(days=DUE_SOON_DAYS), "limit": BATCH},
        )
    ).all()
    await session.execute(text("RESET ROLE"))
    sent = 0
    for row in rows:
        await bind_tenant(session, row.tenant_id)
        period = await repository.period(
            session, row.tenant_id, row.contract_id, row.seq, lock=True
        )
        contract = await contracts.contract_brief(session, row.tenant_id, row.contract_id)
        if period is None or contract is None or contract.status is not ContractStatus.signed:
            continue  # changed since the clock read it
        submitted = [
            r
            for r in await repository.reports(session, row.tenant_id, row.contract_id)
            if r.period_seq == period.seq and r.submissions > 0
        ]
        if submitted:
            continue
        actor = Actor(user_id=None, tenant=row.tenant_id, request_id=request_id)
        if now > period.due_at:
            period.warnings_sent = [*period.warnings_sent, LATE]
            await report_telling.tell(
                session,
                actor,
                contract,
                report_events.REPORT_LATE,
                period=period.label,
                due_at=period.due_at,
                roles=report_telling.CIVIL_AFFAIRS,
            )
        else:
            period.warnings_sent = [*period.warnings_sent, DUE_SOON]
            await report_telling.tell(
                session,
                actor,
                contract,
                report_events.REPORT_DUE_SOON,
                period=period.label,
                due_at=period.due_at,
                provider=True,
            )
        sent += 1
        await session.flush()
    return sent
