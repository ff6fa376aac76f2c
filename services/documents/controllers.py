"""HTTP routes of the documents context, under ``/v1/tenants/{tenant}/documents``.

Uploads take the file as the raw request body (any Content-Type; the type is judged by the
content) and the rest as query parameters, e.g.::

    curl -X POST -H "Authorization: Bearer $TOKEN" --data-binary @标书.pdf \\
      "$API/v1/tenants/440100/documents?object_type=bid&object_id=$BID&filename=标书.pdf"

The body is streamed to the store as it arrives (``request.stream()``): the app-wide
MAX_REQUEST_BODY_BYTES does not apply here, DOCUMENT_MAX_BYTES does, and no database
connection is held while it arrives (the two short transactions are opened here).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.documents import access, downloads, streaming, upload, views
from services.documents.errors import DocumentSealed, DocumentTooLarge
from services.documents.repository import Viewer
from services.documents.schemas import DocumentOut, DownloadLink, Filename, Title
from services.kit.audit import Actor
from services.kit.authz.enforcer import Authorizer
from services.kit.db import bind_tenant
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.objects import ObjectType
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.kit.settings import Settings
from services.kit.storage import Storage, content_disposition, storage_for
from services.kit.types import EpochSecondsQuery, TokenQuery, VersionPath, VersionQuery

READ_CONFIDENTIAL = "document:read_confidential"


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _storage(request: Request[Any, Any, Any]) -> Storage:
    # The first call builds the boto3 client (it reads its models from disk): off the loop.
    return await asyncio.to_thread(storage_for, _settings(request))


def _may_read_confidential(request: Request[Any, Any, Any], actor: Actor) -> bool:
    authorizer: Authorizer = request.app.state.authorizer
    return authorizer.allowed(actor.user_id, actor.tenant, READ_CONFIDENTIAL)


@asynccontextmanager
async def _unit(request: Request[Any, Any, Any], actor: Actor) -> AsyncIterator[AsyncSession]:
    """A transaction of its own, bound like the per-request one."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        await bind_tenant(session, actor.tenant, actor.provider_id)
        yield session


async def _viewer(request: Request[Any, Any, Any], session: AsyncSession, actor: Actor) -> Viewer:
    return await access.viewer_for(session, actor, _may_read_confidential(request, actor))


def _refuse_announced_oversize(request: Request[Any, Any, Any]) -> None:
    """A Content-Length over the limit is refused before a byte is read."""
    limit = _settings(request).document_max_bytes
    announced = request.headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise DocumentTooLarge(
            f"Documents may be at most {limit / 1048576:g} MiB ({limit} bytes).", max_bytes=limit
        )


async def _store(request: Request[Any, Any, Any], plan: upload.UploadPlan) -> upload.Received:
    storage = await _storage(request)
    limit = _settings(request).document_max_bytes
    return await streaming.receive(storage, plan, request.stream(), limit)


async def _record(
    request: Request[Any, Any, Any],
    actor: Actor,
    plan: upload.UploadPlan,
    received: upload.Received,
) -> DocumentOut:
    try:
        async with _unit(request, actor) as session:
            document = await upload.record_upload(session, plan, received)
            (out,) = await views.describe(session, [document])
    except BaseException:
        await streaming.discard(await _storage(request), plan)
        raise
    return out


class DocumentController(Controller):
    path = f"{TENANT_PATH}/documents"
    tags = ["documents"]

    @post(
        "/",
        opt={"permission": "document:upload"},
        request_max_body_size=None,  # DOCUMENT_MAX_BYTES, enforced while streaming
        status_code=201,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        object_type: FromQuery[ObjectType],
        object_id: FromQuery[uuid.UUID],
        filename: FromQuery[Filename],
        title: Title = None,
        confidential: FromQuery[bool] = False,
        sealed_until: FromQuery[datetime | None] = None,
    ) -> DocumentOut:
        """Upload a new document to an object; the body is the file (pdf, docx, xlsx, jpg,
        png, zip or ofd, judged by content). With ``sealed_until`` it is sealed: encrypted at
        rest and unreadable by anyone until then. A bid's documents are always sealed, until
        the procurement's opening, and refuse ``sealed_until`` (422): the server sets it.
        Answers once the file is stored."""
        _refuse_announced_oversize(request)
        async with _unit(request, actor) as session:
            plan = await upload.prepare_new_document(
                session,
                _settings(request),
                await _viewer(request, session, actor),
                object_type=object_type,
                object_id=object_id,
                filename=filename,
                title=title,
                confidential=confidential,
                sealed_until=sealed_until,
            )
        received = await _store(request, plan)
        return await _record(request, actor, plan, received)

    @post(
        "/{document_id:uuid}/versions",
        opt={"permission": "document:upload"},
        request_max_body_size=None,
        status_code=201,
    )
    async def add_version(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        document_id: FromPath[uuid.UUID],
        filename: FromQuery[Filename],
    ) -> DocumentOut:
        """Upload the next version of a document; the body is the file."""
        _refuse_announced_oversize(request)
        async with _unit(request, actor) as session:
            plan = await upload.prepare_new_version(
                session,
                _settings(request),
                await _viewer(request, session, actor),
                document_id,
                filename,
            )
        received = await _store(request, plan)
        return await _record(request, actor, plan, received)

    @get("/", opt={"permission": "document:read"})
    async def list_documents(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        object_type: FromQuery[ObjectType | None] = None,
        object_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[DocumentOut]:
        """Documents you may see here, with their versions; filter by the object."""
        viewer = await _viewer(request, session, actor)
        items = await access.list_documents(session, viewer, object_type, object_id, limit, offset)
        return Page(items=items, limit=limit, offset=offset)

    @get("/{document_id:uuid}", opt={"permission": "document:read"})
    async def get_document(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        document_id: FromPath[uuid.UUID],
    ) -> DocumentOut:
        viewer = await _viewer(request, session, actor)
        document = await access.get_document(session, viewer, document_id)
        (out,) = await views.describe(session, [document])
        return out

    @get("/{document_id:uuid}/download", opt={"permission": "document:read"})
    async def download(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        document_id: FromPath[uuid.UUID],
        version: VersionQuery = None,
    ) -> DownloadLink:
        """A link to the file, valid for DOCUMENT_URL_SECONDS; the latest version unless
        ``version`` is given. A sealed document is refused (409) until its procedure opens."""
        viewer = await _viewer(request, session, actor)
        try:
            return await downloads.download_link(
                session,
                _settings(request),
                await _storage(request),
                viewer,
                document_id,
                version,
            )
        except DocumentSealed as refusal:
            async with _unit(request, actor) as apart:
                await downloads.record_refused_download(apart, actor, refusal, "download")
            raise

    @get(
        "/{document_id:uuid}/versions/{version:int}/content",
        # The signed link is the credential, as with a presigned S3 URL: it names the user,
        # the version and the expiry, and is checked before anything is read.
        opt={"public": True},
    )
    async def content(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        tenant: FromPath[str],
        document_id: FromPath[uuid.UUID],
        version: VersionPath,
        expires: EpochSecondsQuery,
        user: TokenQuery,
        signature: TokenQuery,
    ) -> Stream:
        """The decrypted content of an opened sealed document, through a link from
        ``…/download``."""
        settings = _settings(request)
        downloads.check_content_link(
            settings, tenant, document_id, version, user, expires, signature
        )
        actor = Actor(
            user_id=uuid.UUID(user) if user else None,
            tenant=tenant,
            request_id=request.scope.get("state", {}).get("request_id"),
        )
        try:
            content = await downloads.sealed_content(
                session, settings, await _storage(request), tenant, document_id, version
            )
        except DocumentSealed as refusal:
            async with _unit(request, actor) as apart:
                await downloads.record_refused_download(apart, actor, refusal, "content")
            raise
        return Stream(
            content.chunks,
            media_type=content.version.content_type,
            headers={
                "Content-Length": str(content.version.size),
                "Content-Disposition": content_disposition(content.filename),
                "Cache-Control": "private, no-store",
                "X-Content-SHA256": content.version.sha256,
            },
        )
