"""Who is looking, and the documents they may see: another tenant's document, or one hidden
from this viewer (confidential, or another provider's), is a 404 like a missing one."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import objects, repository
from services.documents.models import Document
from services.documents.repository import Viewer
from services.documents.schemas import DocumentOut
from services.documents.views import describe
from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.kit.objects import ObjectType
from services.tenancy import service as tenancy


async def viewer_for(session: AsyncSession, actor: Actor, may_read_confidential: bool) -> Viewer:
    if actor.provider_id is None:
        return Viewer(actor, may_read_confidential)
    registration_id = await tenancy.provider_registration_id(
        session, actor.tenant, actor.provider_id
    )
    return Viewer(actor, may_read_confidential, registration_id, objects.shared_with(actor))


async def get_document(session: AsyncSession, viewer: Viewer, document_id: uuid.UUID) -> Document:
    document = await repository.get_document(session, viewer, document_id)
    if document is None:
        raise NotFound("No such document.")
    return document


async def list_documents(
    session: AsyncSession,
    viewer: Viewer,
    object_type: ObjectType | None,
    object_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> list[DocumentOut]:
    documents = await repository.list_documents(
        session, viewer, object_type.value if object_type else None, object_id, limit, offset
    )
    return await describe(session, documents)
