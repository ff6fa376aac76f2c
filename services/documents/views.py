"""Response bodies built from the rows: a document with its versions and its seal's times."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import repository
from services.documents.models import Document, DocumentSeal, DocumentVersion
from services.documents.schemas import DocumentOut, FileKind, Verification, VersionOut
from services.kit.objects import ObjectType


def version_out(version: DocumentVersion) -> VersionOut:
    return VersionOut(
        version=version.version,
        filename=version.filename,
        kind=FileKind(version.kind),
        content_type=version.content_type,
        size=version.size,
        sha256=version.sha256,
        uploaded_by=version.uploaded_by,
        uploaded_at=version.uploaded_at,
        verification=Verification(version.verification),
        verified_at=version.verified_at,
    )


def document_out(
    document: Document, versions: Sequence[DocumentVersion], seal: DocumentSeal | None
) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        tenant_id=document.tenant_id,
        object_type=ObjectType(document.object_type),
        object_id=document.object_id,
        title=document.title,
        confidential=document.confidential,
        sealed=document.sealed,
        sealed_until=seal.sealed_until if seal else None,
        opened_at=seal.released_at if seal else None,
        created_by=document.created_by,
        created_at=document.created_at,
        updated_at=document.updated_at,
        current_version=document.current_version,
        versions=[version_out(v) for v in versions],
    )


async def describe(session: AsyncSession, documents: Sequence[Document]) -> list[DocumentOut]:
    if not documents:
        return []
    tenant = documents[0].tenant_id
    versions = await repository.versions_of(session, tenant, [d.id for d in documents])
    seals = await repository.seals_of(session, tenant, documents)
    return [
        document_out(d, versions[d.id], seals.get((d.object_type, d.object_id))) for d in documents
    ]
