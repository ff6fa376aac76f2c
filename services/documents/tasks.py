"""The documents context's jobs: verify what was stored, open seals on time.

Each job reloads what it needs by id and is safe to run twice: verification only acts on a
version still pending, opening only on a seal still closed whose time has come.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import text

from services.documents import seals, verification
from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.kit.jobs import JobContext, job, job_settings
from services.kit.outbox import enqueue
from services.kit.storage import Storage, storage_for

log = structlog.get_logger(__name__)

VERIFY_VERSION = verification.VERIFY_JOB
OPEN_SEAL = seals.OPEN_SEAL_JOB
SWEEP_SEALS = seals.SWEEP_SEALS_JOB
SWEEP_BATCH = 500


def _storage() -> Storage:
    return storage_for(job_settings())


@job(VERIFY_VERSION)
async def verify_version(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Re-read a stored version and check its size and SHA-256 against the upload's."""
    await verification.verify_version(
        ctx.session,
        ctx.actor,
        _storage(),
        uuid.UUID(payload["document_id"]),
        int(payload["version"]),
    )


@job(OPEN_SEAL)
async def open_seal(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Open a procedure's seal at its time. Early (the time was moved later): nothing to do;
    the job of the new time, or the sweep, opens it."""
    opened = await seals.open_seal(
        ctx.session, ctx.actor, payload["object_type"], uuid.UUID(payload["object_id"])
    )
    if not opened:
        log.info("document_seal_not_due_or_open", **payload)


# Cross-tenant: seals due in every region, read through the narrow sws_seal_opener role,
# which may SELECT these columns of document_seals and nothing else (migration 0003).
DUE_SEALS = text(
    """
    SELECT tenant_id, object_type, object_id, sealed_until
      FROM document_seals
     WHERE released_at IS NULL AND sealed_until <= now()
       AND NOT opened_by_owner AND withheld_at IS NULL
     ORDER BY sealed_until
     LIMIT :limit
    """
)


@job(SWEEP_SEALS)
async def sweep_seals(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The chronograph's tick: an opening job for every seal past its time and still closed
    (its own job was lost, dead-lettered, or ran before a clock caught up)."""
    session = ctx.session
    await session.execute(text("SET LOCAL ROLE sws_seal_opener"))
    due = (await session.execute(DUE_SEALS, {"limit": SWEEP_BATCH})).all()
    await session.execute(text("RESET ROLE"))
    tick = str(payload.get("tick") or datetime.now().isoformat())
    for tenant, object_type, object_id, sealed_until in due:
        await bind_tenant(session, tenant)  # the outbox row is the seal's tenant's
        await enqueue(
            session,
            Actor(user_id=None, tenant=tenant, request_id=ctx.request_id),
            OPEN_SEAL,
            {"object_type": object_type, "object_id": str(object_id)},
            message_key=f"document-seal-sweep:{object_type}:{object_id}:{tick}",
        )
        log.warning(
            "document_seal_overdue",
            tenant=tenant,
            object_type=object_type,
            object_id=str(object_id),
            sealed_until=sealed_until.isoformat(),
        )
    await bind_tenant(session, ctx.tenant or PLATFORM_TENANT)
