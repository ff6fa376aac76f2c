"""Download links: a presigned URL of the store, or, for an opened sealed document, a signed
link to the API's own content route, which decrypts on the way out.

Such a link is signed and short-lived, like a presigned S3 URL, so it works in a browser
without a token. Every way to sealed content refuses while the seal holds, and the refusal
is audited (``record_refused_download``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import filetypes, repository, sealing, seals
from services.documents.access import get_document
from services.documents.errors import DocumentSealed, LinkExpired, LinkInvalid
from services.documents.models import Document, DocumentSeal, DocumentVersion
from services.documents.repository import Viewer
from services.documents.schemas import DownloadLink, FileKind
from services.kit.audit import Actor, record
from services.kit.errors import NotFound
from services.kit.settings import Settings
from services.kit.storage import Storage


async def _version(
    session: AsyncSession, document: Document, number: int | None
) -> DocumentVersion:
    found = await repository.get_version(
        session, document.tenant_id, document.id, number or document.current_version
    )
    if found is None:
        raise NotFound("No such version of the document.")
    return found


async def _opened_seal(session: AsyncSession, document: Document) -> DocumentSeal:
    seal = await repository.get_seal(
        session, document.tenant_id, document.object_type, document.object_id
    )
    if seal is None or seal.released_at is None:
        until = seal.sealed_until if seal else None
        raise DocumentSealed(
            "The document is sealed: nobody can read it before "
            + (until.isoformat() if until else "its procedure opens")
            + ", and this attempt was recorded.",
            sealed_until=until.isoformat() if until else None,
            document_id=str(document.id),
        )
    return seal


def content_path(tenant: str, document_id: uuid.UUID, version: int) -> str:
    return f"/v1/tenants/{tenant}/documents/{document_id}/versions/{version}/content"


def _link_parts(
    tenant: str, document_id: uuid.UUID, version: int, user: str, expires: int
) -> tuple[str, ...]:
    return (tenant, str(document_id), str(version), user, str(expires))


async def download_link(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    viewer: Viewer,
    document_id: uuid.UUID,
    version_number: int | None,
) -> DownloadLink:
    """A short-lived link to one version: a presigned S3 URL, or for an opened sealed
    document a signed link to the API's decrypting content route. Audited either way."""
    actor = viewer.actor
    document = await get_document(session, viewer, document_id)
    version = await _version(session, document, version_number)
    seconds = settings.document_url_seconds
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    kind = FileKind(version.kind)
    filename = filetypes.download_name(version.filename, kind)
    if document.sealed:
        await _opened_seal(session, document)
        user = str(actor.user_id or "")
        expires = int(expires_at.timestamp())
        parts = _link_parts(actor.tenant, document.id, version.version, user, expires)
        signature = sealing.sign_link(settings.document_master_key_bytes, *parts)
        query = urlencode({"expires": expires, "user": user, "signature": signature})
        path = content_path(actor.tenant, document.id, version.version)
        # Relative to the API: behind an ingress only the client knows its scheme and host.
        url = f"{path}?{query}"
    else:
        url = storage.presigned_get(version.storage_key, seconds, filename, version.content_type)
    await record(
        session,
        actor,
        "document.download",
        "document",
        document.id,
        after={"version": version.version, "expires_at": expires_at, "sealed": document.sealed},
    )
    return DownloadLink(
        url=url,
        expires_at=expires_at,
        version=version.version,
        filename=filename,
        content_type=version.content_type,
        size=version.size,
        sha256=version.sha256,
    )


async def record_refused_download(
    session: AsyncSession, actor: Actor, refusal: DocumentSealed, route: str
) -> None:
    """Audit an attempt on sealed content, in a transaction of its own (the request's own
    transaction rolls back with the refusal)."""
    await record(
        session,
        actor,
        "document.download_refused",
        "document",
        refusal.extra.get("document_id", ""),
        after={
            "reason": refusal.code,
            "sealed_until": refusal.extra.get("sealed_until"),
            "route": route,
        },
    )


def check_content_link(
    settings: Settings,
    tenant: str,
    document_id: uuid.UUID,
    version: int,
    user: str,
    expires: int,
    signature: str,
) -> None:
    parts = _link_parts(tenant, document_id, version, user, expires)
    if not sealing.link_signature_ok(settings.document_master_key_bytes, signature, *parts):
        raise LinkInvalid("The download link is not valid; ask for a new one.")
    if expires < datetime.now(UTC).timestamp():
        raise LinkExpired("The download link has expired; ask for a new one.")


@dataclass(frozen=True)
class Content:
    version: DocumentVersion
    filename: str
    chunks: AsyncIterator[bytes]


async def sealed_content(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    tenant: str,
    document_id: uuid.UUID,
    version_number: int,
) -> Content:
    """The decrypted content of an opened sealed document, as a stream (the link that led
    here was checked by the caller). Refuses, like every route, while the seal holds."""
    viewer = Viewer(Actor(None, tenant), confidential=True)  # the signed link is the grant
    document = await repository.get_document(session, viewer, document_id)
    if document is None or not document.sealed:
        raise NotFound("No such document.")
    version = await _version(session, document, version_number)
    seal = await _opened_seal(session, document)
    opener = sealing.Opener(seals.data_key(settings, seal), version.storage_key, version.size)
    frames = storage.chunks(version.storage_key, sealing.FRAME)
    return Content(
        version=version,
        filename=filetypes.download_name(version.filename, FileKind(version.kind)),
        chunks=opener.stream(frames),
    )
