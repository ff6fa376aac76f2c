"""Whom progress reports tell, and what every such message names."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.service import ContractBrief
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.notifications import service as notifications
from services.notifications.service import EventType
from services.tenancy import service as tenancy

CIVIL_AFFAIRS = (Role.civil_affairs_officer, Role.civil_affairs_approver)


async def tell(
    session: AsyncSession,
    actor: Actor,
    contract: ContractBrief,
    event: EventType,
    *,
    period: str,
    due_at: datetime,
    roles: tuple[Role, ...] = (),
    provider: bool = False,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Tell whoever holds ``roles`` in the contract's region and, with ``provider``, the
    provider's administrators; nothing when nobody is there to tell."""
    recipients = await tenancy.holders(session, contract.tenant, roles) if roles else []
    if provider:
        recipients += await tenancy.provider_admins(session, contract.provider_id)
    if not recipients:
        return
    await notifications.notify(
        session,
        actor,
        event_type=event.name,
        recipients=list(dict.fromkeys(recipients)),
        context={
            "tenant_name": (await tenancy.get_tenant(session, contract.tenant)).name,
            "title": contract.title,
            "contract_id": contract.id,
            "provider": contract.provider_name or "",
            "period": period,
            "due_at": due_at,
            **(extra or {}),
        },
        tenant=contract.tenant,
    )
