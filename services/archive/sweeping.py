"""The chronograph's sweep: an archive for every project completed and every procurement that
failed or was cancelled lately, in every region.

The candidates are read through the narrow ``sws_archive_clock`` role (ids, statuses and times
only, migration 0028); each is then asked for in its own region's context, where the request
is idempotent per project state, so a sweep that sees a project again starts nothing new. The
window is a day: the sweep runs every few minutes, so a day covers any outage of the
chronograph shorter than that.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.archive.requests import request_archive
from services.archive.schemas import Trigger
from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.planning import service as planning
from services.tendering import service as tendering

log = structlog.get_logger(__name__)
WINDOW = timedelta(days=1)
BATCH = 500


async def sweep(session: AsyncSession, tenant: str | None, request_id: str | None) -> int:
    """Ask for every due archive; how many builds were queued."""
    since = datetime.now(UTC) - WINDOW
    await session.execute(text("SET LOCAL ROLE sws_archive_clock"))
    completed = await planning.completed_projects(session, since, BATCH)
    ended = await tendering.ended_procurements(session, since, BATCH)
    await session.execute(text("RESET ROLE"))
    due = {key: Trigger.completed for key in completed}
    for key in ended:
        due.setdefault(key, Trigger.procurement_ended)
    queued = 0
    for (region, project_id), trigger in sorted(due.items()):
        await bind_tenant(session, region)
        actor = Actor(user_id=None, tenant=region, request_id=request_id)
        _, started = await request_archive(session, actor, project_id, trigger)
        if started:
            queued += 1
            log.info("archive_queued_by_sweep", tenant=region, project_id=str(project_id))
    await bind_tenant(session, tenant or PLATFORM_TENANT)
    return queued
