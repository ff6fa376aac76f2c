"""Bodies of the archive API, and the archive's states."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import msgspec


class ArchiveStatus(StrEnum):
    queued = "queued"  # 待生成: the build job is in the outbox or on the broker
    building = "building"  # 生成中
    ready = "ready"  # 已归档: the zip is stored and its manifest recorded
    failed = "failed"  # 生成失败: retried by the worker; a new request queues it again


# The archive's state machine: (from, to) pairs. A build killed mid-way is retried from
# ``building``; a failed one is queued again by a request for the same project state.
TRANSITIONS: frozenset[tuple[ArchiveStatus, ArchiveStatus]] = frozenset(
    {
        (ArchiveStatus.queued, ArchiveStatus.building),
        (ArchiveStatus.building, ArchiveStatus.building),
        (ArchiveStatus.building, ArchiveStatus.ready),
        (ArchiveStatus.building, ArchiveStatus.failed),
        (ArchiveStatus.queued, ArchiveStatus.failed),
        (ArchiveStatus.failed, ArchiveStatus.queued),
        (ArchiveStatus.failed, ArchiveStatus.building),
    }
)


class Trigger(StrEnum):
    requested = "requested"  # civil affairs or the region's administrator asked
    completed = "completed"  # the project was completed (结项)
    procurement_ended = "procurement_ended"  # a procurement failed or was cancelled


class ManifestEntryOut(msgspec.Struct):
    path: str
    size: int
    sha256: str


class ManifestOut(msgspec.Struct):
    archive_id: uuid.UUID
    project_id: uuid.UUID
    audit_seq: int
    audit_hash: str
    files: list[ManifestEntryOut]


class ArchiveOut(msgspec.Struct):
    id: uuid.UUID
    project_id: uuid.UUID
    status: ArchiveStatus
    trigger: Trigger
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    percent: int
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    attempts: int
    size: int | None
    sha256: str | None
    # The tenant's audit chain where it stood when the file was assembled.
    audit_seq: int | None
    audit_hash: str | None
    error: str | None
    # Every file's path, size and SHA-256: on the archive's own page, once it is ready.
    manifest: ManifestOut | None = None


class ArchivePage(msgspec.Struct):
    items: list[ArchiveOut]
    limit: int
    offset: int
    total: int


class DifferenceOut(msgspec.Struct):
    path: str
    reason: str


class VerificationOut(msgspec.Struct):
    ok: bool
    files_checked: int
    # The first file, in the manifest's order, whose content differs from it (or is missing).
    first_difference: DifferenceOut | None


class ArchiveLink(msgspec.Struct):
    url: str
    expires_at: datetime
    filename: str
    size: int
    sha256: str
