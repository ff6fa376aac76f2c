"""The manifest: every file of an archive with its size and SHA-256, and the tenant's audit
chain head when the file was assembled. Stored on the archive's row and, as ``manifest.json``,
as the zip's last member (which it does not list: it cannot hold its own hash)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from services.kit.audit import ChainHead

PATH = "manifest.json"


@dataclass(frozen=True)
class Entry:
    path: str
    size: int
    sha256: str


def build(
    archive_id: uuid.UUID, project_id: uuid.UUID, head: ChainHead, entries: list[Entry]
) -> dict[str, Any]:
    return {
        "archive_id": str(archive_id),
        "project_id": str(project_id),
        "audit_seq": head.seq,
        "audit_hash": head.hash,
        "files": [{"path": e.path, "size": e.size, "sha256": e.sha256} for e in entries],
    }


def encode(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()


def entries(manifest: dict[str, Any]) -> list[Entry]:
    return [Entry(f["path"], int(f["size"]), f["sha256"]) for f in manifest["files"]]
