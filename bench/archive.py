"""Part 7: archive building MB/s, against a raw boto3 copy of the same objects, and its memory.

A project's documents — BENCH_ARCHIVE_MB (200) MiB in files of 8 MiB, incompressible — are put
in the store (S3_ENDPOINT_URL, else an embedded SeaweedFS, as part 4). Baseline: boto3 reads
each object and writes it to a new key, one at a time, in 8 MiB parts (``get_object`` streamed
into ``upload_fileobj``, boto3's default threads): the least any archive must do, since it too
reads every byte from the store and writes it back. Target: the archive's own zip writer
(``services.archive.building.write_zip``) streaming the same objects into one zip as a
multipart upload, SHA-256 of every file and of the zip included. Both take turns for
BENCH_ARCHIVE_ROUNDS (2) rounds; medians are compared (target ratio ≥ 0.5).

Memory: the peak traced by ``tracemalloc`` during one build of a quarter of the documents and
during one build of all of them: flat means about the same peak, whatever the size.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import statistics
import time
import tracemalloc
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench import upload
from services.archive.building import write_zip
from services.archive.manifest import Entry
from services.archive.sections import Member, StoredMember
from services.documents.service import FiledVersion
from services.kit.settings import Settings
from services.kit.storage import Storage

TARGET_RATIO = 0.5
MIB = 1024 * 1024
FILE_BYTES = 8 * MIB


@dataclass(frozen=True)
class ArchiveReport:
    size: int
    baseline_seconds: list[float]
    target_seconds: list[float]
    small_peak: int
    large_peak: int
    store: str

    def _mb_per_s(self, seconds: list[float]) -> float:
        return self.size / 1e6 / statistics.median(seconds)

    @property
    def baseline(self) -> float:
        return self._mb_per_s(self.baseline_seconds)

    @property
    def target(self) -> float:
        return self._mb_per_s(self.target_seconds)

    @property
    def ratio(self) -> float:
        return self.target / self.baseline


class _Quiet:
    """Progress as the build counts it, written nowhere."""

    files_done = 0
    bytes_done = 0

    async def update(self, *, force: bool = False, **values: Any) -> None:
        return None


def _members(keys: list[tuple[str, str]], size: int) -> list[Member]:
    now = datetime.now(UTC)
    return [
        StoredMember(
            f"documents/{n:04d}.pdf",
            FiledVersion(
                tenant="000000",
                document_id=uuid.uuid4(),
                version=1,
                object_type="tender",
                object_id=uuid.uuid4(),
                title="bench",
                filename=f"{n:04d}.pdf",
                content_type="application/pdf",
                size=size,
                sha256=digest,
                uploaded_at=now,
                confidential=False,
                readable=True,
                storage_key=key,
                encrypted=False,
            ),
        )
        for n, (key, digest) in enumerate(keys)
    ]


async def _build(storage: Storage, members: list[Member]) -> float:
    key = f"bench/archives/{uuid.uuid4()}.zip"
    started = time.perf_counter()
    multipart = await storage.start_multipart(key, "application/zip")

    def chunks_of(member: Member) -> Any:
        assert isinstance(member, StoredMember)
        return storage.chunks(member.filed.storage_key)

    def manifest_of(entries: list[Entry]) -> dict[str, Any]:
        return {"files": [e.path for e in entries]}

    await write_zip(multipart, members, chunks_of, manifest_of, _Quiet())
    seconds = time.perf_counter() - started
    await storage.delete(key)
    return seconds


def _copy(client: Any, bucket: str, keys: list[str]) -> float:
    started = time.perf_counter()
    for key in keys:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        client.upload_fileobj(body, bucket, f"{key}.copy")
    seconds = time.perf_counter() - started
    for key in keys:
        client.delete_object(Bucket=bucket, Key=f"{key}.copy")
    return seconds


async def _peak(storage: Storage, members: list[Member]) -> int:
    tracemalloc.start()
    try:
        await _build(storage, members)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run() -> ArchiveReport:
    total = int(os.environ.get("BENCH_ARCHIVE_MB", "200")) * MIB
    rounds = int(os.environ.get("BENCH_ARCHIVE_ROUNDS", "2"))
    with ExitStack() as stack:
        store = upload._store(stack)
        client = upload._client(store)
        upload._ensure_bucket(client, store.bucket)
        block = os.urandom(FILE_BYTES)
        count = max(1, total // FILE_BYTES)
        keys: list[tuple[str, str]] = []
        for n in range(count):
            body = n.to_bytes(8, "big") + block[8:]  # each file its own bytes
            key = f"bench/archive-docs/{uuid.uuid4()}"
            client.put_object(Bucket=store.bucket, Key=key, Body=body)
            keys.append((key, hashlib.sha256(body).hexdigest()))
        settings = Settings(
            s3_endpoint_url=store.endpoint,
            s3_public_endpoint_url="",
            s3_access_key=store.access_key,
            s3_secret_key=store.secret_key,
            s3_bucket=store.bucket,
            s3_region=store.region,
        )
        storage = Storage(settings)
        members = _members(keys, FILE_BYTES)
        try:
            baseline: list[float] = []
            target: list[float] = []
            for _ in range(rounds):
                baseline.append(_copy(client, store.bucket, [k for k, _ in keys]))
                target.append(asyncio.run(_build(storage, members)))
            small = asyncio.run(_peak(storage, members[: max(1, count // 4)]))
            large = asyncio.run(_peak(storage, members))
        finally:
            for key, _ in keys:
                client.delete_object(Bucket=store.bucket, Key=key)
        return ArchiveReport(count * FILE_BYTES, baseline, target, small, large, store.label)
