"""HTTP routes of project archives (项目档案).

``POST /v1/tenants/{tenant}/projects/{project_id}/archives`` asks for the project's archive as
it stands: 202 with the archive, new or the one already made of the same state (idempotent).
``GET …/archives`` lists them, ``GET …/archives/{id}`` shows one with its progress and, once
ready, its manifest; ``GET …/archives/{id}/download`` gives a short-lived link (audited);
``POST …/archives/{id}/verify`` re-reads the stored zip against the manifest (audited).
The region's administrator and civil affairs use them; archives are kept (no delete).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery

from services.archive import reading, repository
from services.archive.requests import request_archive
from services.archive.schemas import ArchiveLink, ArchiveOut, ArchivePage, Trigger, VerificationOut
from services.archive.views import archive_out
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset
from services.kit.settings import Settings
from services.kit.storage import Storage, storage_for


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _storage(request: Request[Any, Any, Any]) -> Storage:
    return await asyncio.to_thread(storage_for, _settings(request))


class ProjectArchiveController(Controller):
    path = f"{TENANT_PATH}/projects/{{project_id:uuid}}/archives"
    tags = ["archive"]

    @post("/", opt={"permission": "archive:request"}, status_code=202)
    async def request(
        self, session: Session, actor: CurrentActor, project_id: FromPath[uuid.UUID]
    ) -> ArchiveOut:
        """Assemble the project's complete file into one zip: the same project state asked
        for again returns the archive already queued, building or ready."""
        archive, _ = await request_archive(session, actor, project_id, Trigger.requested)
        return archive_out(archive)


class ArchiveController(Controller):
    path = f"{TENANT_PATH}/archives"
    tags = ["archive"]

    @get("/", opt={"permission": "archive:read"})
    async def list_archives(
        self,
        session: Session,
        actor: CurrentActor,
        project_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> ArchivePage:
        """The region's archives, newest first; ``project_id`` narrows to one project."""
        rows, total = await repository.page(session, actor.tenant, project_id, limit, offset)
        return ArchivePage([archive_out(a) for a in rows], limit, offset, total)

    @get("/{archive_id:uuid}", opt={"permission": "archive:read"})
    async def read(
        self, session: Session, actor: CurrentActor, archive_id: FromPath[uuid.UUID]
    ) -> ArchiveOut:
        """Status, percentage and files done while it builds; the manifest once ready."""
        archive = await reading.get(session, actor.tenant, archive_id)
        return archive_out(archive, with_manifest=True)

    @get("/{archive_id:uuid}/download", opt={"permission": "archive:download"})
    async def download(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        archive_id: FromPath[uuid.UUID],
    ) -> ArchiveLink:
        """A short-lived link to the zip; each one given is written to the audit chain."""
        return await reading.download_link(
            session, _settings(request), await _storage(request), actor, archive_id
        )

    @post("/{archive_id:uuid}/verify", opt={"permission": "archive:verify"}, status_code=200)
    async def verify(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        archive_id: FromPath[uuid.UUID],
    ) -> VerificationOut:
        """Re-read the stored zip and check every file's SHA-256 against the manifest; the
        first file that differs is named."""
        return await reading.verify(session, await _storage(request), actor, archive_id)
