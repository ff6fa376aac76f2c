"""What was stored stays what was stored: the verification job rereads it, the store wants its
keys, and production wants a master key of its own."""

from __future__ import annotations

import base64
import dataclasses
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg
import dramatiq
import pytest
from botocore.exceptions import ClientError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.settings import DEV_DOCUMENT_MASTER_KEY, Settings
from tests.support.client import Client, Headers
from tests.support.documents import MiB, audit_actions, doc_path, fetch, pdf, storage_key, upload
from tests.support.jobs import relay_and_run
from tests.support.storage import store_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


# --- verification ---------------------------------------------------------------------------------


async def test_the_verification_job_rereads_what_was_stored(
    client: Client,
    who: dict[str, Headers],
    bucket: S3Client,
    settings: Settings,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
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
    await relay_and_run(sessionmaker, broker)
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


# --- the store and the settings -------------------------------------------------------------------


async def test_the_store_requires_its_keys(settings: Settings) -> None:
    wrong = store_client(settings, "not-the-secret-key", retries={"max_attempts": 1})
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
    return base64.b64encode(os.urandom(32)).decode()
