"""What other contexts use of the archive: asking for a project's archive (idempotent per
project state) and verifying a stored one against its manifest. Nothing here commits."""

from __future__ import annotations

from services.archive.reading import verify as verify_archive
from services.archive.requests import BUILD_JOB, request_archive
from services.archive.schemas import ArchiveStatus, Trigger

__all__ = ["BUILD_JOB", "ArchiveStatus", "Trigger", "request_archive", "verify_archive"]
