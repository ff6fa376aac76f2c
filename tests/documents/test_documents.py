"""Documents on S3, against the real store (SeaweedFS), PostgreSQL and broker.

Uploads stream to the store and are typed by content; versions; presigned links for those
allowed; sealed documents are ciphertext in the bucket and unreadable through every route
until their procedure opens, then readable; the verification job re-reads what was stored; a
100 MB upload stays within bounded memory.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import os
import threading
import time
import uuid
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import boto3
import httpx
import psutil
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.documents import sealing, service
from services.documents.tasks import SWEEP_SEALS
from services.entry.api import create_app
from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, transaction
from services.kit.jobs import run_once
from services.kit.settings import DEV_DOCUMENT_MASTER_KEY, Settings
from tests.support.client import Login
from tests.support.demo import GZ, ROLE_LOGINS, SZ, city_login
from tests.support.jobs import drain, relay_all, running_worker
from tests.support.planning import Planner
from tests.support.tendering import procurement_body

Headers = dict[str, str]
SUNSHINE_USCC = "51440100MJL000010Q"
PENGCHENG_USCC = "52440300MJL0000201"
REQUEST_FIELDS = {"instance", "request_id"}
MiB = 1024 * 1024


# --- files -------------------------------------------------------------------------------------


def pdf(marker: bytes = b"", size: int = 0) -> bytes:
    body = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n% " + marker + b"\n"
    tail = b"trailer <<>>\n%%EOF\n"
    return body + b"%" * max(0, size - len(body) - len(tail)) + tail


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06" + b"\0" * 64
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\0" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + b"\0" * 200


def zip_of(*names: str, padding: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in names:
            archive.writestr(name, f"<{name}/>")
        if padding:
            archive.writestr("media/padding.bin", os.urandom(padding))
    return buffer.getvalue()


DOCX = zip_of("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = zip_of("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")
OFD = zip_of("OFD.xml", "Doc_0/Document.xml")
ZIP = zip_of("说明.txt", "附件/照片.jpg")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def fetch(url: str) -> httpx.Response:
    """What a browser gets from a link: no token, straight to the store."""
    async with httpx.AsyncClient(timeout=30) as browser:
        return await browser.get(url)


def answer(response: httpx.Response) -> dict[str, Any]:
    return {k: v for k, v in response.json().items() if k not in REQUEST_FIELDS}


# --- the world ---------------------------------------------------------------------------------

# Documents attach to real objects: an upload that names none gets a fresh project (or a
# department's draft declaration) of its own, made through the planning API.
PLANNERS: dict[str, Planner] = {}


@pytest.fixture(scope="module", autouse=True)
def planners(client: AsyncTestClient[Litestar], login: Login) -> None:
    PLANNERS.update({city: Planner(client, login, city) for city in (GZ, SZ)})


async def fresh_object(object_type: str, tenant: str) -> str:
    planner = PLANNERS[tenant]
    if object_type == "needs_declaration":
        return str((await planner.declaration(submit=False))["id"])
    if object_type == "project":
        return str((await planner.project(costed=False))["id"])
    if object_type == "tender":
        return await draft_procurement(planner)
    return str(uuid.uuid4())


LINES: dict[str, str] = {}


async def draft_procurement(planner: Planner) -> str:
    """A tender of its own (a small draft procurement on the city's shared budget line)."""
    if planner.city not in LINES:
        LINES[planner.city] = (await planner.approved_budget())["lines"][0]["id"]
    body = procurement_body(
        LINES[planner.city], budget_amount="1000.00", ceiling_price="900.00", bid_security="0"
    )
    response = await planner.client.post(
        f"/v1/tenants/{planner.city}/procurements",
        headers=await planner.as_("civil_affairs_officer"),
        json=body,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def upload(
    client: AsyncTestClient[Litestar] | httpx.AsyncClient,
    headers: Headers,
    body: Any,
    *,
    object_type: str = "project",
    object_id: uuid.UUID | str | None = None,
    filename: str = "材料.pdf",
    tenant: str = GZ,
    **params: Any,
) -> httpx.Response:
    if object_id is None:
        object_id = await fresh_object(object_type, tenant)
    query = {
        "object_type": object_type,
        "object_id": str(object_id),
        "filename": filename,
        **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in params.items()},
    }
    return await client.post(
        f"/v1/tenants/{tenant}/documents", headers=headers, params=query, content=body
    )


async def add_version(
    client: AsyncTestClient[Litestar],
    headers: Headers,
    document_id: str,
    body: bytes,
    filename: str = "材料-修订.pdf",
) -> httpx.Response:
    return await client.post(
        f"/v1/tenants/{GZ}/documents/{document_id}/versions",
        headers=headers,
        params={"filename": filename},
        content=body,
    )


def doc_path(document_id: str, tenant: str = GZ) -> str:
    return f"/v1/tenants/{tenant}/documents/{document_id}"


@pytest.fixture(scope="module")
async def who(login: Login) -> dict[str, Headers]:
    people = {role: await login(ROLE_LOGINS[role]) for role in ROLE_LOGINS}
    people["pengcheng_admin"] = await login("admin@pengcheng.demo.org.cn")
    people["sz_officer"] = await login(city_login("civil_affairs_officer", SZ))
    return people


@pytest.fixture(scope="module")
async def registrations(admin_db: asyncpg.Connection) -> dict[str, str]:
    """The demo providers' registrations in 广州."""
    found = {}
    for name, code in (("sunshine", SUNSHINE_USCC), ("pengcheng", PENGCHENG_USCC)):
        found[name] = str(
            await admin_db.fetchval(
                "SELECT r.id FROM provider_registrations r JOIN providers p"
                " ON p.id = r.provider_id WHERE r.tenant_id = $1 AND p.uscc = $2",
                GZ,
                code,
            )
        )
    return found


@pytest.fixture(scope="module")
def bucket(settings: Settings) -> Any:
    """The bucket as someone holding the store's keys sees it: no API in between."""
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name=settings.s3_region,
        config=Config(s3={"addressing_style": "path"}),
    )


def stored_keys(bucket: Any, settings: Settings, prefix: str) -> list[str]:
    listed = bucket.list_objects_v2(Bucket=settings.s3_bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def pending_multipart(bucket: Any, settings: Settings, prefix: str) -> list[str]:
    listed = bucket.list_multipart_uploads(Bucket=settings.s3_bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Uploads", [])]


async def storage_key(admin_db: asyncpg.Connection, document_id: str, version: int = 1) -> str:
    return str(
        await admin_db.fetchval(
            "SELECT storage_key FROM document_versions WHERE document_id = $1 AND version = $2",
            uuid.UUID(document_id),
            version,
        )
    )


async def audit_actions(admin_db: asyncpg.Connection, object_id: str) -> list[str]:
    rows = await admin_db.fetch(
        "SELECT action FROM audit_log WHERE tenant_id = $1 AND object_id = $2 ORDER BY seq",
        GZ,
        object_id,
    )
    return [row["action"] for row in rows]


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An API process of its own, on the test's event loop, whose request bodies stream
    (the test client reads a body whole before sending it)."""
    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:  # entered and left in one task, as anyio requires
        async with app.lifespan():
            started.set()
            await stop.wait()

    running = asyncio.create_task(lifespan())
    await started.wait()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local", timeout=120
        ) as api:
            yield api
    finally:
        stop.set()
        await running


@pytest.fixture(scope="module")
async def small(settings: Settings, demo: None) -> AsyncIterator[httpx.AsyncClient]:
    """Configured with a 1 MiB document limit and 2-second links."""
    tight = dataclasses.replace(settings, document_max_bytes=MiB, document_url_seconds=2)
    async with served(tight) as api:
        yield api


@pytest.fixture(scope="module")
async def streaming(settings: Settings, demo: None) -> AsyncIterator[httpx.AsyncClient]:
    async with served(settings) as api:
        yield api


async def chunks(first: bytes, total: int, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """``first``, then filler up to ``total`` bytes, generated as they are sent."""
    yield first
    block = os.urandom(size)
    sent = len(first)
    while sent < total:
        piece = block[: min(size, total - sent)]
        sent += len(piece)
        yield piece


# --- uploading ---------------------------------------------------------------------------------


async def test_upload_stores_the_file_and_records_what_it_is(
    client: AsyncTestClient[Litestar],
    who: dict[str, Headers],
    bucket: Any,
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
    client: AsyncTestClient[Litestar], who: dict[str, Headers], role: str
) -> None:
    response = await upload(client, who[role], pdf())
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"


async def test_a_guangzhou_user_cannot_use_shenzhen_documents(
    client: AsyncTestClient[Litestar], who: dict[str, Headers]
) -> None:
    theirs = await upload(client, who["sz_officer"], pdf(b"shenzhen"), tenant=SZ)
    assert theirs.status_code == 201, theirs.text
    doc_id = theirs.json()["id"]
    officer = who["civil_affairs_officer"]
    for method, path, body in (
        (
            "POST",
            f"/v1/tenants/{SZ}/documents?object_type=project&object_id={uuid.uuid4()}"
            "&filename=x.pdf",
            pdf(),
        ),
        ("GET", f"/v1/tenants/{SZ}/documents", None),
        ("GET", doc_path(doc_id, SZ), None),
        ("GET", doc_path(doc_id, SZ) + "/download", None),
        ("POST", doc_path(doc_id, SZ) + "/versions?filename=x.pdf", pdf()),
    ):
        response = await client.request(method, path, headers=officer, content=body)
        assert response.status_code == 403, f"{method} {path}: {response.text}"
        assert response.json()["code"] == "forbidden"


async def test_another_tenants_document_looks_like_no_document(
    client: AsyncTestClient[Litestar], who: dict[str, Headers], bucket: Any, settings: Settings
) -> None:
    """Shenzhen's document id through Guangzhou's paths: the same 404 as a made-up id."""
    theirs = await upload(client, who["sz_officer"], pdf(b"shenzhen-2"), tenant=SZ)
    assert theirs.status_code == 201, theirs.text
    foreign, missing = theirs.json()["id"], str(uuid.uuid4())
    officer = who["civil_affairs_officer"]
    for suffix, method, body in (
        ("", "GET", None),
        ("/download", "GET", None),
        ("/versions?filename=x.pdf", "POST", pdf(b"overwrite")),
    ):
        responses = [
            await client.request(method, doc_path(id_) + suffix, headers=officer, content=body)
            for id_ in (foreign, missing)
        ]
        assert [r.status_code for r in responses] == [404, 404], responses[0].text
        assert answer(responses[0]) == answer(responses[1])
    shown = await client.get(doc_path(foreign, SZ), headers=who["sz_officer"])
    assert shown.json()["current_version"] == 1


async def test_lists_hold_only_this_tenants_documents(
    client: AsyncTestClient[Litestar], who: dict[str, Headers], admin_db: asyncpg.Connection
) -> None:
    await upload(client, who["sz_officer"], pdf(b"sz-list"), tenant=SZ)
    await upload(client, who["civil_affairs_officer"], pdf(b"gz-list"))
    listed: list[dict[str, Any]] = []
    while True:
        page = await client.get(
            f"/v1/tenants/{GZ}/documents",
            headers=who["civil_affairs_officer"],
            params={"limit": 200, "offset": len(listed)},
        )
        assert page.status_code == 200, page.text
        listed += page.json()["items"]
        if len(page.json()["items"]) < 200:
            break
    assert {d["tenant_id"] for d in listed} == {GZ}
    expected = await admin_db.fetch("SELECT id FROM documents WHERE tenant_id = $1", GZ)
    assert {d["id"] for d in listed} == {str(r["id"]) for r in expected}


# --- type by content ---------------------------------------------------------------------------


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
    client: AsyncTestClient[Litestar],
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
    client: AsyncTestClient[Litestar],
    who: dict[str, Headers],
    bucket: Any,
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
    client: AsyncTestClient[Litestar], who: dict[str, Headers]
) -> None:
    """A DOCX whose directory does not fit the kept tail is still told from a plain ZIP."""
    names = ["[Content_Types].xml", "word/document.xml"]
    names += [f"word/media/image-with-a-long-name-{i:05d}.png" for i in range(15000)]
    body = zip_of(*names)
    assert len(body) > 2 * MiB
    response = await upload(client, who["civil_affairs_officer"], body, filename="大文档")
    assert response.status_code == 201, response.text
    assert response.json()["versions"][0]["kind"] == "docx"


# --- size --------------------------------------------------------------------------------------


async def test_an_upload_over_the_limit_is_413_and_leaves_nothing(
    small: httpx.AsyncClient,
    who: dict[str, Headers],
    bucket: Any,
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
    client: AsyncTestClient[Litestar], who: dict[str, Headers], settings: Settings
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
    bucket: Any,
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


# --- versions ----------------------------------------------------------------------------------


async def test_versions(
    client: AsyncTestClient[Litestar], who: dict[str, Headers], admin_db: asyncpg.Connection
) -> None:
    officer = who["civil_affairs_officer"]
    first, second = pdf(b"version-one"), pdf(b"version-two")
    created = await upload(client, officer, first)
    doc_id = created.json()["id"]
    added = await add_version(client, who["civil_affairs_approver"], doc_id, second)
    assert added.status_code == 201, added.text
    doc = added.json()
    assert doc["current_version"] == 2
    assert [(v["version"], v["sha256"]) for v in doc["versions"]] == [
        (1, sha(first)),
        (2, sha(second)),
    ]
    assert doc["versions"][1]["filename"] == "材料-修订.pdf"
    listed = await client.get(
        f"/v1/tenants/{GZ}/documents",
        headers=officer,
        params={"object_type": "project", "object_id": doc["object_id"]},
    )
    assert [d["id"] for d in listed.json()["items"]] == [doc_id]
    assert len(listed.json()["items"][0]["versions"]) == 2
    # The latest by default, any earlier one by number.
    latest = await client.get(doc_path(doc_id) + "/download", headers=officer)
    assert latest.json()["version"] == 2 and (await fetch(latest.json()["url"])).content == second
    older = await client.get(doc_path(doc_id) + "/download?version=1", headers=officer)
    assert older.json()["version"] == 1 and (await fetch(older.json()["url"])).content == first
    missing = await client.get(doc_path(doc_id) + "/download?version=3", headers=officer)
    assert missing.status_code == 404
    assert await audit_actions(admin_db, doc_id) == [
        "document.uploaded",
        "document.version_added",
        "document.download",
        "document.download",
    ]
    # A provider does not version a government document (it may not even see this one).
    refused = await add_version(client, who["provider_admin"], doc_id, pdf())
    assert refused.status_code == 404


# --- links -------------------------------------------------------------------------------------


async def test_a_presigned_link_works_for_a_while_and_then_not(
    small: httpx.AsyncClient, who: dict[str, Headers]
) -> None:
    officer = who["civil_affairs_officer"]
    body = pdf(b"short-lived")
    created = await upload(small, officer, body, filename='通知 "最终".pdf')
    link = (await small.get(doc_path(created.json()["id"]) + "/download", headers=officer)).json()
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert timedelta(0) < expires_at - datetime.now(UTC) <= timedelta(seconds=3)
    fetched = await fetch(link["url"])
    assert fetched.status_code == 200 and fetched.content == body
    assert "filename*=UTF-8''%E9%80%9A%E7%9F%A5" in fetched.headers["content-disposition"]
    await asyncio.sleep(3.5)
    expired = await fetch(link["url"])
    assert expired.status_code == 403, expired.text
    # Without the signature the bucket is closed too.
    bare = await fetch(link["url"].split("?", 1)[0])
    assert bare.status_code == 403


async def test_confidential_documents_need_the_permission(
    client: AsyncTestClient[Litestar], who: dict[str, Headers]
) -> None:
    """A partner department uploads a confidential needs declaration: it sees its own; civil
    affairs sees it; a finance officer (no read_confidential) cannot tell it exists."""
    created = await upload(
        client,
        who["partner_department"],
        pdf(b"secret-needs"),
        object_type="needs_declaration",
        confidential="true",
    )
    assert created.status_code == 201, created.text
    doc_id = created.json()["id"]
    assert created.json()["confidential"] is True
    for role in ("partner_department", "civil_affairs_officer", "civil_affairs_approver"):
        link = await client.get(doc_path(doc_id) + "/download", headers=who[role])
        assert link.status_code == 200, f"{role}: {link.text}"
    for role in ("finance_officer", "tenant_admin"):
        hidden = await client.get(doc_path(doc_id) + "/download", headers=who[role])
        missing = await client.get(doc_path(str(uuid.uuid4())) + "/download", headers=who[role])
        assert hidden.status_code == 404 and answer(hidden) == answer(missing)
        listed = await client.get(
            f"/v1/tenants/{GZ}/documents",
            headers=who[role],
            params={"object_id": created.json()["object_id"]},
        )
        assert listed.json()["items"] == []


async def test_providers_see_only_their_own_objects_documents(
    client: AsyncTestClient[Litestar], who: dict[str, Headers], registrations: dict[str, str]
) -> None:
    sunshine, pengcheng = registrations["sunshine"], registrations["pengcheng"]
    # Civil affairs files a review note on each registration; each provider adds material.
    on_sunshine = await upload(
        client,
        who["civil_affairs_officer"],
        pdf(b"review-sunshine"),
        object_type="registration",
        object_id=sunshine,
        confidential="true",
    )
    on_pengcheng = await upload(
        client,
        who["civil_affairs_officer"],
        pdf(b"review-pengcheng"),
        object_type="registration",
        object_id=pengcheng,
    )
    own = await upload(
        client,
        who["provider_staff"],
        pdf(b"sunshine-material"),
        object_type="registration",
        object_id=sunshine,
    )
    project = await upload(client, who["civil_affairs_officer"], pdf(b"not-for-providers"))
    for response in (on_sunshine, on_pengcheng, own, project):
        assert response.status_code == 201, response.text

    sunshine_admin = who["provider_admin"]
    listed = await client.get(
        f"/v1/tenants/{GZ}/documents", headers=sunshine_admin, params={"limit": 200}
    )
    ids = {d["id"] for d in listed.json()["items"]}
    assert {on_sunshine.json()["id"], own.json()["id"]} <= ids
    assert not {on_pengcheng.json()["id"], project.json()["id"]} & ids
    assert {(d["object_type"], d["object_id"]) for d in listed.json()["items"]} == {
        ("registration", sunshine)
    }
    for doc in (on_pengcheng, project):
        hidden = await client.get(doc_path(doc.json()["id"]) + "/download", headers=sunshine_admin)
        assert hidden.status_code == 404
    link = await client.get(
        doc_path(on_sunshine.json()["id"]) + "/download", headers=sunshine_admin
    )
    assert link.status_code == 200 and (await fetch(link.json()["url"])).content == pdf(
        b"review-sunshine"
    )

    # A provider attaches only to its own objects: not to another's registration, nor to
    # objects whose ownership no context can tell yet.
    for object_type, object_id in (("registration", sunshine), ("project", uuid.uuid4())):
        refused = await upload(
            client, who["pengcheng_admin"], pdf(), object_type=object_type, object_id=object_id
        )
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["object_id"]
    # … and versions only its own provider's documents.
    refused = await add_version(client, sunshine_admin, on_sunshine.json()["id"], pdf())
    assert refused.status_code == 403 and refused.json()["code"] == "document_not_yours"
    by_colleague = await add_version(client, sunshine_admin, own.json()["id"], pdf(b"v2"))
    assert by_colleague.status_code == 201, by_colleague.text
    # A registration that does not exist here is refused for everyone.
    nowhere = await upload(client, who["civil_affairs_officer"], pdf(), object_type="registration")
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "object_id"


# --- sealed documents --------------------------------------------------------------------------


async def _open_due_seals(sessionmaker: async_sessionmaker[AsyncSession], broker: Any) -> None:
    await relay_all(sessionmaker, broker)
    with running_worker(broker) as worker:
        await drain(broker, worker)


async def _wait_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.3)


READERS = (
    "tenant_admin",
    "civil_affairs_officer",
    "civil_affairs_approver",
    "finance_officer",
    "finance_approver",
    "partner_department",
)


async def test_a_sealed_document_is_unreadable_until_its_opening(
    client: AsyncTestClient[Litestar],
    who: dict[str, Headers],
    bucket: Any,
    settings: Settings,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: Any,
) -> None:
    bid = uuid.UUID(await fresh_object("tender", GZ))
    opening = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    secret = b"BID-PRICE-1234567-YUAN"
    body = pdf(secret, size=3 * MiB + 12345)  # several chunks, the last one partial
    officer = who["civil_affairs_officer"]
    created = await upload(
        client,
        officer,
        body,
        object_type="tender",
        object_id=bid,
        sealed_until=opening,
        filename="投标文件.pdf",
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["sealed"] is True and doc["opened_at"] is None
    assert datetime.fromisoformat(doc["sealed_until"]) == opening
    assert doc["versions"][0]["sha256"] == sha(body) and doc["versions"][0]["kind"] == "pdf"
    doc_id = doc["id"]

    # The bucket holds ciphertext only: not the content, not any piece of it.
    key = await storage_key(admin_db, doc_id)
    stored = bucket.get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    assert secret not in stored and b"%PDF" not in stored
    assert len(stored) == sealing.sealed_size(len(body))

    # A second sealed file of the same bid shares the procedure's seal; a different time does not.
    second = await upload(
        client,
        officer,
        DOCX,
        object_type="tender",
        object_id=bid,
        sealed_until=opening,
        filename="技术方案.docx",
    )
    assert second.status_code == 201 and second.json()["versions"][0]["kind"] == "docx"
    wrong_time = await upload(
        client,
        officer,
        pdf(),
        object_type="tender",
        object_id=bid,
        sealed_until=opening + timedelta(hours=1),
    )
    assert wrong_time.status_code == 422
    assert wrong_time.json()["errors"][0]["field"] == "sealed_until"
    # Bids and tenders are sealed; a needs declaration is not for sealing away.
    not_sealable = await upload(
        client,
        who["partner_department"],
        pdf(),
        object_type="needs_declaration",
        sealed_until=opening,
    )
    assert not_sealable.status_code == 422
    assert not_sealable.json()["errors"][0]["field"] == "sealed_until"
    # Before its opening a sealed document may still be replaced (修改投标文件).
    revised = await add_version(client, officer, doc_id, body)
    assert revised.status_code == 201 and revised.json()["current_version"] == 2

    # Nobody reads it before the time: every reader role, every version, and the content
    # route even with a correctly signed link; each attempt is refused and audited.
    refused_before = (await audit_actions(admin_db, doc_id)).count("document.download_refused")
    for role in READERS:
        for query in ("", "?version=1"):
            response = await client.get(doc_path(doc_id) + "/download" + query, headers=who[role])
            assert response.status_code == 409, f"{role}: {response.text}"
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "document_sealed"
            assert datetime.fromisoformat(response.json()["sealed_until"]) == opening
    expires = int(time.time()) + 60
    user = str(uuid.uuid4())
    parts = (GZ, doc_id, "1", user, str(expires))
    signature = sealing.sign_link(settings.document_master_key_bytes, *parts)
    content = f"{doc_path(doc_id)}/versions/1/content"
    forged = await client.get(
        content, params={"expires": expires, "user": user, "signature": "x" + signature[1:]}
    )
    assert forged.status_code == 403 and forged.json()["code"] == "download_link_invalid"
    early = await client.get(
        content, params={"expires": expires, "user": user, "signature": signature}
    )
    assert early.status_code == 409 and early.json()["code"] == "document_sealed"
    elsewhere = await client.get(
        content.replace(f"/tenants/{GZ}/", f"/tenants/{SZ}/"),
        params={"expires": expires, "user": user, "signature": signature},
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "download_link_invalid"
    actions = await audit_actions(admin_db, doc_id)
    assert actions.count("document.download_refused") == refused_before + len(READERS) * 2 + 1
    assert "document.download" not in actions
    # Metadata stays visible: what was filed, by whom, how large, its SHA-256.
    listed = await client.get(doc_path(doc_id), headers=who["finance_officer"])
    assert listed.status_code == 200 and listed.json()["opened_at"] is None

    # The opening job runs when it is due.
    await _wait_until(opening)
    await _open_due_seals(sessionmaker, broker)
    opened = await client.get(doc_path(doc_id), headers=officer)
    assert opened.json()["opened_at"] is not None
    assert datetime.fromisoformat(opened.json()["opened_at"]) >= opening

    # Now readable, through a short-lived link that decrypts on the way; still encrypted at rest.
    for version, name in ((2, "材料-修订.pdf"), (1, "投标文件.pdf")):
        link = await client.get(
            doc_path(doc_id) + f"/download?version={version}", headers=who["finance_approver"]
        )
        assert link.status_code == 200, link.text
        assert (
            link.json()["url"].startswith(f"{doc_path(doc_id)}/versions/{version}/content?")
            and link.json()["filename"] == name
        )
        fetched = await client.get(link.json()["url"])
        assert fetched.status_code == 200, fetched.text
        assert fetched.content == body
        assert fetched.headers["x-content-sha256"] == sha(body)
        assert fetched.headers["content-type"] == "application/pdf"
    past = int(time.time()) - 1
    stale_parts = (GZ, doc_id, "1", user, str(past))
    stale = await client.get(
        content,
        params={
            "expires": past,
            "user": user,
            "signature": sealing.sign_link(settings.document_master_key_bytes, *stale_parts),
        },
    )
    assert stale.status_code == 403 and stale.json()["code"] == "download_link_expired"
    docx_link = await client.get(doc_path(second.json()["id"]) + "/download", headers=officer)
    assert (await client.get(docx_link.json()["url"])).content == DOCX
    assert secret not in bucket.get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    # Opened documents no longer change, and nothing more is sealed in this bid.
    late = await add_version(client, officer, doc_id, pdf())
    assert late.status_code == 409 and late.json()["code"] == "procedure_opened"
    late_new = await upload(
        client, officer, pdf(), object_type="tender", object_id=bid, sealed_until=opening
    )
    assert late_new.status_code == 422  # its time is past
    seal_actions = await audit_actions(admin_db, f"tender:{bid}")
    assert seal_actions == ["document_seal.created", "document_seal.opened"]


async def test_nobody_opens_a_seal_early_not_even_with_sql(
    client: AsyncTestClient[Litestar],
    who: dict[str, Headers],
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    app_db: asyncpg.Connection,
) -> None:
    bid = uuid.UUID(await fresh_object("tender", GZ))
    opening = datetime.now(UTC) + timedelta(hours=2)
    created = await upload(
        client,
        who["civil_affairs_officer"],
        pdf(b"early"),
        object_type="tender",
        object_id=bid,
        sealed_until=opening,
    )
    assert created.status_code == 201, created.text
    # The opening job, run early, does nothing.
    async with transaction(sessionmaker, GZ) as session:
        assert not await service.open_seal(session, Actor(None, GZ), "tender", bid)
    # The API's own database role cannot open it, or move its time into the past.
    for sql in (
        "UPDATE document_seals SET released_at = now() WHERE object_id = $1",
        "UPDATE document_seals SET sealed_until = now() - interval '1 minute' WHERE object_id = $1",
        "UPDATE document_seals SET released_at = sealed_until, sealed_until = now() - "
        "interval '1 minute' WHERE object_id = $1",
    ):
        async with app_db.transaction():
            await app_db.execute("SELECT set_config('app.tenant_id', $1, true)", GZ)
            with pytest.raises(asyncpg.CheckViolationError):
                await app_db.execute(sql, bid)
    async with app_db.transaction():
        await app_db.execute("SELECT set_config('app.tenant_id', $1, true)", GZ)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_db.execute("DELETE FROM document_seals WHERE object_id = $1", bid)
    response = await client.get(
        doc_path(created.json()["id"]) + "/download", headers=who["civil_affairs_officer"]
    )
    assert response.status_code == 409
    # Moving the opening later is the tendering context's business (a deadline extension).
    async with transaction(sessionmaker, GZ) as session:
        seal = await service.reschedule_seal(
            session, Actor(None, GZ), service.ObjectType.tender, bid, opening + timedelta(days=1)
        )
        assert seal.sealed_until > opening


async def test_the_sweep_opens_a_seal_whose_job_went_missing(
    client: AsyncTestClient[Litestar],
    who: dict[str, Headers],
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: Any,
) -> None:
    bid = uuid.UUID(await fresh_object("tender", GZ))
    opening = datetime.now(UTC) + timedelta(seconds=3)
    created = await upload(
        client,
        who["civil_affairs_officer"],
        pdf(b"swept"),
        object_type="tender",
        object_id=bid,
        sealed_until=opening,
    )
    assert created.status_code == 201, created.text
    # The opening job is lost: marked sent, never delivered.
    lost = await admin_db.execute(
        "UPDATE outbox SET sent_at = now() WHERE message_key LIKE $1",
        f"document-seal-open:tender:{bid}:%",
    )
    assert lost == "UPDATE 1"
    await _wait_until(opening)
    await _open_due_seals(sessionmaker, broker)
    still = await client.get(doc_path(created.json()["id"]), headers=who["civil_affairs_officer"])
    assert still.json()["opened_at"] is None
    # The chronograph's tick: it runs in the platform's context and finds seals everywhere.
    tick = datetime.now(UTC).isoformat()
    assert await run_once(
        sweep_job(),
        SWEEP_SEALS,
        PLATFORM_TENANT,
        f"tick:{tick}",
        {"tick": tick},
        None,
        sessionmaker,
    )
    await _open_due_seals(sessionmaker, broker)
    opened = await client.get(doc_path(created.json()["id"]), headers=who["civil_affairs_officer"])
    assert opened.json()["opened_at"] is not None


async def test_the_sweeps_role_sees_when_seals_open_and_nothing_else(
    client: AsyncTestClient[Litestar],
    who: dict[str, Headers],
    app_db: asyncpg.Connection,
    settings: Settings,
) -> None:
    for tenant, officer in ((GZ, "civil_affairs_officer"), (SZ, "sz_officer")):
        sealed = await upload(
            client,
            who[officer],
            pdf(b"role"),
            object_type="tender",
            tenant=tenant,
            sealed_until=datetime.now(UTC) + timedelta(hours=1),
        )
        assert sealed.status_code == 201, sealed.text
    user = settings.app_db_user
    # The API may become it for one transaction, never holds its rights otherwise.
    assert await app_db.fetchval("SELECT pg_has_role($1, 'sws_seal_opener', 'MEMBER')", user)
    assert not await app_db.fetchval("SELECT pg_has_role($1, 'sws_seal_opener', 'USAGE')", user)
    async with app_db.transaction():
        await app_db.execute("SET LOCAL ROLE sws_seal_opener")
        tenants = await app_db.fetch("SELECT DISTINCT tenant_id FROM document_seals")
        assert {row["tenant_id"] for row in tenants} >= {GZ, SZ}  # every region's times
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # but never a key
            await app_db.fetch("SELECT wrapped_key FROM document_seals")
    async with app_db.transaction():  # without it, and without a tenant: nothing
        assert await app_db.fetchval("SELECT count(*) FROM document_seals") == 0


def sweep_job() -> Any:
    from services.documents.tasks import sweep_seals

    return sweep_seals


# --- verification ------------------------------------------------------------------------------


async def test_the_verification_job_rereads_what_was_stored(
    client: AsyncTestClient[Litestar],
    who: dict[str, Headers],
    bucket: Any,
    settings: Settings,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: Any,
) -> None:
    officer = who["civil_affairs_officer"]
    good = await upload(client, officer, pdf(b"verify-me", size=9 * MiB))  # multipart
    sealed = await upload(
        client,
        officer,
        pdf(b"verify-sealed"),
        object_type="tender",
        sealed_until=datetime.now(UTC) + timedelta(hours=1),
    )
    tampered = await upload(client, officer, pdf(b"tamper-me"))
    for response in (good, sealed, tampered):
        assert response.status_code == 201, response.text
    # Someone with the bucket's keys swaps an object behind the API's back (same size).
    key = await storage_key(admin_db, tampered.json()["id"])
    bucket.put_object(Bucket=settings.s3_bucket, Key=key, Body=pdf(b"swapped!!"))
    await _open_due_seals(sessionmaker, broker)
    for response, verdict in ((good, "verified"), (sealed, "verified"), (tampered, "failed")):
        doc = (await client.get(doc_path(response.json()["id"]), headers=officer)).json()
        version = doc["versions"][0]
        assert version["verification"] == verdict, doc
        assert version["verified_at"] is not None
    assert await audit_actions(admin_db, tampered.json()["id"]) == [
        "document.uploaded",
        "document.verification_failed",
    ]
    note = await admin_db.fetchval(
        "SELECT verification_note FROM document_versions WHERE document_id = $1",
        uuid.UUID(tampered.json()["id"]),
    )
    assert "SHA-256" in note


# --- the store and the settings ----------------------------------------------------------------


async def test_the_store_requires_its_keys(settings: Settings) -> None:
    wrong = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key="not-the-secret-key",
        region_name=settings.s3_region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError):
        wrong.list_objects_v2(Bucket=settings.s3_bucket)
    anonymous = await fetch(f"{settings.s3_endpoint_url}/{settings.s3_bucket}/")
    assert anonymous.status_code == 403


def test_production_refuses_the_development_master_key(settings: Settings) -> None:
    production = dataclasses.replace(
        settings, environment="production", jwt_secret="x" * 40, s3_secret_key="real-secret"
    )
    assert production.document_master_key == DEV_DOCUMENT_MASTER_KEY
    with pytest.raises(RuntimeError, match="DOCUMENT_MASTER_KEY"):
        production.check()
    with pytest.raises(RuntimeError, match="32 bytes"):
        dataclasses.replace(settings, document_master_key="dG9vLXNob3J0").check()
    dataclasses.replace(production, document_master_key=base64_key()).check()


def base64_key() -> str:
    import base64

    return base64.b64encode(os.urandom(32)).decode()


def test_sealing_detects_tampering() -> None:
    key = sealing.new_data_key()
    content = os.urandom(2 * sealing.CHUNK + 5)
    sealer = sealing.Sealer(key, "t/k")
    stored = sealer.feed(content[:100]) + sealer.feed(content[100:]) + sealer.finish()
    assert len(stored) == sealing.sealed_size(len(content))
    opener = sealing.Opener(key, "t/k", len(content))
    frames = [stored[i : i + sealing.FRAME] for i in range(0, len(stored), sealing.FRAME)]
    assert b"".join(opener.open_frame(i, f) for i, f in enumerate(frames)) == content
    assert (
        opener.read_range(sealing.CHUNK - 3, sealing.CHUNK + 3, lambda s, e: stored[s:e])
        == (content[sealing.CHUNK - 3 : sealing.CHUNK + 3])
    )
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):  # frames swapped
        opener.open_frame(0, frames[1])
    with pytest.raises(InvalidTag):  # truncated: a middle frame presented as the last
        sealing.Opener(key, "t/k", 2 * sealing.CHUNK).open_frame(1, frames[1])
    with pytest.raises(InvalidTag):  # moved to another object
        sealing.Opener(key, "t/other", len(content)).open_frame(0, frames[0])
