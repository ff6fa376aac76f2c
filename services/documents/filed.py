"""The documents of a set of objects as a project's archive files them: every version, with
what it is, and a reader of the content for those anyone may read once their procedure ended.

A sealed document whose seal is still closed, or was withheld for good (a tender that failed
before its opening), is listed and never read: its key is not even unwrapped.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import sealing, seals
from services.documents.models import Document, DocumentSeal, DocumentVersion
from services.kit.settings import Settings
from services.kit.storage import Storage


@dataclass(frozen=True)
class FiledVersion:
    tenant: str
    document_id: uuid.UUID
    version: int
    object_type: str
    object_id: uuid.UUID
    title: str
    filename: str
    content_type: str
    size: int  # of the content as uploaded
    sha256: str  # of the content as uploaded
    uploaded_at: datetime
    confidential: bool
    # False: sealed and never opened (or withheld); the archive lists it and reads nothing.
    readable: bool
    storage_key: str
    encrypted: bool


async def filed_versions(
    session: AsyncSession, tenant: str, objects: Sequence[tuple[str, uuid.UUID]]
) -> list[FiledVersion]:
    """Every version of every document of ``objects`` (kind, id), by object then upload."""
    if not objects:
        return []
    keys = [(kind, object_id) for kind, object_id in objects]
    rows = await session.execute(
        select(Document, DocumentVersion)
        .join(
            DocumentVersion,
            (DocumentVersion.tenant_id == Document.tenant_id)
            & (DocumentVersion.document_id == Document.id),
        )
        .where(
            Document.tenant_id == tenant,
            tuple_(Document.object_type, Document.object_id).in_(keys),
        )
        .order_by(Document.object_type, Document.object_id, Document.created_at, Document.id)
        .order_by(DocumentVersion.version)
    )
    opened = {
        (s.object_type, s.object_id)
        for s in await session.scalars(
            select(DocumentSeal).where(
                DocumentSeal.tenant_id == tenant,
                tuple_(DocumentSeal.object_type, DocumentSeal.object_id).in_(keys),
                DocumentSeal.released_at.is_not(None),
            )
        )
    }
    return [
        FiledVersion(
            tenant=tenant,
            document_id=document.id,
            version=version.version,
            object_type=document.object_type,
            object_id=document.object_id,
            title=document.title,
            filename=version.filename,
            content_type=version.content_type,
            size=version.size,
            sha256=version.sha256,
            uploaded_at=version.uploaded_at,
            confidential=document.confidential,
            readable=not version.encrypted or (document.object_type, document.object_id) in opened,
            storage_key=version.storage_key,
            encrypted=version.encrypted,
        )
        for document, version in rows.all()
    ]


async def read_filed(
    session: AsyncSession, settings: Settings, storage: Storage, filed: FiledVersion
) -> AsyncIterator[bytes]:
    """The content of a readable version, chunk by chunk (decrypted when it was sealed and its
    seal is open). The key is looked up now; the stream itself touches no database."""
    if not filed.readable:
        raise PermissionError(f"document {filed.document_id} is sealed")
    if not filed.encrypted:
        return storage.chunks(filed.storage_key)
    seal = await session.get(DocumentSeal, (filed.tenant, filed.object_type, filed.object_id))
    if seal is None or seal.released_at is None:
        raise PermissionError(f"document {filed.document_id} is sealed")
    opener = sealing.Opener(seals.data_key(settings, seal), filed.storage_key, filed.size)
    return opener.stream(storage.chunks(filed.storage_key, sealing.FRAME))
