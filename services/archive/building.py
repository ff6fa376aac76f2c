"""Building an archive: assemble the project's file, stream it as one zip into the document
store, and record its manifest.

The build runs in the job's transaction for what it reads, and records its progress in short
transactions of its own (status, files and bytes done, the multipart upload under way), so a
reader sees it move while the job's own transaction is still open. A build killed mid-way
leaves its archive ``building`` with the id of its multipart upload; the job is delivered
again, aborts that upload and starts over. A build that raises is marked ``failed`` with the
error and raised again, so the worker retries it; a retry starts over the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.archive import manifest as manifests
from services.archive.models import ProjectArchive
from services.archive.schemas import TRANSITIONS, ArchiveStatus
from services.archive.sections import JsonMember, Member, StoredMember, Subject, assemble
from services.archive.zipping import DEFLATED, STORED, PartSink, member_info
from services.documents import service as documents
from services.kit import audit
from services.kit.audit import Actor, record
from services.kit.db import transaction
from services.kit.settings import Settings
from services.kit.storage import MultipartUpload, ObjectMissing, Storage

log = structlog.get_logger(__name__)

# Parts sent at once while the next is being filled: the store's latency overlaps the reads.
PARTS_IN_FLIGHT = 2
# Progress is written at most this often (and at the end).
PROGRESS_SECONDS = 1.0


def _move(archive: ProjectArchive, to: ArchiveStatus) -> None:
    current = ArchiveStatus(archive.status)
    if (current, to) not in TRANSITIONS:
        raise RuntimeError(f"archive {archive.id}: {current} -> {to} is not a transition")
    archive.status = to


async def _locked(session: AsyncSession, tenant: str, archive_id: uuid.UUID) -> ProjectArchive:
    found = await session.scalar(
        select(ProjectArchive)
        .where(ProjectArchive.tenant_id == tenant, ProjectArchive.id == archive_id)
        .with_for_update()
    )
    if found is None:
        raise LookupError(f"no archive {archive_id} in {tenant}")
    return found


class Progress:
    """Writes the build's progress in transactions of its own, at most once a second."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], tenant: str, archive_id: uuid.UUID
    ) -> None:
        self.sessions = sessions
        self._tenant = tenant
        self._id = archive_id
        self._last = 0.0
        self.files_done = 0
        self.bytes_done = 0
        self.bytes_total = 0

    async def update(self, *, force: bool = False, **values: Any) -> None:
        now = time.monotonic()
        if not force and not values and now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        async with transaction(self.sessions, self._tenant) as session:
            archive = await _locked(session, self._tenant, self._id)
            archive.files_done = self.files_done
            archive.bytes_done = self.bytes_done
            total = max(self.bytes_total, 1)
            # 100 only once the zip is stored and its manifest recorded.
            archive.percent = min(99, self.bytes_done * 100 // total)
            archive.updated_at = datetime.now(UTC)
            for key, value in values.items():
                setattr(archive, key, value)


async def _member_chunks(
    session: AsyncSession, settings: Settings, storage: Storage, member: Member
) -> AsyncIterator[bytes]:
    if isinstance(member, JsonMember):
        yield member.data
        return
    async for chunk in await documents.read_filed(session, settings, storage, member.filed):
        yield chunk


async def build(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    storage: Storage,
    tenant: str,
    archive_id: uuid.UUID,
    request_id: str | None = None,
) -> bool:
    """Build the archive unless it is ready; True when this call built it."""
    actor = Actor(user_id=None, tenant=tenant, request_id=request_id)
    async with transaction(sessions, tenant) as own:
        archive = await _locked(own, tenant, archive_id)
        if archive.status == ArchiveStatus.ready:
            return False
        stale = archive.upload_id
        _move(archive, ArchiveStatus.building)
        archive.attempts += 1
        archive.started_at = datetime.now(UTC)
        archive.upload_id = None
        archive.error = None
        archive.files_done = archive.bytes_done = archive.percent = 0
        project_id, key = archive.project_id, archive.storage_key
    if stale:
        # The upload of a build that died mid-way: its parts are dropped, never completed.
        try:
            await MultipartUpload(storage, key, stale).abort()
        except ObjectMissing:
            pass  # aborted already, or expired by the store
        log.info("archive_stale_upload_aborted", archive_id=str(archive_id))
    progress = Progress(sessions, tenant, archive_id)
    try:
        await _stream(session, settings, storage, progress, actor, archive_id, project_id, key)
    except Exception as exc:
        async with transaction(sessions, tenant) as own:
            archive = await _locked(own, tenant, archive_id)
            _move(archive, ArchiveStatus.failed)
            archive.error = f"{type(exc).__name__}: {exc}"[:2000]
            archive.updated_at = datetime.now(UTC)
            await record(
                own, actor, "archive.failed", "archive", archive_id, after={"error": archive.error}
            )
        raise
    return True


async def _stream(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    progress: Progress,
    actor: Actor,
    archive_id: uuid.UUID,
    project_id: uuid.UUID,
    key: str,
) -> None:
    tenant = actor.tenant
    head = await audit.chain_head(session, tenant)
    subject = Subject(tenant, project_id, head)
    members = await assemble(session, subject)
    progress.bytes_total = sum(m.size for m in members)
    upload = await storage.start_multipart(key, "application/zip")
    await progress.update(
        force=True,
        upload_id=upload.upload_id,
        files_total=len(members),
        bytes_total=progress.bytes_total,
        audit_seq=head.seq,
        audit_hash=head.hash,
    )
    manifest_of = partial(manifests.build, archive_id, project_id, head)
    written = await write_zip(
        upload,
        members,
        partial(_member_chunks, session, settings, storage),
        manifest_of,
        progress,
    )
    entries, manifest = written.entries, written.manifest
    async with transaction(progress.sessions, tenant) as own:
        archive = await _locked(own, tenant, archive_id)
        _move(archive, ArchiveStatus.ready)
        archive.percent = 100
        archive.files_done = len(entries)
        archive.bytes_done = progress.bytes_done
        archive.upload_id = None
        archive.size = written.size
        archive.sha256 = written.sha256
        archive.manifest = manifest
        archive.finished_at = archive.updated_at = datetime.now(UTC)
        await record(
            own,
            actor,
            "archive.built",
            "archive",
            archive_id,
            after={
                "project_id": project_id,
                "files": len(entries),
                "size": written.size,
                "sha256": archive.sha256,
                "audit_seq": head.seq,
                "audit_hash": head.hash,
            },
        )


@dataclass(frozen=True)
class Written:
    entries: list[manifests.Entry]
    manifest: dict[str, Any]
    size: int
    sha256: str


class Counter(Protocol):
    files_done: int
    bytes_done: int

    async def update(self, *, force: bool = False, **values: Any) -> None: ...


async def write_zip(
    upload: MultipartUpload,
    members: list[Member],
    chunks_of: Callable[[Member], AsyncIterator[bytes]],
    manifest_of: Callable[[list[manifests.Entry]], dict[str, Any]],
    progress: Counter,
) -> Written:
    """Stream ``members`` and then the manifest as one zip into ``upload`` and complete it;
    aborts the upload on any failure. At most ``PARTS_IN_FLIGHT`` parts are sent at once, so
    memory stays flat whatever the archive's size."""
    sink = PartSink()
    in_flight: set[asyncio.Task[None]] = set()

    async def send_ready() -> None:
        while (part := sink.take()) is not None:
            while len(in_flight) >= PARTS_IN_FLIGHT:
                done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    in_flight.discard(task)
                    task.result()
            in_flight.add(asyncio.create_task(upload.upload_part(part)))

    entries: list[manifests.Entry] = []
    try:
        with zipfile.ZipFile(sink, "w", allowZip64=True) as zf:
            for member in members:
                compress = DEFLATED if isinstance(member, JsonMember) else STORED
                info = member_info(member.path, member.size, compress)
                digest = hashlib.sha256()
                size = 0
                with zf.open(info, "w", force_zip64=member.size >= zipfile.ZIP64_LIMIT) as out:
                    async for chunk in chunks_of(member):
                        await asyncio.to_thread(_write, out, digest, chunk)
                        size += len(chunk)
                        progress.bytes_done += len(chunk)
                        await send_ready()
                        await progress.update()
                if isinstance(member, StoredMember) and digest.hexdigest() != member.filed.sha256:
                    # The store no longer holds what was uploaded: never file it as if it did.
                    raise ValueError(f"{member.path}: stored content differs from its upload")
                entries.append(manifests.Entry(member.path, size, digest.hexdigest()))
                progress.files_done += 1
            manifest = manifest_of(entries)
            zf.writestr(member_info(manifests.PATH, 0, DEFLATED), manifests.encode(manifest))
        await send_ready()
        if in_flight:
            await asyncio.gather(*in_flight)
            in_flight.clear()
        rest = sink.rest()
        if rest or not upload.parts:
            await upload.upload_part(rest)
        await upload.complete()
    except BaseException:
        for task in in_flight:
            task.cancel()
        await upload.abort()
        raise
    return Written(entries, manifest, sink.size, sink.digest.hexdigest())


def _write(out: Any, digest: Any, chunk: bytes) -> None:
    digest.update(chunk)
    out.write(chunk)
