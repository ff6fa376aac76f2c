"""Archives as the API shows them."""

from __future__ import annotations

from services.archive.models import ProjectArchive
from services.archive.schemas import (
    ArchiveOut,
    ArchiveStatus,
    ManifestEntryOut,
    ManifestOut,
    Trigger,
)


def archive_out(a: ProjectArchive, *, with_manifest: bool = False) -> ArchiveOut:
    manifest = None
    if with_manifest and a.manifest is not None:
        manifest = ManifestOut(
            archive_id=a.id,
            project_id=a.project_id,
            audit_seq=int(a.manifest["audit_seq"]),
            audit_hash=a.manifest["audit_hash"],
            files=[
                ManifestEntryOut(path=f["path"], size=int(f["size"]), sha256=f["sha256"])
                for f in a.manifest["files"]
            ],
        )
    return ArchiveOut(
        id=a.id,
        project_id=a.project_id,
        status=ArchiveStatus(a.status),
        trigger=Trigger(a.trigger),
        requested_at=a.requested_at,
        started_at=a.started_at,
        finished_at=a.finished_at,
        percent=a.percent,
        files_done=a.files_done,
        files_total=a.files_total,
        bytes_done=a.bytes_done,
        bytes_total=a.bytes_total,
        attempts=a.attempts,
        size=a.size,
        sha256=a.sha256,
        audit_seq=a.audit_seq,
        audit_hash=a.audit_hash,
        error=a.error,
        manifest=manifest,
    )
