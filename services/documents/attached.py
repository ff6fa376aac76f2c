"""A document attached to an object, as it stands now: what another context reads when a
party accepts that exact content (a contract's signatures record its SHA-256)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents.models import Document, DocumentVersion
from services.kit.objects import ObjectType


@dataclass(frozen=True)
class AttachedVersion:
    document_id: uuid.UUID
    version: int
    sha256: str  # of the content as uploaded
    filename: str
    verification: str  # pending | verified | failed
    uploaded_at: datetime


async def current_version(
    session: AsyncSession,
    tenant: str,
    object_type: ObjectType,
    object_id: uuid.UUID,
    document_id: uuid.UUID,
) -> AttachedVersion | None:
    """The current version of a document of this object; None when the document is not one
    of its own. The document row is share-locked until the caller's transaction ends, so no
    new version can slip in between reading the hash and acting on it."""
    document = await session.scalar(
        select(Document)
        .where(
            Document.tenant_id == tenant,
            Document.id == document_id,
            Document.object_type == object_type.value,
            Document.object_id == object_id,
        )
        .with_for_update(read=True)
    )
    if document is None:
        return None
    version = await session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.tenant_id == tenant,
            DocumentVersion.document_id == document.id,
            DocumentVersion.version == document.current_version,
        )
    )
    if version is None:
        return None  # the first upload has not finished
    return AttachedVersion(
        document_id=document.id,
        version=version.version,
        sha256=version.sha256,
        filename=version.filename,
        verification=version.verification,
        uploaded_at=version.uploaded_at,
    )
