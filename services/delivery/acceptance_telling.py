"""Whom acceptance tells: the provider's administrators and the region's bureaus by role."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.delivery.acceptance_models import Acceptance
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.notifications import service as notifications
from services.notifications.service import EventType
from services.tenancy import service as tenancy

RESULT_NAMES = {"pass": "合格", "fail": "不合格"}


async def tell(
    session: AsyncSession,
    actor: Actor,
    acceptance: Acceptance,
    event: EventType,
    *,
    roles: tuple[Role, ...],
    extra: Mapping[str, object] | None = None,
) -> None:
    """Tell whoever holds ``roles`` in the region and the provider's administrators."""
    recipients = await tenancy.holders(session, acceptance.tenant_id, roles)
    recipients += await tenancy.provider_admins(session, acceptance.provider_id)
    if not recipients:
        return
    brief = await contracts.contract_brief(session, acceptance.tenant_id, acceptance.contract_id)
    assert brief is not None  # an acceptance's contract stays
    result = acceptance.result or ""
    await notifications.notify(
        session,
        actor,
        event_type=event.name,
        recipients=list(dict.fromkeys(recipients)),
        context={
            "tenant_name": (await tenancy.get_tenant(session, acceptance.tenant_id)).name,
            "title": brief.title,
            "contract_id": acceptance.contract_id,
            "acceptance_id": acceptance.id,
            "round": acceptance.round,
            "result": result,
            "result_name": RESULT_NAMES.get(result, result),
            **(extra or {}),
        },
        tenant=acceptance.tenant_id,
    )
