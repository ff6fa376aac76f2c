"""Queries of the documents context. Each names its tenant explicitly, on top of RLS, and
applies the viewer's visibility (which documents this user may know exist)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, and_, false, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents.models import Document, DocumentSeal, DocumentVersion
from services.kit.audit import Actor

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Shared:
    """A kind's objects whose open documents providers read, but for the ``withheld`` ones."""

    object_type: str
    object_ids: Select[Any]
    withheld: Select[Any] | None = None


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and what that lets them see in this tenant."""

    actor: Actor
    # Holds document:read_confidential here.
    confidential: bool
    # For a provider's users: their provider's registration in this tenant, if any.
    registration_id: uuid.UUID | None = None
    # For a provider's users: per kind, the objects whose open documents they may read.
    shared: tuple[Shared, ...] = ()

    @property
    def is_provider(self) -> bool:
        return self.actor.provider_id is not None


def visible(query: Select[RowT], viewer: Viewer) -> Select[RowT]:
    """Only the documents this viewer may know exist. A provider's users see their
    provider's own documents, those of its registration here and the open documents of the
    objects shared with providers (a published tender's); confidential documents need
    document:read_confidential, except for the one who created them."""
    actor = viewer.actor
    query = query.where(Document.tenant_id == actor.tenant)
    if viewer.is_provider:
        owned = Document.provider_id == actor.provider_id
        if viewer.registration_id is not None:
            owned = or_(
                owned,
                and_(
                    Document.object_type == "registration",
                    Document.object_id == viewer.registration_id,
                ),
            )
        for shared in viewer.shared:
            offered = and_(
                Document.object_type == shared.object_type,
                Document.object_id.in_(shared.object_ids),
                Document.confidential.is_(False),
                Document.sealed.is_(False),
            )
            if shared.withheld is not None:
                offered = and_(offered, Document.id.not_in(shared.withheld))
            owned = or_(owned, offered)
        query = query.where(owned)
    if not viewer.confidential:
        mine = Document.created_by == actor.user_id if actor.user_id else false()
        query = query.where(or_(Document.confidential.is_(False), mine))
    return query


async def get_document(
    session: AsyncSession, viewer: Viewer, document_id: uuid.UUID, *, for_update: bool = False
) -> Document | None:
    query = visible(select(Document), viewer).where(Document.id == document_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def list_documents(
    session: AsyncSession,
    viewer: Viewer,
    object_type: str | None,
    object_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Sequence[Document]:
    query = visible(select(Document), viewer)
    if object_type is not None:
        query = query.where(Document.object_type == object_type)
    if object_id is not None:
        query = query.where(Document.object_id == object_id)
    query = query.order_by(Document.created_at, Document.id).limit(limit).offset(offset)
    return (await session.scalars(query)).all()


async def versions_of(
    session: AsyncSession, tenant: str, document_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentVersion]]:
    by_document: dict[uuid.UUID, list[DocumentVersion]] = {d: [] for d in document_ids}
    if not document_ids:
        return by_document
    rows = await session.scalars(
        select(DocumentVersion)
        .where(
            DocumentVersion.tenant_id == tenant,
            DocumentVersion.document_id.in_(document_ids),
        )
        .order_by(DocumentVersion.document_id, DocumentVersion.version)
    )
    for version in rows:
        by_document[version.document_id].append(version)
    return by_document


async def get_version(
    session: AsyncSession, tenant: str, document_id: uuid.UUID, version: int
) -> DocumentVersion | None:
    return await session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.tenant_id == tenant,
            DocumentVersion.document_id == document_id,
            DocumentVersion.version == version,
        )
    )


async def get_seal(
    session: AsyncSession,
    tenant: str,
    object_type: str,
    object_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> DocumentSeal | None:
    query = select(DocumentSeal).where(
        DocumentSeal.tenant_id == tenant,
        DocumentSeal.object_type == object_type,
        DocumentSeal.object_id == object_id,
    )
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def seals_of(
    session: AsyncSession, tenant: str, documents: Sequence[Document]
) -> dict[tuple[str, uuid.UUID], DocumentSeal]:
    """The seals of the sealed ones among ``documents``, by (object_type, object_id)."""
    procedures = {(d.object_type, d.object_id) for d in documents if d.sealed}
    if not procedures:
        return {}
    rows = await session.scalars(
        select(DocumentSeal).where(
            DocumentSeal.tenant_id == tenant,
            tuple_(DocumentSeal.object_type, DocumentSeal.object_id).in_(list(procedures)),
        )
    )
    return {(seal.object_type, seal.object_id): seal for seal in rows}
