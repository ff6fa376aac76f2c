"""What time moves for contracts: the chronograph's sweep warns the buyer when the 30 days to
sign are running out, escalates to the region's administrator once they are passed
(政府采购法 art. 46), and warns when the public notice (2 working days, 实施条例 art. 50) or the
filing with finance (7 working days, 政府采购法 art. 47) is late; and, for payments, before and
after a confirmed payment's last day to pay and when an instalment's day passed with nothing
asked for it (services.contracts.payment_clock). Each warning goes once.

The sweep reads every region's contracts through the narrow ``sws_contracts_clock`` role (ids,
states and times only — migration 0019), then works in each region's own transaction context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import events, payment_clock, repository, telling
from services.contracts.models import Contract
from services.contracts.schemas import ContractStatus
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.notifications.service import EventType

# The buyer hears this many days before the last day to sign.
SIGN_WARNING_DAYS = 5
BATCH = 500


@dataclass(frozen=True)
class Reminder:
    marker: str  # kept on the contract once sent
    event: EventType
    roles: tuple[Role, ...]
    extra: Mapping[str, object]


WAITING = text(
    """
    SELECT tenant_id, id
      FROM contracts
     WHERE (status IN ('drafting', 'signing') AND sign_by < :warn_from
            AND NOT warnings_sent ? 'sign_overdue')
        OR (status = 'signed' AND published_at IS NULL AND publish_by < :now
            AND NOT warnings_sent ? 'publication_late')
        OR (status = 'signed' AND filed_at IS NULL AND file_by < :now
            AND NOT warnings_sent ? 'filing_late')
     ORDER BY tenant_id, id
     LIMIT :limit
    """
)


async def sweep(session: AsyncSession, tenant: str | None, request_id: str | None) -> int:
    """Send every warning that is due; how many went out."""
    now = datetime.now(UTC)
    await session.execute(text("SET LOCAL ROLE sws_contracts_clock"))
    rows = (
        await session.execute(
            WAITING,
            {"now": now, "warn_from": now + timedelta(days=SIGN_WARNING_DAYS), "limit": BATCH},
        )
    ).all()
    await session.execute(text("RESET ROLE"))
    sent = 0
    for row in rows:
        await bind_tenant(session, row.tenant_id)
        contract = await repository.contract(session, row.tenant_id, row.id, lock=True)
        if contract is None:  # pragma: no cover - contracts are never deleted
            continue
        actor = Actor(user_id=None, tenant=row.tenant_id, request_id=request_id)
        for warning in _due(contract, now):
            if warning.marker in contract.warnings_sent:
                continue
            contract.warnings_sent = [*contract.warnings_sent, warning.marker]
            await telling.tell(
                session, actor, contract, warning.event, roles=warning.roles, extra=warning.extra
            )
            sent += 1
        await session.flush()
    # Payments owed and instalments not asked for: their own lists, their own markers.
    sent += await payment_clock.sweep(session, now, request_id)
    await bind_tenant(session, tenant or PLATFORM_TENANT)
    return sent


def _due(contract: Contract, now: datetime) -> list[Reminder]:
    due: list[Reminder] = []
    status = ContractStatus(contract.status)
    if status in (ContractStatus.drafting, ContractStatus.signing):
        sign_by = {"sign_by": contract.sign_by}
        if now > contract.sign_by:
            roles = telling.ADMINISTRATOR + telling.CIVIL_AFFAIRS
            due.append(Reminder("sign_overdue", events.SIGN_OVERDUE, roles, sign_by))
        elif now > contract.sign_by - timedelta(days=SIGN_WARNING_DAYS):
            due.append(
                Reminder("sign_due_soon", events.SIGN_DUE_SOON, telling.CIVIL_AFFAIRS, sign_by)
            )
    if status is not ContractStatus.signed:
        return due
    if contract.published_at is None and contract.publish_by and now > contract.publish_by:
        due.append(
            Reminder(
                "publication_late",
                events.PUBLICATION_LATE,
                telling.CIVIL_AFFAIRS,
                {"publish_by": contract.publish_by},
            )
        )
    if contract.filed_at is None and contract.file_by and now > contract.file_by:
        due.append(
            Reminder(
                "filing_late",
                events.FILING_LATE,
                telling.CIVIL_AFFAIRS + telling.FINANCE,
                {"file_by": contract.file_by},
            )
        )
    return due
