"""Documents as the suite handles them: files of each type, uploads through the API, the
objects they attach to, and what the store and the database hold afterwards."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import uuid
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from services.entry.api import create_app
from services.kit.settings import Settings
from tests.support.asgi import plain_asgi
from tests.support.client import Client, Headers
from tests.support.demo import GZ
from tests.support.planning import Planner
from tests.support.tendering import procurement_body

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

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


# --- the objects documents attach to ----------------------------------------------------------

# Documents attach to real objects: an upload that names none gets a fresh project (or a
# department's draft declaration) of its own, made through the planning API by the planners
# that tests/documents/conftest.py puts here.
PLANNERS: dict[str, Planner] = {}


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


# --- through the API ---------------------------------------------------------------------------


async def upload(
    client: Client | httpx.AsyncClient,
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
    client: Client,
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
        transport = httpx.ASGITransport(app=plain_asgi(app))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local", timeout=120
        ) as api:
            yield api
    finally:
        stop.set()
        await running


async def chunks(first: bytes, total: int, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """``first``, then filler up to ``total`` bytes, generated as they are sent."""
    yield first
    block = os.urandom(size)
    sent = len(first)
    while sent < total:
        piece = block[: min(size, total - sent)]
        sent += len(piece)
        yield piece


# --- what the store and the database hold ------------------------------------------------------


def stored_keys(bucket: S3Client, settings: Settings, prefix: str) -> list[str]:
    listed = bucket.list_objects_v2(Bucket=settings.s3_bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def pending_multipart(bucket: S3Client, settings: Settings, prefix: str) -> list[str]:
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
