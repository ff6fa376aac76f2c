"""The document store: S3 through boto3, kept off the event loop.

boto3 is synchronous, so every call that talks to the store runs in a worker thread
(``asyncio.to_thread``). Large objects go up as multipart uploads, part by part, so a process
holds a few parts in memory at a time however large the object; they come down as ranges or as
a stream of chunks. Downloads by users never pass through here: they get presigned URLs.

The client reaches the store at ``S3_ENDPOINT_URL`` (SeaweedFS in development and tests, any
S3 in production). Presigned URLs are signed for ``S3_PUBLIC_ENDPOINT_URL`` when that is set,
because the signature covers the host the user's browser will call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import boto3
import structlog
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from services.kit.errors import DomainError
from services.kit.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = structlog.get_logger(__name__)
T = TypeVar("T")

# S3's smallest part (but the last) is 5 MiB; 8 MiB halves the requests and stays small.
PART_BYTES = 8 * 1024 * 1024
READ_CHUNK = 1024 * 1024


class StorageUnavailable(DomainError):
    status = 503
    code = "storage_unavailable"
    title = "Document store unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": "5"})  # as a database outage answers


class ObjectMissing(Exception):
    """The key names no object (it was deleted, or never completed)."""


def _client(settings: Settings, endpoint: str | None) -> S3Client:
    config = Config(
        signature_version="s3v4",
        # SeaweedFS and most S3-compatible stores want path-style addressing; AWS accepts it.
        s3={"addressing_style": "path" if endpoint else "auto"},
        retries={"max_attempts": 4, "mode": "standard"},
        max_pool_connections=32,
        connect_timeout=5,
        read_timeout=60,
        # Content integrity is ours (SHA-256 recorded at upload and re-checked by a job);
        # trailing checksums are something many S3-compatible stores do not speak.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    keys: dict[str, Any] = {}
    if settings.s3_access_key:  # else boto3's own chain: environment, instance role …
        keys = {
            "aws_access_key_id": settings.s3_access_key,
            "aws_secret_access_key": settings.s3_secret_key,
        }
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint or None, region_name=settings.s3_region, config=config, **keys
    )


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str


@dataclass
class MultipartUpload:
    """One object going up part by part. ``complete`` makes it durable; ``abort`` drops it."""

    storage: Storage
    key: str
    upload_id: str
    parts: list[CompletedPartTypeDef] = field(default_factory=list)
    _numbered: int = 0

    async def upload_part(self, data: bytes) -> None:
        """Parts are numbered in the order of the calls, which may overlap."""
        self._numbered += 1
        number = self._numbered
        response = await self.storage.call(
            lambda c: c.upload_part(
                Bucket=self.storage.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=data,
            )
        )
        self.parts.append({"ETag": response["ETag"], "PartNumber": number})

    async def complete(self) -> None:
        await self.storage.call(
            lambda c: c.complete_multipart_upload(
                Bucket=self.storage.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": sorted(self.parts, key=lambda p: p["PartNumber"])},
            )
        )

    async def abort(self) -> None:
        """Best effort: a failed abort leaves parts that the store's lifecycle rules expire."""
        try:
            await self.storage.call(
                lambda c: c.abort_multipart_upload(
                    Bucket=self.storage.bucket, Key=self.key, UploadId=self.upload_id
                )
            )
        except StorageUnavailable:
            log.warning("multipart_abort_failed", key=self.key)


class Storage:
    """One bucket of the document store."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self._client = _client(settings, settings.s3_endpoint_url)
        public = settings.s3_public_endpoint_url
        self._presigner = _client(settings, public) if public else self._client
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    # --- plumbing ------------------------------------------------------------------------

    def run(self, fn: Callable[[S3Client], T]) -> T:
        """Call boto3 in this thread; store errors become StorageUnavailable."""
        try:
            return fn(self._client)
        except ClientError as exc:
            if _not_found(exc):
                raise ObjectMissing(str(exc)) from exc
            log.warning("storage_error", error=str(exc))
            raise StorageUnavailable("The document store refused the request; try again.") from exc
        except BotoCoreError as exc:
            log.warning("storage_error", error=str(exc))
            raise StorageUnavailable("The document store cannot be reached; try again.") from exc

    async def call(self, fn: Callable[[S3Client], T]) -> T:
        """Call boto3 in a worker thread, never on the event loop."""
        return await asyncio.to_thread(self.run, fn)

    def ensure_bucket_sync(self) -> None:
        with self._bucket_lock:
            if self._bucket_ready:
                return
            try:
                self._client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if not _not_found(exc):
                    raise StorageUnavailable(f"Bucket {self.bucket}: {exc}") from exc
                self.run(lambda c: c.create_bucket(Bucket=self.bucket))
                log.info("bucket_created", bucket=self.bucket)
            except BotoCoreError as exc:
                raise StorageUnavailable(f"The document store cannot be reached: {exc}") from exc
            self._bucket_ready = True

    async def ensure_bucket(self) -> None:
        if not self._bucket_ready:
            await asyncio.to_thread(self.ensure_bucket_sync)

    # --- writing -------------------------------------------------------------------------

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self.ensure_bucket()
        await self.call(
            lambda c: c.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        )

    async def start_multipart(self, key: str, content_type: str) -> MultipartUpload:
        await self.ensure_bucket()
        response = await self.call(
            lambda c: c.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type
            )
        )
        return MultipartUpload(self, key, response["UploadId"])

    async def delete(self, key: str) -> None:
        await self.call(lambda c: c.delete_object(Bucket=self.bucket, Key=key))

    # --- reading -------------------------------------------------------------------------

    async def head(self, key: str) -> ObjectInfo:
        response = await self.call(lambda c: c.head_object(Bucket=self.bucket, Key=key))
        return ObjectInfo(size=response["ContentLength"], etag=response["ETag"])

    def read_range_sync(self, key: str, start: int, end: int) -> bytes:
        """Bytes [start, end) of an object, in the calling thread."""
        if end <= start:
            return b""
        return self.run(
            lambda c: c.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end - 1}")[
                "Body"
            ].read()
        )

    async def read_range(self, key: str, start: int, end: int) -> bytes:
        return await asyncio.to_thread(self.read_range_sync, key, start, end)

    async def chunks(self, key: str, size: int = READ_CHUNK) -> AsyncIterator[bytes]:
        """The object from start to end, ``size`` bytes at a time (the last one shorter)."""
        response = await self.call(lambda c: c.get_object(Bucket=self.bucket, Key=key))
        body = response["Body"]
        try:
            while True:
                chunk = await asyncio.to_thread(_read_exactly, body, size)
                if not chunk:
                    return
                yield chunk
        finally:
            await asyncio.to_thread(body.close)

    # --- links ---------------------------------------------------------------------------

    def presigned_get(self, key: str, seconds: int, filename: str, content_type: str) -> str:
        """A URL that fetches the object for ``seconds``, named and typed for the browser.
        Signing is local: no request to the store."""
        return self._presigner.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition(filename),
            },
            ExpiresIn=seconds,
        )


def _read_exactly(body: Any, size: int) -> bytes:
    """Up to ``size`` bytes; fewer only at the end of the object."""
    parts: list[bytes] = []
    wanted = size
    while wanted:
        chunk = body.read(wanted)
        if not chunk:
            break
        parts.append(chunk)
        wanted -= len(chunk)
    return b"".join(parts)


def _not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code") in {"404", "NoSuchKey", "NoSuchBucket", "NotFound"} or status == 404


def content_disposition(filename: str, fallback: str | None = None) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). The fallback
    is the name with its other characters as ``_`` unless the caller names one of its own."""
    fallback = "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in fallback or filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


_STORES: dict[tuple[str, str, str, str, str], Storage] = {}
_STORES_LOCK = threading.Lock()


def storage_for(settings: Settings) -> Storage:
    """One client per store and bucket in a process (boto3 clients are thread-safe)."""
    key = (
        settings.s3_endpoint_url,
        settings.s3_public_endpoint_url,
        settings.s3_bucket,
        settings.s3_access_key,
        settings.s3_region,
    )
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = Storage(settings)
        return store
