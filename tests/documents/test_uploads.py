"""Uploads: streamed to the store and durable before the 201, typed by their content and never by
their name, held to the size limit in bounded memory."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import psutil
import pytest

from services.documents import sealing
from services.kit.settings import Settings
from tests.support.client import Client, Headers
from tests.support.demo import GZ
from tests.support.documents import (
    DOCX,
    EXE,
    JPG,
    OFD,
    PNG,
    XLSX,
    ZIP,
    MiB,
    audit_actions,
    chunks,
    doc_path,
    fetch,
    fresh_object,
    pdf,
    pending_multipart,
    sha,
    storage_key,
    stored_keys,
    upload,
    zip_of,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


# --- uploading ------------------------------------------------------------------------------------


async def test_upload_stores_the_file_and_records_what_it_is(
    client: Client,
    who: dict[str, Headers],
    bucket: S3Client,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    body = pdf(b"upload-check")
    project = await fresh_object("project", GZ)
    response = await upload(
        client, who["civil_affairs_officer"], body, object_id=project, title="项目申报书"
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert (doc["object_type"], doc["object_id"], doc["title"]) == (
        "project",
        str(project),
        "项目申报书",
    )
    assert doc["confidential"] is False and doc["sealed"] is False
    assert doc["current_version"] == 1
    (version,) = doc["versions"]
    assert version["kind"] == "pdf" and version["content_type"] == "application/pdf"
    assert version["size"] == len(body) and version["sha256"] == sha(body)
    assert version["filename"] == "材料.pdf" and version["verification"] == "pending"
    # Durable before the 201: the object is in the bucket, byte for byte.
    key = await storage_key(admin_db, doc["id"])
    assert key.startswith(f"{GZ}/project/{project}/{doc['id']}/")
    stored = bucket.get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    assert stored == body
    assert await audit_actions(admin_db, doc["id"]) == ["document.uploaded"]
    # Readable back through the API.
    again = await client.get(doc_path(doc["id"]), headers=who["civil_affairs_officer"])
    assert again.status_code == 200 and again.json() == doc


@pytest.mark.parametrize("role", ["expert", "evaluator", "tenant_admin", "province_viewer"])
async def test_upload_needs_the_permission(
    client: Client, who: dict[str, Headers], role: str
) -> None:
    response = await upload(client, who[role], pdf())
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"


# --- type by content ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "filename", "kind", "saved_as"),
    [
        (PNG, "扫描件.pdf", "png", "扫描件.png"),  # named PDF, is PNG: stored as what it is
        (JPG, "photo", "jpg", "photo.jpg"),
        (DOCX, "合同.docx", "docx", "合同.docx"),
        (XLSX, "预算表.zip", "xlsx", "预算表.xlsx"),
        (OFD, "批复.ofd", "ofd", "批复.ofd"),
        (ZIP, "附件.zip", "zip", "附件.zip"),
        (pdf(), "report.PDF", "pdf", "report.PDF"),
    ],
    ids=["png-named-pdf", "jpg", "docx", "xlsx-named-zip", "ofd", "zip", "pdf"],
)
async def test_type_is_judged_by_content(
    client: Client,
    who: dict[str, Headers],
    body: bytes,
    filename: str,
    kind: str,
    saved_as: str,
) -> None:
    officer = who["civil_affairs_officer"]
    response = await upload(client, officer, body, filename=filename)
    assert response.status_code == 201, response.text
    version = response.json()["versions"][0]
    assert (version["kind"], version["filename"]) == (kind, filename)
    link = await client.get(doc_path(response.json()["id"]) + "/download", headers=officer)
    assert link.json()["filename"] == saved_as
    fetched = await fetch(link.json()["url"])
    assert fetched.status_code == 200 and fetched.content == body
    assert fetched.headers["content-type"] == version["content_type"]


@pytest.mark.parametrize(
    ("body", "filename", "code"),
    [
        (EXE, "中标通知书.pdf", "file_type_not_allowed"),  # a program, renamed
        (b"just some text, not a document\n" * 10, "说明.pdf", "file_type_not_allowed"),
        (b"GIF89a" + b"\0" * 100, "图.png", "file_type_not_allowed"),
        (b"PK\x03\x04" + b"\x14" * 300, "坏的.docx", "file_type_not_allowed"),  # damaged zip
        (b"", "空.pdf", "file_empty"),
    ],
    ids=["exe-named-pdf", "text", "gif", "damaged-zip", "empty"],
)
async def test_other_types_are_refused_and_nothing_is_stored(
    client: Client,
    who: dict[str, Headers],
    bucket: S3Client,
    settings: Settings,
    body: bytes,
    filename: str,
    code: str,
) -> None:
    project = await fresh_object("project", GZ)
    response = await upload(
        client, who["civil_affairs_officer"], body, object_id=project, filename=filename
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code
    assert [e["field"] for e in problem["errors"]] == ["file"]
    assert stored_keys(bucket, settings, f"{GZ}/project/{project}/") == []


async def test_a_large_central_directory_is_read_back_from_the_store(
    client: Client, who: dict[str, Headers]
) -> None:
    """A DOCX whose directory does not fit the kept tail is still told from a plain ZIP."""
    names = ["[Content_Types].xml", "word/document.xml"]
    names += [f"word/media/image-with-a-long-name-{i:05d}.png" for i in range(15000)]
    body = zip_of(*names)
    assert len(body) > 2 * MiB
    response = await upload(client, who["civil_affairs_officer"], body, filename="大文档")
    assert response.status_code == 201, response.text
    assert response.json()["versions"][0]["kind"] == "docx"


# --- size -----------------------------------------------------------------------------------------


async def test_an_upload_over_the_limit_is_413_and_leaves_nothing(
    small: httpx.AsyncClient,
    who: dict[str, Headers],
    bucket: S3Client,
    settings: Settings,
) -> None:
    project = await fresh_object("project", GZ)
    # Announced by Content-Length: refused before reading.
    response = await upload(
        small, who["civil_affairs_officer"], pdf(size=MiB + 1), object_id=project
    )
    assert response.status_code == 413, response.text
    problem = response.json()
    assert problem["code"] == "document_too_large"
    assert problem["max_bytes"] == MiB and str(MiB) in problem["detail"]
    # Streamed without a length, over several parts: refused once the limit is passed.
    streamed = await upload(
        small, who["civil_affairs_officer"], chunks(pdf(), 3 * MiB), object_id=project
    )
    assert streamed.status_code == 413, streamed.text
    assert streamed.headers["content-type"].startswith("application/problem+json")
    assert streamed.json()["code"] == "document_too_large"
    prefix = f"{GZ}/project/{project}/"
    assert stored_keys(bucket, settings, prefix) == []
    assert pending_multipart(bucket, settings, prefix) == []
    # Exactly at the limit is fine.
    at_limit = await upload(small, who["civil_affairs_officer"], pdf(size=MiB))
    assert at_limit.status_code == 201, at_limit.text


async def test_the_json_body_limit_does_not_apply_to_uploads(
    client: Client, who: dict[str, Headers], settings: Settings
) -> None:
    body = pdf(b"big", size=3 * settings.max_request_body_bytes)
    response = await upload(client, who["civil_affairs_officer"], body)
    assert response.status_code == 201, response.text
    assert response.json()["versions"][0]["sha256"] == sha(body)


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
async def test_a_100_mb_upload_streams_in_bounded_memory(
    sealed: bool,
    streaming: httpx.AsyncClient,
    who: dict[str, Headers],
    bucket: S3Client,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    """The client generates the body as it sends it; the API streams it on in 8 MiB parts
    (encrypting it on the way when sealed). The test process (client, API and all) must grow
    by less than 50 MB at its peak."""
    total = 100_000_000
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    digest = hashlib.sha256()

    async def body() -> AsyncIterator[bytes]:
        async for piece in chunks(pdf(b"hundred-megabytes"), total, 1024 * 1024):
            digest.update(piece)
            yield piece

    try:
        seal: dict[str, Any] = {}
        if sealed:
            seal = {"object_type": "tender", "sealed_until": datetime.now(UTC) + timedelta(hours=1)}
        response = await upload(
            streaming, who["civil_affairs_officer"], body(), filename="大.pdf", **seal
        )
    finally:
        done.set()
        sampler.join()
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.text
    version = response.json()["versions"][0]
    assert version["size"] == total and version["sha256"] == digest.hexdigest()
    key = await storage_key(admin_db, response.json()["id"])
    stored_size = sealing.sealed_size(total) if sealed else total
    assert bucket.head_object(Bucket=settings.s3_bucket, Key=key)["ContentLength"] == stored_size
    growth = (peak - baseline) / 1e6
    print(f"100 MB upload: {elapsed:.1f} s, peak RSS growth {growth:.1f} MB")
    assert growth < 50, f"peak memory grew by {growth:.1f} MB"
    assert elapsed < 30, f"took {elapsed:.1f} s"
