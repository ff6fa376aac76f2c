"""Part 4: upload MB/s through the API's document route, against a raw boto3 upload.

Both sides send the same bytes (a PDF header, then incompressible filler, generated as they
go: nothing is read from disk) to the same bucket of the same S3: S3_ENDPOINT_URL (with the
S3_* settings) if set, otherwise a SeaweedFS started here with its data in a temporary
directory. The API is the server of part 1 (one granian worker, ``bench.app``) with the
document settings; it streams the body to S3 as it arrives, part by part.

Baseline: ``upload_fileobj`` of boto3 from this process, from the generator, in parts of the
API's size (8 MiB), timed two ways: with boto3's default 10 threads, and one part at a time
(as the API sends them); the faster median is the baseline. The client has the API's
configuration (path-style, checksums only when required). Target: one
``POST /v1/tenants/{tenant}/documents`` whose body is the generator (httpx, chunked as it is
produced, with the Content-Length), timed until the 201; its SHA-256 and size are checked.
A small upload on each side warms the clients and pools first; then the three take turns
for BENCH_UPLOAD_ROUNDS rounds, and the medians are compared. Every object is deleted after
its upload.
"""

from __future__ import annotations

import hashlib
import io
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import httpx
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from bench import processes, server
from services.entry.local_servers import start_s3
from services.kit.settings import DEV_S3_ACCESS_KEY, DEV_S3_SECRET_KEY, Settings
from services.kit.storage import PART_BYTES

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

TARGET_RATIO = 0.7
MIB = 1024 * 1024
CHUNK = MIB  # what the generator yields at a time
BLOCK = 8 * MIB  # random bytes, repeated: incompressible, and cheap to produce
WARMUP_BYTES = PART_BYTES + MIB  # one multipart upload of two parts on each side
EMBEDDED_BUCKET = "sws-bench"
PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n% sws bench upload\n"


@dataclass(frozen=True)
class Store:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    region: str
    label: str

    def server_env(self, max_bytes: int) -> dict[str, str]:
        return {
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_PUBLIC_ENDPOINT_URL": "",
            "S3_ACCESS_KEY": self.access_key,
            "S3_SECRET_KEY": self.secret_key,
            "S3_BUCKET": self.bucket,
            "S3_REGION": self.region,
            "DOCUMENT_MAX_BYTES": str(max_bytes),
        }


@dataclass(frozen=True)
class UploadReport:
    store: str
    size: int
    rounds: int
    threaded_seconds: list[float]  # boto3 upload_fileobj, its 10 threads
    sequential_seconds: list[float]  # boto3 upload_fileobj, one part at a time
    target_seconds: list[float]  # through the API

    def mb_per_s(self, seconds: list[float]) -> float:
        median = statistics.median(seconds)
        return self.size / 1e6 / median if median > 0 else 0.0

    @property
    def threaded(self) -> float:
        return self.mb_per_s(self.threaded_seconds)

    @property
    def sequential(self) -> float:
        return self.mb_per_s(self.sequential_seconds)

    @property
    def baseline(self) -> float:
        """The faster way of boto3's: the stricter baseline."""
        return max(self.threaded, self.sequential)

    @property
    def target(self) -> float:
        return self.mb_per_s(self.target_seconds)

    @property
    def ratio(self) -> float:
        return self.target / self.baseline if self.baseline else 0.0


def payload(size: int, block: bytes) -> Iterator[bytes]:
    """``size`` bytes of a would-be PDF, CHUNK at a time."""
    sent = 0
    first = PDF_HEADER + block[: CHUNK - len(PDF_HEADER)]
    while sent < size:
        if sent == 0:
            chunk = first
        else:
            offset = sent % len(block)
            chunk = block[offset : offset + CHUNK]
        chunk = chunk[: size - sent]
        sent += len(chunk)
        yield chunk


class GeneratorFile(io.RawIOBase):
    """A read-only, non-seekable file over ``payload``: what upload_fileobj reads."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not self._pending:
            self._pending = next(self._chunks, b"")
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _store(stack: ExitStack) -> Store:
    configured = os.environ.get("S3_ENDPOINT_URL")
    if configured:
        settings = Settings()
        return Store(
            configured,
            settings.s3_access_key,
            settings.s3_secret_key,
            settings.s3_bucket,
            settings.s3_region,
            f"S3_ENDPOINT_URL, bucket {settings.s3_bucket}",
        )
    data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sws-bench-s3-")))
    s3 = start_s3(data, DEV_S3_ACCESS_KEY, DEV_S3_SECRET_KEY, bucket=EMBEDDED_BUCKET)
    stack.callback(s3.stop)
    return Store(
        s3.endpoint_url,
        DEV_S3_ACCESS_KEY,
        DEV_S3_SECRET_KEY,
        EMBEDDED_BUCKET,
        "us-east-1",
        f"embedded SeaweedFS (temporary directory), bucket {EMBEDDED_BUCKET}",
    )


def _client(store: Store) -> S3Client:
    """boto3 as the API configures it (services.kit.storage): path-style addressing, no
    checksums beyond what S3 requires, a pool as large as boto3's transfer threads."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"max_attempts": 4, "mode": "standard"},
        max_pool_connections=32,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=store.endpoint,
        region_name=store.region,
        aws_access_key_id=store.access_key,
        aws_secret_access_key=store.secret_key,
        config=config,
    )


def _ensure_bucket(client: S3Client, bucket: str) -> None:
    """The API creates its bucket at first use; boto3 goes first here, so it does it."""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
            raise
        client.create_bucket(Bucket=bucket)


def _timed_boto3(
    client: S3Client, store: Store, size: int, block: bytes, *, threads: bool
) -> float:
    key = f"bench/raw/{uuid.uuid4().hex}"
    transfer = TransferConfig(
        multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, use_threads=threads
    )
    started = time.perf_counter()
    source = io.BufferedReader(GeneratorFile(payload(size, block)), buffer_size=CHUNK)
    client.upload_fileobj(source, store.bucket, key, Config=transfer)
    seconds = time.perf_counter() - started
    stored = client.head_object(Bucket=store.bucket, Key=key)["ContentLength"]
    client.delete_object(Bucket=store.bucket, Key=key)
    if stored != size:
        raise RuntimeError(f"boto3 stored {stored} bytes, not {size}")
    return seconds


def _timed_api(
    api: server.Granian,
    client: S3Client,
    store: Store,
    token: str,
    size: int,
    block: bytes,
    sha256: str,
) -> float:
    object_id = uuid.uuid4()
    path = f"/v1/tenants/{server.TENANT[0]}/documents"
    params = {"object_type": "report", "object_id": str(object_id), "filename": "bench.pdf"}
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/pdf",
        "Content-Length": str(size),
    }
    with httpx.Client(base_url=api.base_url, trust_env=False, timeout=600) as http:
        started = time.perf_counter()
        response = http.post(path, params=params, headers=headers, content=payload(size, block))
        seconds = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"upload: {response.status_code} {response.text[:500]}")
    version = response.json()["versions"][-1]
    # The object's key starts with tenant/object type/object id (services.documents).
    prefix = f"{server.TENANT[0]}/report/{object_id}/"
    for item in client.list_objects_v2(Bucket=store.bucket, Prefix=prefix).get("Contents", []):
        client.delete_object(Bucket=store.bucket, Key=item["Key"])
    if version["size"] != size or version["sha256"] != sha256:
        raise RuntimeError(f"the API recorded {version['size']} bytes, sha256 {version['sha256']}")
    return seconds


def run(database_url: str, log_level: str) -> UploadReport:
    size = int(float(os.environ.get("BENCH_UPLOAD_MB", "150")) * MIB)
    rounds = int(os.environ.get("BENCH_UPLOAD_ROUNDS", "3"))
    if not MIB <= size <= 2048 * MIB or not 1 <= rounds <= 10:
        raise SystemExit("BENCH_UPLOAD_MB must be 1..2048 and BENCH_UPLOAD_ROUNDS 1..10")
    block = os.urandom(BLOCK)
    digest = hashlib.sha256()
    for chunk in payload(size, block):
        digest.update(chunk)
    sha256 = digest.hexdigest()
    with ExitStack() as stack:
        store = _store(stack)
        client = _client(store)
        _ensure_bucket(client, store.bucket)
        api = stack.enter_context(
            server.granian(database_url, log_level, store.server_env(max(size, WARMUP_BYTES)))
        )
        token = server.sign_in(api, server.UPLOADER_LOGIN)
        warm_block = os.urandom(BLOCK)
        warm_digest = hashlib.sha256(b"".join(payload(WARMUP_BYTES, warm_block))).hexdigest()
        _timed_boto3(client, store, WARMUP_BYTES, warm_block, threads=True)
        _timed_api(api, client, store, token, WARMUP_BYTES, warm_block, warm_digest)
        threaded: list[float] = []
        sequential: list[float] = []
        target: list[float] = []
        for _ in range(rounds):
            threaded.append(_timed_boto3(client, store, size, block, threads=True))
            sequential.append(_timed_boto3(client, store, size, block, threads=False))
            target.append(_timed_api(api, client, store, token, size, block, sha256))
        if processes.exited(api.process):
            raise RuntimeError(f"granian exited during the run:\n{api.log_tail()}")
    return UploadReport(store.label, size, rounds, threaded, sequential, target)
