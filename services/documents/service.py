"""Documents: upload (streamed to S3), versions, visibility, download links, sealing, checks.

None of these functions commits. An upload spans two short transactions with the stream to
the store between them, so that no database connection is held while a large file arrives:
``prepare_*`` checks and plans (and creates a procedure's seal when it is the first sealed
upload), ``receive`` streams the content to the store, ``record_upload`` writes the rows, the
audit entry and the verification job. The API answers 201 only after the store has the whole
object (the multipart upload is completed) and the rows are committed.

Sealed documents and their opening
----------------------------------
Whether a document is sealed, and until when, is the server's decision for the object types
whose owner registered a seal policy (``register_object_type``: tendering's bids, sealed until
their procurement's opening): the client's ``sealed_until`` is refused for them, and a document
is sealed even when the client asks for nothing. Other types keep the client's choice, if their
owner made them sealable.

A sealed document (a bid before bid opening, 开标) is encrypted while it streams in, with its
procedure's data key (see ``sealing``); the bucket only ever holds ciphertext. Until its seal
is opened every way to the content refuses with 409 ``document_sealed`` and the attempt is
audited: there is no role that bypasses it, since the check is on the seal, not on the user.
At ``sealed_until`` the opening job (``tasks.open_seal``, enqueued through the outbox with a
delay when the seal is made, and swept for by the chronograph in case it was missed) marks
the seal opened; the database itself refuses an earlier opening.

After opening, the content is *not* re-stored as plaintext: it stays encrypted at rest, and
a download link points at the API's ``…/versions/{n}/content`` route, which streams it
decrypted chunk by chunk. That keeps bids confidential in the bucket and in its backups for
good, needs no second copy of large files, and keeps the opening job small and instant (no
re-upload of every bid at the moment everyone is waiting for the opening). The link is
signed and short-lived, like a presigned S3 URL, so it works in a browser without a token.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import uuid
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import structlog
from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import filetypes, repository, sealing
from services.documents.errors import (
    DocumentSealed,
    DocumentTooLarge,
    EmptyFile,
    FileTypeNotAllowed,
    LinkExpired,
    LinkInvalid,
    NotYourDocument,
    ProcedureOpened,
)
from services.documents.models import Document, DocumentSeal, DocumentVersion
from services.documents.repository import Viewer
from services.documents.schemas import (
    DocumentOut,
    DownloadLink,
    FileKind,
    Verification,
    VersionOut,
)
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.kit.outbox import enqueue
from services.kit.settings import Settings
from services.kit.storage import PART_BYTES, MultipartUpload, ObjectMissing, Storage
from services.tenancy import service as tenancy

log = structlog.get_logger(__name__)

VERIFY_JOB = "documents.verify_version"
OPEN_SEAL_JOB = "documents.open_seal"
SWEEP_SEALS_JOB = "documents.sweep_seals"
STORED_CONTENT_TYPE = "application/octet-stream"
# Parts going up while the next one fills, each PART_BYTES of memory. More did not measure
# faster against SeaweedFS on two cores (make bench, part 4).
PARTS_IN_FLIGHT = 1
# A seal is for a procedure under way: its opening is at most a year ahead.
MAX_SEAL_AHEAD = timedelta(days=366)


# --- which objects the server seals, and until when ------------------------------------------

SealTime = Callable[[AsyncSession, Actor, uuid.UUID], Awaitable[datetime]]
"""The time an object's documents are sealed until, read from the context that owns it; raises
(a refusal of that context) when the object takes no more documents — a bid after its
deadline, say."""


@dataclass(frozen=True)
class SealPolicy:
    """The server seals every document of an object type, until the time ``until`` reads
    from the object's owner."""

    until: SealTime
    # Its owner opens the seal (the tender's opening opens a bid's), not our timed job.
    opened_by_owner: bool = False

    async def sealed_until(
        self, session: AsyncSession, actor: Actor, object_id: uuid.UUID
    ) -> datetime:
        return (await self.until(session, actor, object_id)).astimezone(UTC)


# --- which objects a document may be attached to ----------------------------------------------

OwnerCheck = Callable[[AsyncSession, Actor, uuid.UUID], Awaitable[uuid.UUID | None]]
"""Looks an object up in the actor's tenant, as the actor may see it: returns the provider
that owns it (None for a government object); raises NotFound when there is none."""


@dataclass(frozen=True)
class ObjectKind:
    """What documents know of a kind of object, as the context that owns it registered it."""

    owner: OwnerCheck
    # Every document is sealed by the server, until the time the policy reads.
    seal: SealPolicy | None
    # Documents may be sealed until a time the uploader names (always so with a policy).
    sealable: bool


_KINDS: dict[str, ObjectKind] = {}


def register_object_type(
    object_type: ObjectType,
    *,
    owner: OwnerCheck,
    seal: SealPolicy | None = None,
    sealable: bool = False,
) -> None:
    """What documents need to know of a kind of object, from the context that owns it: how
    to find one and its owner (``owner``); that its documents are always sealed, until the
    time ``seal`` reads, whatever the client sends; or that they may be sealed on request
    (``sealable``: until a time the uploader names)."""
    _KINDS[object_type.value] = ObjectKind(owner, seal, sealable or seal is not None)


def seal_policy(object_type: str) -> SealPolicy | None:
    kind = _KINDS.get(object_type)
    return kind.seal if kind else None


def sealable(object_type: str) -> bool:
    kind = _KINDS.get(object_type)
    return kind is not None and kind.sealable


def sealable_kinds() -> list[str]:
    return sorted(name for name, kind in _KINDS.items() if kind.sealable)


async def check_object(
    session: AsyncSession, viewer: Viewer, object_type: ObjectType, object_id: uuid.UUID
) -> None:
    """A provider may attach documents only to objects of its own (known by a registered
    check); government users to any object of the tenant — checked where a check exists."""
    kind = _KINDS.get(object_type.value)
    missing = InvalidField(f"no {object_type.value} {object_id} of yours here", field="object_id")
    if kind is None:
        if viewer.is_provider:
            raise missing
        return
    try:
        owner = await kind.owner(session, viewer.actor, object_id)
    except NotFound:
        raise missing from None
    if viewer.is_provider and owner != viewer.actor.provider_id:
        raise missing


async def _registration_owner(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    registration, _ = await tenancy.get_registration(session, actor, object_id)
    return registration.provider_id


register_object_type(ObjectType.registration, owner=_registration_owner)


# --- who is looking ----------------------------------------------------------------------------


async def viewer_for(session: AsyncSession, actor: Actor, may_read_confidential: bool) -> Viewer:
    registration_id = None
    if actor.provider_id is not None:
        registration_id = await tenancy.provider_registration_id(
            session, actor.tenant, actor.provider_id
        )
    return Viewer(actor, may_read_confidential, registration_id)


# --- output ------------------------------------------------------------------------------------


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


# --- seals -------------------------------------------------------------------------------------


def procedure_name(tenant: str, object_type: str, object_id: uuid.UUID) -> str:
    return f"{tenant}|{object_type}|{object_id}"


def _data_key(settings: Settings, seal: DocumentSeal) -> bytes:
    master = settings.document_master_key_bytes
    if seal.master_key_id != sealing.master_key_id(master):
        raise RuntimeError(
            f"the seal of {seal.object_type} {seal.object_id} was made with master key "
            f"{seal.master_key_id}, not the configured one"
        )
    return sealing.unwrap_key(
        master, seal.wrapped_key, procedure_name(seal.tenant_id, seal.object_type, seal.object_id)
    )


async def _schedule_opening(session: AsyncSession, actor: Actor, seal: DocumentSeal) -> None:
    """The opening job, due at the seal's time; a new time gets a job of its own."""
    delay = max(seal.sealed_until - datetime.now(UTC), timedelta(0))
    await enqueue(
        session,
        actor,
        OPEN_SEAL_JOB,
        {"object_type": seal.object_type, "object_id": str(seal.object_id)},
        message_key=(
            f"document-seal-open:{seal.object_type}:{seal.object_id}:"
            f"{seal.sealed_until.isoformat()}"
        ),
        delay=delay,
    )


def _check_seal_time(sealed_until: datetime) -> datetime:
    if sealed_until.tzinfo is None:
        raise InvalidField("needs a time zone (e.g. +08:00 or Z)", field="sealed_until")
    now = datetime.now(UTC)
    if sealed_until <= now:
        raise InvalidField("must be in the future", field="sealed_until")
    if sealed_until > now + MAX_SEAL_AHEAD:
        raise InvalidField("must be within a year", field="sealed_until")
    return sealed_until.astimezone(UTC)


async def seal_for_upload(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    object_type: ObjectType,
    object_id: uuid.UUID,
    sealed_until: datetime,
    opened_by_owner: bool = False,
) -> DocumentSeal:
    """The procedure's seal, made by the first sealed upload (committed before the content
    streams, so concurrent uploads share one key). Later uploads must name the same time.
    A seal its owner opens (``opened_by_owner``) gets no timed opening job of ours."""
    sealed_until = _check_seal_time(sealed_until)
    seal = await repository.get_seal(session, actor.tenant, object_type.value, object_id)
    if seal is None:
        master = settings.document_master_key_bytes
        procedure = procedure_name(actor.tenant, object_type.value, object_id)
        created = await session.scalar(
            insert(DocumentSeal)
            .values(
                tenant_id=actor.tenant,
                object_type=object_type.value,
                object_id=object_id,
                sealed_until=sealed_until,
                wrapped_key=sealing.wrap_key(master, sealing.new_data_key(), procedure),
                master_key_id=sealing.master_key_id(master),
                opened_by_owner=opened_by_owner,
                created_by=actor.user_id,
            )
            .on_conflict_do_nothing()
            .returning(DocumentSeal.object_id)
        )
        seal = await repository.get_seal(session, actor.tenant, object_type.value, object_id)
        assert seal is not None
        if created is not None:
            await record(
                session,
                actor,
                "document_seal.created",
                "document_seal",
                f"{object_type.value}:{object_id}",
                after={"sealed_until": seal.sealed_until, "opened_by_owner": opened_by_owner},
            )
            if not seal.opened_by_owner:
                await _schedule_opening(session, actor, seal)
    if seal.released_at is not None:
        raise ProcedureOpened(
            f"The {object_type.value}'s sealed documents were opened at "
            f"{seal.released_at.isoformat()}; nothing more can be sealed in it."
        )
    if seal.sealed_until != sealed_until:
        raise InvalidField(
            f"the {object_type.value}'s sealed documents open at "
            f"{seal.sealed_until.isoformat()}; upload with that time",
            field="sealed_until",
        )
    return seal


async def sealing_key(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    object_type: ObjectType,
    object_id: uuid.UUID,
    sealed_until: datetime,
) -> bytes:
    """The data key of a procedure's seal (made if needed, opened by its owner), to seal a
    small value — a bid's price — beside the procedure's documents, under the same opening."""
    seal = await seal_for_upload(
        session, settings, actor, object_type, object_id, sealed_until, opened_by_owner=True
    )
    return _data_key(settings, seal)


async def opened_key(
    session: AsyncSession, settings: Settings, tenant: str, object_type: str, object_id: uuid.UUID
) -> bytes:
    """The data key of an opened seal; refused while the seal is closed."""
    seal = await repository.get_seal(session, tenant, object_type, object_id)
    if seal is None or seal.released_at is None:
        raise DocumentSealed(f"The {object_type}'s seal is not opened.")
    return _data_key(settings, seal)


async def reschedule_seal(
    session: AsyncSession,
    actor: Actor,
    object_type: ObjectType,
    object_id: uuid.UUID,
    sealed_until: datetime,
) -> DocumentSeal:
    """Move a procedure's opening (a deadline extended under 实施条例 art. 31, say). For the
    tendering context; the database refuses a time in the past and an opened seal."""
    sealed_until = _check_seal_time(sealed_until)
    seal = await repository.get_seal(
        session, actor.tenant, object_type.value, object_id, for_update=True
    )
    if seal is None:
        raise NotFound("No sealed documents in this procedure.")
    if seal.released_at is not None:
        raise ProcedureOpened("The procedure's sealed documents are opened already.")
    before = {"sealed_until": seal.sealed_until}
    seal.sealed_until = sealed_until
    await session.flush()
    await record(
        session,
        actor,
        "document_seal.rescheduled",
        "document_seal",
        f"{object_type.value}:{object_id}",
        before=before,
        after={"sealed_until": sealed_until},
    )
    if not seal.opened_by_owner:
        await _schedule_opening(session, actor, seal)
    return seal


async def withhold_seal(
    session: AsyncSession, actor: Actor, object_type: ObjectType, object_id: uuid.UUID
) -> bool:
    """The procedure ended without opening (a failed tender): its sealed documents are never
    opened — the database refuses it from now on. True if this call withheld it."""
    withheld = await session.scalar(
        update(DocumentSeal)
        .where(
            DocumentSeal.tenant_id == actor.tenant,
            DocumentSeal.object_type == object_type.value,
            DocumentSeal.object_id == object_id,
            DocumentSeal.released_at.is_(None),
            DocumentSeal.withheld_at.is_(None),
        )
        .values(withheld_at=func.now())
        .returning(DocumentSeal.withheld_at)
    )
    if withheld is None:
        return False
    await record(
        session,
        actor,
        "document_seal.withheld",
        "document_seal",
        f"{object_type.value}:{object_id}",
        after={"withheld_at": withheld},
    )
    return True


async def open_seal(
    session: AsyncSession, actor: Actor, object_type: str, object_id: uuid.UUID
) -> bool:
    """Open a procedure's seal if its time has come (by the database's clock); True if this
    call opened it. Opening early is refused by the database as well."""
    opened = (
        await session.execute(
            update(DocumentSeal)
            .where(
                DocumentSeal.tenant_id == actor.tenant,
                DocumentSeal.object_type == object_type,
                DocumentSeal.object_id == object_id,
                DocumentSeal.released_at.is_(None),
                DocumentSeal.withheld_at.is_(None),
                DocumentSeal.sealed_until <= func.now(),
            )
            .values(released_at=func.now())
            .returning(DocumentSeal.sealed_until, DocumentSeal.released_at)
        )
    ).first()
    if opened is None:
        return False
    await record(
        session,
        actor,
        "document_seal.opened",
        "document_seal",
        f"{object_type}:{object_id}",
        before={"sealed_until": opened.sealed_until},
        after={"opened_at": opened.released_at},
    )
    log.info("document_seal_opened", object_type=object_type, object_id=str(object_id))
    return True


# --- uploads -----------------------------------------------------------------------------------


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
    await check_object(session, viewer, object_type, object_id)
    seal = data_key = None
    policy = seal_policy(object_type.value)
    if policy is not None:
        # The server decides this seal: a client's time could only be wrong or early.
        if sealed_until is not None:
            raise InvalidField(
                f"is set by the server for {object_type.value} documents (they open with "
                "their procedure); leave it out",
                field="sealed_until",
            )
        until = await policy.sealed_until(session, actor, object_id)
        seal = await seal_for_upload(
            session,
            settings,
            actor,
            object_type,
            object_id,
            until,
            opened_by_owner=policy.opened_by_owner,
        )
        data_key = _data_key(settings, seal)
    elif sealed_until is not None:
        if not sealable(object_type.value):
            kinds = " and ".join(sealable_kinds())
            raise InvalidField(f"only {kinds} documents are sealed", field="sealed_until")
        seal = await seal_for_upload(session, settings, actor, object_type, object_id, sealed_until)
        data_key = _data_key(settings, seal)
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
    policy = seal_policy(document.object_type)
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
        data_key = _data_key(settings, seal)
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


def _mib(size: int) -> str:
    return f"{size / 1048576:g} MiB"


class _Tail:
    """The last ``limit`` bytes of a stream, without copying the stream."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._chunks: collections.deque[bytes] = collections.deque()
        self._size = 0

    def add(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        while self._chunks and self._size - len(self._chunks[0]) >= self._limit:
            self._size -= len(self._chunks.popleft())

    def bytes(self) -> bytes:
        return b"".join(self._chunks)[-self._limit :]


def _family(head: bytes) -> FileKind:
    kind = filetypes.sniff(head)
    if kind is None:
        allowed = ", ".join(k.value for k in FileKind)
        raise FileTypeNotAllowed(
            f"is not one of the allowed types ({allowed}), judged by its content", field="file"
        )
    return kind


async def receive(
    storage: Storage, plan: UploadPlan, body: AsyncIterator[bytes], max_bytes: int
) -> Received:
    """Stream the body to the store: type checked on the first bytes, SHA-256 computed on the
    way, sealed content encrypted on the way. A full part goes up (and is hashed) in worker
    threads while the body keeps arriving into the next one: at most one part in flight and
    one filling, so memory stays at a few parts however large the file. Returns once the
    object is durable in the store; on any failure nothing is left there."""
    loop = asyncio.get_running_loop()
    sealer = sealing.Sealer(plan.data_key, plan.storage_key) if plan.data_key else None
    content_hash = hashlib.sha256()
    # Unsealed, the stored bytes are the content: one digest serves both.
    stored_hash = hashlib.sha256() if sealer else content_hash
    tail = _Tail(filetypes.TAIL_BYTES)
    head = bytearray()
    kind: FileKind | None = None
    size = stored_size = 0
    part: list[bytes] = []
    part_size = 0
    upload: MultipartUpload | None = None
    sending: collections.deque[asyncio.Future[None]] = collections.deque()  # parts going up
    hashing: asyncio.Future[None] | None = None  # the stored digest's update, in part order
    stored = False

    async def settle(in_flight: int = 0) -> None:
        """Wait until at most ``in_flight`` parts are going up and the digest has caught up
        (their errors surface here)."""
        nonlocal hashing
        while len(sending) > in_flight:
            await sending.popleft()
        if hashing is not None:
            hashed, hashing = hashing, None
            await hashed

    async def flush() -> bytes:
        """The filled part as one buffer, its digest update started in a worker thread."""
        nonlocal part_size, hashing
        # A part's buffer is released once it is up, before another is joined.
        await settle(PARTS_IN_FLIGHT - 1)
        payload = b"".join(part)
        part.clear()
        part_size = 0
        hashing = loop.run_in_executor(None, stored_hash.update, payload)
        return payload

    async def store(data: bytes) -> None:
        nonlocal stored_size, part_size, upload
        if not data:
            return
        stored_size += len(data)
        part.append(data)
        part_size += len(data)
        if part_size >= PART_BYTES:
            if upload is None:
                upload = await storage.start_multipart(plan.storage_key, STORED_CONTENT_TYPE)
            payload = await flush()
            sending.append(asyncio.ensure_future(upload.upload_part(payload)))

    async def take(data: bytes) -> None:
        if sealer is not None:
            content_hash.update(data)
        if kind is FileKind.zip:
            tail.add(data)
        await store(sealer.feed(data) if sealer else data)

    try:
        async for chunk in body:
            if not chunk:
                continue
            size += len(chunk)
            if size > max_bytes:
                raise DocumentTooLarge(
                    f"Documents may be at most {_mib(max_bytes)} ({max_bytes} bytes).",
                    max_bytes=max_bytes,
                )
            if kind is None:
                head += chunk
                if len(head) < filetypes.SNIFF_BYTES:
                    continue
                kind = _family(bytes(head))
                chunk, head = bytes(head), bytearray()
            await take(chunk)
        if kind is None:
            if not head:
                raise EmptyFile("is empty", field="file")
            kind = _family(bytes(head))
            await take(bytes(head))
        if sealer is not None:
            await store(sealer.finish())

        names: list[str] | None = None
        if kind is FileKind.zip:
            names = await _zip_names_from_tail(size, tail.bytes())
        last = await flush()
        await settle()
        if upload is None:
            await storage.put(plan.storage_key, last, STORED_CONTENT_TYPE)
        else:
            if last:
                await upload.upload_part(last)
            await upload.complete()
        stored = True
        if kind is FileKind.zip:
            if names is None:  # a large central directory: read it back from the store
                names = await _zip_names_from_store(storage, plan, size, tail.bytes())
            kind = filetypes.zip_kind(names)
    except BaseException:
        for pending in (*sending, hashing):
            if pending is not None:  # let the threads finish before the upload is dropped
                with contextlib.suppress(BaseException):
                    await asyncio.shield(pending)
        if stored:
            await _forget(storage, plan.storage_key)
        elif upload is not None:
            await upload.abort()
        raise
    return Received(
        size=size,
        sha256=content_hash.hexdigest(),
        kind=kind,
        stored_size=stored_size,
        stored_sha256=stored_hash.hexdigest(),
    )


def _damaged(detail: str) -> FileTypeNotAllowed:
    return FileTypeNotAllowed(detail, field="file")


async def _zip_names_from_tail(size: int, tail: bytes) -> list[str] | None:
    try:
        return await asyncio.to_thread(filetypes.zip_names, size, tail)
    except filetypes.OutsideTail:
        return None
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _damaged("is a damaged ZIP archive") from None


async def _zip_names_from_store(
    storage: Storage, plan: UploadPlan, size: int, tail: bytes
) -> list[str]:
    key = plan.storage_key

    def fetch(start: int, end: int) -> bytes:
        return storage.read_range_sync(key, start, end)

    if plan.data_key is not None:
        opener = sealing.Opener(plan.data_key, key, size)

        def fetch_sealed(start: int, end: int) -> bytes:
            return opener.read_range(start, end, fetch)

        reader = fetch_sealed
    else:
        reader = fetch
    try:
        return await asyncio.to_thread(filetypes.zip_names, size, tail, reader)
    except filetypes.DirectoryTooLarge:
        raise _damaged("is a ZIP archive with too many entries") from None
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _damaged("is a damaged ZIP archive") from None


async def _forget(storage: Storage, key: str) -> None:
    """Remove an object that no committed row names (best effort)."""
    try:
        await storage.delete(key)
    except Exception as exc:
        log.warning("orphan_object_left", key=key, error=str(exc))


async def discard(storage: Storage, plan: UploadPlan) -> None:
    """The upload was stored but could not be recorded: drop the object."""
    await _forget(storage, plan.storage_key)


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
        policy = seal_policy(plan.object_type.value)
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


# --- downloads ---------------------------------------------------------------------------------


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
    opener = sealing.Opener(_data_key(settings, seal), version.storage_key, version.size)
    frames = storage.chunks(version.storage_key, sealing.FRAME)
    return Content(
        version=version,
        filename=filetypes.download_name(version.filename, FileKind(version.kind)),
        chunks=opener.stream(frames),
    )


# --- verification (a job) ------------------------------------------------------------------


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
