"""Reading archives: the list, one archive, its download link and its verification. Every
download and verification is written to the audit chain (the file holds personal information
of service recipients: 个人信息保护法 art. 28)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.archive import repository, verification
from services.archive.errors import ArchiveNotReady
from services.archive.models import ProjectArchive
from services.archive.schemas import ArchiveLink, ArchiveStatus, DifferenceOut, VerificationOut
from services.kit.audit import Actor, record
from services.kit.errors import NotFound
from services.kit.settings import Settings
from services.kit.storage import Storage


async def get(session: AsyncSession, tenant: str, archive_id: uuid.UUID) -> ProjectArchive:
    found = await repository.get(session, tenant, archive_id)
    if found is None:
        raise NotFound("No such archive.")
    return found


def _ready(archive: ProjectArchive) -> dict[str, object]:
    if archive.status != ArchiveStatus.ready or archive.manifest is None:
        raise ArchiveNotReady(f"The archive is {archive.status}; it can be read once ready.")
    return archive.manifest


def filename(archive: ProjectArchive) -> str:
    return f"项目档案-{archive.project_id}-{archive.id}.zip"


async def download_link(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    actor: Actor,
    archive_id: uuid.UUID,
) -> ArchiveLink:
    archive = await get(session, actor.tenant, archive_id)
    _ready(archive)
    seconds = settings.document_url_seconds
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    name = filename(archive)
    url = storage.presigned_get(archive.storage_key, seconds, name, "application/zip")
    await record(
        session,
        actor,
        "archive.download",
        "archive",
        archive.id,
        after={"project_id": archive.project_id, "expires_at": expires_at},
    )
    assert archive.size is not None and archive.sha256 is not None
    return ArchiveLink(
        url=url, expires_at=expires_at, filename=name, size=archive.size, sha256=archive.sha256
    )


async def verify(
    session: AsyncSession, storage: Storage, actor: Actor, archive_id: uuid.UUID
) -> VerificationOut:
    """Re-read the stored zip and check every file against the manifest (audited)."""
    archive = await get(session, actor.tenant, archive_id)
    manifest = _ready(archive)
    report = await asyncio.to_thread(
        verification.verify_sync, storage, archive.storage_key, manifest, filename(archive)
    )
    difference = report.first_difference
    await record(
        session,
        actor,
        "archive.verified",
        "archive",
        archive.id,
        after={
            "ok": report.ok,
            "files_checked": report.files_checked,
            "first_difference": difference.path if difference else None,
        },
    )
    return VerificationOut(
        ok=report.ok,
        files_checked=report.files_checked,
        first_difference=DifferenceOut(difference.path, difference.reason) if difference else None,
    )
