"""Verification (a job): the stored object is read back and must match what was uploaded."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import repository
from services.documents.schemas import Verification
from services.kit.audit import Actor, record
from services.kit.storage import ObjectMissing, Storage

log = structlog.get_logger(__name__)

VERIFY_JOB = "documents.verify_version"


async def verify_version(
    session: AsyncSession, actor: Actor, storage: Storage, document_id: uuid.UUID, number: int
) -> Verification | None:
    """Read the stored object back: its size and SHA-256 must be what the upload recorded.
    A sealed object is checked as stored (ciphertext): verification never decrypts."""
    version = await repository.get_version(session, actor.tenant, document_id, number)
    if version is None or version.verification != Verification.pending.value:
        return None
    digest, size = hashlib.sha256(), 0
    try:
        async for chunk in storage.chunks(version.storage_key):
            digest.update(chunk)
            size += len(chunk)
        problem = None
        if size != version.stored_size:
            problem = f"stored object has {size} bytes, expected {version.stored_size}"
        elif digest.hexdigest() != version.stored_sha256:
            problem = "stored object's SHA-256 differs from the upload's"
    except ObjectMissing:
        problem = "stored object is missing"
    version.verification = (Verification.failed if problem else Verification.verified).value
    version.verified_at = datetime.now(UTC)
    version.verification_note = problem
    await session.flush()
    await record(
        session,
        actor,
        "document.verification_failed" if problem else "document.verified",
        "document",
        document_id,
        after={"version": number, "verification": version.verification, "note": problem},
    )
    if problem:
        log.error("document_verification_failed", document_id=str(document_id), note=problem)
    return Verification(version.verification)
