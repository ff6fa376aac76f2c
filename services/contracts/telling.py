"""Whom contracts tell, and what every message about a contract names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.models import Contract
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.notifications import service as notifications
from services.notifications.service import EventType
from services.tenancy import service as tenancy

CIVIL_AFFAIRS = (Role.civil_affairs_officer, Role.civil_affairs_approver)
FINANCE = (Role.finance_officer, Role.finance_approver)
ADMINISTRATOR = (Role.tenant_admin,)


async def context(session: AsyncSession, contract: Contract) -> dict[str, Any]:
    return {
        "tenant_name": (await tenancy.get_tenant(session, contract.tenant_id)).name,
        "title": contract.title,
        "ocid": contract.ocid,
        "contract_id": contract.id,
        "procurement_id": contract.procurement_id,
    }


async def tell(
    session: AsyncSession,
    actor: Actor,
    contract: Contract,
    event: EventType,
    *,
    roles: tuple[Role, ...] = (),
    provider: bool = False,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Tell whoever holds ``roles`` in the contract's region and, with ``provider``, the
    provider's administrators; nothing when nobody is there to tell."""
    recipients = await tenancy.holders(session, contract.tenant_id, roles) if roles else []
    if provider:
        recipients += await tenancy.provider_admins(session, contract.provider_id)
    if not recipients:
        return
    await notifications.notify(
        session,
        actor,
        event_type=event.name,
        recipients=list(dict.fromkeys(recipients)),
        context={**await context(session, contract), **(extra or {})},
        tenant=contract.tenant_id,
    )
