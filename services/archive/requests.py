"""Asking for a project's archive: idempotent per project state.

The state of a project's file is what its owners say it is now: the project's status, each
procurement's status, each contract's status and acceptance, and each contract's acceptance
rounds and evaluations with their states. Its SHA-256 keys the archive:
the same request again — twice by a user, by the sweep and a user, concurrently — finds the
same archive (queued, building or ready) and never starts a second build; a later state (a
procurement failed, then the project completed; an evaluation confirmed after the acceptance
completed the project) gets an archive of its own.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.archive import repository
from services.archive.models import ProjectArchive
from services.archive.schemas import ArchiveStatus, Trigger
from services.contracts import service as contracts
from services.delivery import service as delivery
from services.kit.audit import Actor, record
from services.kit.errors import NotFound
from services.kit.outbox import enqueue
from services.planning import service as planning
from services.tendering import service as tendering

BUILD_JOB = "archive.build"


async def state_key(session: AsyncSession, tenant: str, project_id: uuid.UUID) -> str | None:
    status = await planning.project_status(session, tenant, project_id)
    if status is None:
        return None
    procurements = await tendering.procurement_states(session, tenant, project_id)
    deals = await contracts.contracts_of_project(session, tenant, project_id)
    # An acceptance or evaluation reaches its end after the project completes (an evaluation
    # is confirmed later, a re-acceptance follows a fail): each state is a file of its own.
    rounds: list[list[str | None]] = []
    evaluations: list[list[str | None]] = []
    for c in deals:
        rounds += [
            [str(a.id), a.status, a.result]
            for a in await delivery.acceptances_of_contract(session, tenant, c.id)
        ]
        evaluations += [
            [str(e.id), e.status, e.grade]
            for e in await delivery.evaluations_of_contract(session, tenant, c.id)
        ]
    state = {
        "project": status,
        "procurements": sorted([str(pid), s] for pid, s in procurements),
        "contracts": sorted(
            [str(c.id), c.status.value, c.accepted_at.isoformat() if c.accepted_at else None]
            for c in deals
        ),
        "acceptances": sorted(rounds),
        "evaluations": sorted(evaluations),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def storage_key(tenant: str, archive_id: uuid.UUID) -> str:
    return f"archives/{tenant}/{archive_id}.zip"


async def request_archive(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, trigger: Trigger
) -> tuple[ProjectArchive, bool]:
    """The archive of the project as it stands, and whether this call queued a build: a new
    archive, or a failed one queued again. NotFound when the tenant has no such project."""
    tenant = actor.tenant
    key = await state_key(session, tenant, project_id)
    if key is None:
        raise NotFound("No such project.")
    archive_id = uuid.uuid4()
    inserted = await repository.insert_once(
        session,
        {
            "tenant_id": tenant,
            "id": archive_id,
            "project_id": project_id,
            "state_key": key,
            "trigger": trigger.value,
            "status": ArchiveStatus.queued.value,
            "requested_by": actor.user_id,
            "storage_key": storage_key(tenant, archive_id),
            "attempts": 0,
        },
    )
    archive = await repository.of_state(session, tenant, project_id, key)
    assert archive is not None  # inserted now, or by the request it conflicted with
    queue = inserted
    if not inserted and archive.status == ArchiveStatus.failed:
        archive.status = ArchiveStatus.queued.value
        queue = True
    if queue:
        await record(
            session,
            actor,
            "archive.requested",
            "archive",
            archive.id,
            after={"project_id": project_id, "trigger": trigger.value, "state_key": key},
        )
        await enqueue(session, actor, BUILD_JOB, {"archive_id": str(archive.id)}, batchable=False)
    return archive, queue
