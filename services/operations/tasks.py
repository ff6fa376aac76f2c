"""Housekeeping of the job machinery: delivered outbox rows and old processed keys go.

Across every region, as the narrow ``sws_janitor`` role (migration 0011), whose policies admit
only rows older than a floor; a run deletes at most PURGE_BATCH rows of each table, so its
transaction stays short, and the hourly tick catches up on a backlog.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import text

from services.kit.jobs import JobContext, job

log = structlog.get_logger(__name__)

PURGE_DELIVERED = "operations.purge_delivered"
# A sent row is only history once relayed; a key must outlive any redelivery of its message.
KEEP_SENT = timedelta(days=7)
KEEP_PROCESSED = timedelta(days=30)
PURGE_BATCH = 10_000

_PURGE_SENT = text(
    """
    DELETE FROM outbox WHERE (tenant_id, id) IN (
      SELECT tenant_id, id FROM outbox
       WHERE sent_at < now() - make_interval(secs => :keep) LIMIT :limit)
    """
)
_PURGE_PROCESSED = text(
    """
    DELETE FROM processed_messages WHERE (tenant_id, message_key) IN (
      SELECT tenant_id, message_key FROM processed_messages
       WHERE processed_at < now() - make_interval(secs => :keep) LIMIT :limit)
    """
)


@job(PURGE_DELIVERED)
async def purge_delivered(ctx: JobContext, payload: dict[str, Any]) -> None:
    session = ctx.session
    await session.execute(text("SET LOCAL ROLE sws_janitor"))
    sent = await session.execute(
        _PURGE_SENT, {"keep": KEEP_SENT.total_seconds(), "limit": PURGE_BATCH}
    )
    processed = await session.execute(
        _PURGE_PROCESSED, {"keep": KEEP_PROCESSED.total_seconds(), "limit": PURGE_BATCH}
    )
    await session.execute(text("RESET ROLE"))
    log.info(
        "purged_delivered",
        outbox_rows=sent.rowcount,  # type: ignore[attr-defined]
        processed_keys=processed.rowcount,  # type: ignore[attr-defined]
    )
