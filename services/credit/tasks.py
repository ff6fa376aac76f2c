"""The cross-region check after a disqualification is confirmed or revoked.

``credit.provider_bars_changed`` runs in the recording region's context (its outbox row is
that region's). Through the narrow functions it finds the regions where the provider has
applied or is registered, and for each one the record reaches it binds the transaction to
that region — as a request there would be — asks ``credit_bars`` whether a bar applies there
now, tells that region's civil affairs and calls the bar listeners. Last, back in the
recording region, it tells the provider's administrators once. Everything commits with the
claim of the job's message key, so a second delivery does nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import disqualifications, events, reader, repository, rules
from services.credit.disqualifications import BARS_CHANGED_JOB, QUEUE
from services.credit.listeners import BarChange, Change, announce
from services.credit.models import Disqualification
from services.credit.schemas import Ground, Scope, Status
from services.identity import service as identity
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.db import bind_tenant
from services.kit.jobs import JobContext, job
from services.notifications import service as notifications
from services.tenancy import service as tenancy

log = structlog.get_logger(__name__)
CIVIL_AFFAIRS = (Role.civil_affairs_officer, Role.civil_affairs_approver)


@job(BARS_CHANGED_JOB, queue_name=QUEUE)
async def provider_bars_changed(ctx: JobContext, payload: dict[str, Any]) -> None:
    session = ctx.session
    found = await repository.get(session, ctx.tenant, uuid.UUID(payload["disqualification_id"]))
    if found is None:
        log.warning("disqualification_missing", **payload)
        return
    change = Change.barred if payload["status"] == Status.confirmed else Change.lifted
    if change is Change.barred and found.status != Status.confirmed:
        # Revoked before this ran: the revocation's own job tells the same people.
        log.info("disqualification_no_longer_confirmed", status=found.status)
        return
    context = await disqualifications.message_context(session, found)
    event = events.PROVIDER_BARRED if change is Change.barred else events.PROVIDER_BAR_LIFTED
    reached: list[tuple[str, str]] = []
    still_barred_anywhere = False
    for region in await reader.regions(session, found.provider_id):
        if not rules.applies_in(found.tenant_id, Scope(found.scope), region):
            continue
        await bind_tenant(session, region)
        barred_now = bool(await reader.bars(session, found.provider_id, region, rules.today()))
        still_barred_anywhere |= barred_now
        region_name = (await tenancy.get_tenant(session, region)).name
        reached.append((region, region_name))
        await _tell_civil_affairs(
            ctx, session, region, region_name, event.name, context, barred_now
        )
        await announce(session, _bar_change(found, region, change, barred_now))
    await bind_tenant(session, ctx.tenant)
    admins = await identity.provider_users(session, found.provider_id, Role.provider_admin)
    if admins and reached:
        await notifications.notify(
            session,
            ctx.actor,
            event_type=event.name,
            recipients=[admin.id for admin in admins],
            context={
                **context,
                "applies_in": "、".join(name for _, name in reached),
                "still_barred": still_barred_anywhere,
                "regions": [code for code, _ in reached],
            },
            tenant=ctx.tenant,
        )
    log.info(
        "provider_bars_changed",
        change=change.value,
        provider_id=str(found.provider_id),
        regions=[code for code, _ in reached],
    )


async def _tell_civil_affairs(
    ctx: JobContext,
    session: AsyncSession,
    region: str,
    region_name: str,
    event_type: str,
    context: dict[str, Any],
    barred_now: bool,
) -> None:
    recipients = await tenancy.holders(session, region, CIVIL_AFFAIRS)
    if not recipients:
        return
    await notifications.notify(
        session,
        Actor(None, region, ctx.request_id),
        event_type=event_type,
        recipients=recipients,
        context={
            **context,
            "tenant_name": region_name,
            "applies_in": region_name,
            "still_barred": barred_now,
            "barred_now": barred_now,
        },
        tenant=region,
    )


def _bar_change(
    found: Disqualification, region: str, change: Change, barred_now: bool
) -> BarChange:
    return BarChange(
        provider_id=found.provider_id,
        tenant=region,
        change=change,
        disqualification_id=found.id,
        source_tenant=found.tenant_id,
        scope=Scope(found.scope),
        starts_on=found.starts_on,
        ends_on=found.ends_on,
        barred_now=barred_now,
        ground=Ground(found.ground),
    )
