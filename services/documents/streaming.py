"""An upload's body, streamed to the store: its type judged by content, its SHA-256 computed
and, when sealed, its content encrypted on the way, in memory of a few parts whatever its size.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import zipfile
from collections.abc import AsyncIterator

import structlog

from services.documents import filetypes, sealing
from services.documents.errors import DocumentTooLarge, EmptyFile, FileTypeNotAllowed
from services.documents.schemas import FileKind
from services.documents.upload import Received, UploadPlan
from services.kit.storage import PART_BYTES, MultipartUpload, Storage

log = structlog.get_logger(__name__)

STORED_CONTENT_TYPE = "application/octet-stream"
# Parts going up while the next one fills, each PART_BYTES of memory. More did not measure
# faster against SeaweedFS on two cores (make bench, part 4).
PARTS_IN_FLIGHT = 1


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
