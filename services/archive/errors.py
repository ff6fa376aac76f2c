"""Refusals of the archive context."""

from __future__ import annotations

from services.kit.errors import DomainError


class ArchiveNotReady(DomainError):
    status = 409
    code = "archive_not_ready"
    title = "Archive not ready"
