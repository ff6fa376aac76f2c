"""Whom rectifications tell, and what every message about one names."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.delivery.inspection_schemas import Bureau
from services.delivery.rectification_models import Rectification
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.notifications import service as notifications
from services.notifications.service import EventType
from services.tenancy import service as tenancy

CIVIL_AFFAIRS = (Role.civil_affairs_officer, Role.civil_affairs_approver)
FINANCE = (Role.finance_officer, Role.finance_approver)
BUREAU_ROLES: dict[Bureau, tuple[Role, ...]] = {
    Bureau.civil_affairs: CIVIL_AFFAIRS,
    Bureau.finance: FINANCE,
}


def checkers(bureau: Bureau) -> tuple[Role, ...]:
    """Who hears of an answer or a missed deadline: civil affairs always (it runs the
    contract), and finance too when the finding was finance's."""
    return CIVIL_AFFAIRS + (FINANCE if bureau is Bureau.finance else ())


async def tell(
    session: AsyncSession,
    actor: Actor,
    rectification: Rectification,
    event: EventType,
    *,
    roles: tuple[Role, ...] = (),
    provider: bool = False,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Tell whoever holds ``roles`` in the region and, with ``provider``, the provider's
    administrators; nothing when nobody is there to tell."""
    tenant = rectification.tenant_id
    recipients = await tenancy.holders(session, tenant, roles) if roles else []
    if provider:
        recipients += await tenancy.provider_admins(session, rectification.provider_id)
    if not recipients:
        return
    contract = await contracts.contract_brief(session, tenant, rectification.contract_id)
    await notifications.notify(
        session,
        actor,
        event_type=event.name,
        recipients=list(dict.fromkeys(recipients)),
        context={
            "tenant_name": (await tenancy.get_tenant(session, tenant)).name,
            "title": contract.title if contract else "",
            "contract_id": rectification.contract_id,
            "rectification_id": rectification.id,
            "finding": rectification.finding,
            "required_action": rectification.required_action,
            "due_on": rectification.due_on.isoformat(),
            **(extra or {}),
        },
        tenant=tenant,
    )
