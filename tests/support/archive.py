"""Archives through the API, and their build job run as the worker runs it."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import asyncpg

from services.archive import tasks
from services.archive.requests import BUILD_JOB
from services.kit.jobs import run_once, use_settings
from services.kit.settings import Settings
from tests.support.database import Sessions


async def run_build(
    admin_db: asyncpg.Connection, sessionmaker: Sessions, settings: Settings, archive_id: str
) -> bool:
    """Run the newest build job the archive put in the outbox, as the worker would."""
    row = await admin_db.fetchrow(
        "SELECT tenant_id, payload, message_key FROM outbox WHERE actor_name = $1"
        " AND payload->>'archive_id' = $2 ORDER BY created_at DESC LIMIT 1",
        BUILD_JOB,
        archive_id,
    )
    assert row is not None, "no build job was queued"
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    use_settings(settings)
    return await run_once(
        tasks.build, BUILD_JOB, row["tenant_id"], row["message_key"], payload, None, sessionmaker
    )


def data_offset(zipped: bytes, path: str) -> int:
    """Where a member's data starts in the zip (after its local header)."""
    info = zipfile.ZipFile(io.BytesIO(zipped)).getinfo(path)
    header = zipped[info.header_offset : info.header_offset + 30]
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    return info.header_offset + 30 + name_length + extra_length


def members(zipped: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def manifest_of(zipped: bytes) -> dict[str, Any]:
    return dict(json.loads(members(zipped)["manifest.json"]))


def new_id() -> str:
    return str(uuid.uuid4())
