"""Uploads of new documents and new versions: what is decided before the content arrives,
and what is recorded once it is stored.

None of these functions commits. An upload spans two short transactions with the stream to
the store between them, so that no database connection is held while a large file arrives:
``prepare_*`` checks and plans (and creates a procedure's seal when it is the first sealed
upload), ``streaming.receive`` streams the content to the store, ``record_upload`` writes the
rows, the audit entry and the verification job. The API answers 201 only after the store has
the whole object (the multipart upload is completed) and the rows are committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import filetypes, objects, repository, seals
from services.documents.access import get_document
from services.documents.errors import NotYourDocument, ProcedureOpened
from services.documents.models import Document, DocumentSeal, DocumentVersion
from services.documents.repository import Viewer
from services.documents.schemas import FileKind, Verification
from services.documents.verification import VERIFY_JOB
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.kit.outbox import enqueue
from services.kit.settings import Settings


@dataclass
class UploadPlan:
    """What the first transaction decided, for the stream and the second transaction."""

    actor: Actor
    document_id: uuid.UUID
    new_document: bool
    object_type: ObjectType
    object_id: uuid.UUID
    title: str
    confidential: bool
    filename: str
    storage_key: str
    seal: DocumentSeal | None
    data_key: bytes | None


@dataclass(frozen=True)
class Received:
    """What the stream stored: the content's size, digest and kind (judged by content), and
    the stored object's size and digest (the ciphertext's, when sealed)."""

    size: int
    sha256: str
    kind: FileKind
    stored_size: int
    stored_sha256: str


def _filename(raw: str) -> str:
    name = filetypes.clean_filename(raw)
    if not name:
        raise InvalidField("must name a file", field="filename")
    return name


def _storage_key(actor: Actor, object_type: str, object_id: uuid.UUID, doc: uuid.UUID) -> str:
    return f"{actor.tenant}/{object_type}/{object_id}/{doc}/{uuid.uuid4().hex}"


async def prepare_new_document(
    session: AsyncSession,
    settings: Settings,
    viewer: Viewer,
    *,
    object_type: ObjectType,
    object_id: uuid.UUID,
    filename: str,
    title: str | None,
    confidential: bool,
    sealed_until: datetime | None,
) -> UploadPlan:
    actor = viewer.actor
    name = _filename(filename)
    await objects.check_object(session, viewer, object_type, object_id)
    seal = data_key = None
    policy = objects.seal_policy(object_type.value)
    if policy is not None:
        # The server decides this seal: a client's time could only be wrong or early.
        if sealed_until is not None:
            raise InvalidField(
                f"is set by the server for {object_type.value} documents (they open with "
                "their procedure); leave it out",
                field="sealed_until",
            )
        until = await policy.sealed_until(session, actor, object_id)
        seal = await seals.seal_for_upload(
            session,
            settings,
            actor,
            object_type,
            object_id,
            until,
            opened_by_owner=policy.opened_by_owner,
        )
        data_key = seals.data_key(settings, seal)
    elif sealed_until is not None:
        if not objects.sealable(object_type.value):
            kinds = " and ".join(objects.sealable_kinds())
            raise InvalidField(f"only {kinds} documents are sealed", field="sealed_until")
        seal = await seals.seal_for_upload(
            session, settings, actor, object_type, object_id, sealed_until
        )
        data_key = seals.data_key(settings, seal)
    document_id = uuid.uuid4()
    return UploadPlan(
        actor=actor,
        document_id=document_id,
        new_document=True,
        object_type=object_type,
        object_id=object_id,
        title=(title or name).strip()[:200] or name[:200],
        confidential=confidential,
        filename=name,
        storage_key=_storage_key(actor, object_type.value, object_id, document_id),
        seal=seal,
        data_key=data_key,
    )


async def prepare_new_version(
    session: AsyncSession,
    settings: Settings,
    viewer: Viewer,
    document_id: uuid.UUID,
    filename: str,
) -> UploadPlan:
    """A new version is added by the side that keeps the document: its provider, or the
    government when a government user created it."""
    actor = viewer.actor
    name = _filename(filename)
    document = await get_document(session, viewer, document_id)
    if document.provider_id != actor.provider_id:
        raise NotYourDocument(
            "Only "
            + ("the provider that keeps it" if document.provider_id else "government users")
            + " may add versions to this document."
        )
    policy = objects.seal_policy(document.object_type)
    if policy is not None:
        if not document.sealed:
            raise ProcedureOpened(
                "This document was stored unsealed; add the file as a new document, which is "
                "sealed."
            )
        await policy.sealed_until(session, actor, document.object_id)
    seal = data_key = None
    if document.sealed:
        seal = await repository.get_seal(
            session, actor.tenant, document.object_type, document.object_id
        )
        if seal is None:  # pragma: no cover - a sealed document always has its seal
            raise RuntimeError(f"sealed document {document.id} has no seal")
        if seal.released_at is not None:
            raise ProcedureOpened("The document was opened and can no longer change.")
        data_key = seals.data_key(settings, seal)
    object_type = ObjectType(document.object_type)
    return UploadPlan(
        actor=actor,
        document_id=document.id,
        new_document=False,
        object_type=object_type,
        object_id=document.object_id,
        title=document.title,
        confidential=document.confidential,
        filename=name,
        storage_key=_storage_key(actor, object_type.value, document.object_id, document.id),
        seal=seal,
        data_key=data_key,
    )


async def record_upload(session: AsyncSession, plan: UploadPlan, received: Received) -> Document:
    """The rows, the audit entry and the verification job, in the caller's transaction."""
    actor = plan.actor
    if plan.seal is not None:
        # Locked, so an opening cannot slip between this check and the commit.
        seal = await repository.get_seal(
            session, actor.tenant, plan.object_type.value, plan.object_id, for_update=True
        )
        if seal is None or seal.released_at is not None:
            raise ProcedureOpened("The procedure was opened while the file was uploading.")
        policy = objects.seal_policy(plan.object_type.value)
        if policy is not None:  # still taking documents now that the file is in (a deadline)
            await policy.sealed_until(session, actor, plan.object_id)
    now = datetime.now(UTC)
    if plan.new_document:
        document = Document(
            tenant_id=actor.tenant,
            id=plan.document_id,
            object_type=plan.object_type.value,
            object_id=plan.object_id,
            title=plan.title,
            confidential=plan.confidential,
            sealed=plan.seal is not None,
            current_version=1,
            created_by=actor.user_id,
            provider_id=actor.provider_id,
            created_at=now,
            updated_at=now,
        )
        session.add(document)
        await session.flush()
    else:
        viewer = Viewer(actor, confidential=True)  # visibility was checked when planning
        found = await repository.get_document(session, viewer, plan.document_id, for_update=True)
        if found is None:  # pragma: no cover - documents are never deleted
            raise NotFound("No such document.")
        document = found
        document.current_version += 1
        document.updated_at = now
    version = DocumentVersion(
        tenant_id=actor.tenant,
        document_id=document.id,
        version=document.current_version,
        filename=plan.filename,
        kind=received.kind.value,
        content_type=filetypes.CONTENT_TYPES[received.kind],
        size=received.size,
        sha256=received.sha256,
        storage_key=plan.storage_key,
        stored_size=received.stored_size,
        stored_sha256=received.stored_sha256,
        encrypted=plan.data_key is not None,
        uploaded_by=actor.user_id,
        uploaded_at=now,
        verification=Verification.pending.value,
    )
    session.add(version)
    await session.flush()
    facts: dict[str, Any] = {
        "version": version.version,
        "filename": version.filename,
        "kind": version.kind,
        "size": version.size,
        "sha256": version.sha256,
        "encrypted": version.encrypted,
    }
    if plan.new_document:
        facts |= {
            "object_type": document.object_type,
            "object_id": document.object_id,
            "title": document.title,
            "confidential": document.confidential,
            "sealed": document.sealed,
        }
    await record(
        session,
        actor,
        "document.uploaded" if plan.new_document else "document.version_added",
        "document",
        document.id,
        after=facts,
    )
    await enqueue(
        session,
        actor,
        VERIFY_JOB,
        {"document_id": str(document.id), "version": version.version},
        message_key=f"document-verify:{document.id}:{version.version}",
        # It rereads the whole object from S3: alone, not holding a batch's transaction.
        batchable=False,
    )
    return document
