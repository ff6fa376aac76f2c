"""Sealed documents: ciphertext in the bucket and unreadable through every route until their
procedure opens, opened by their job or by the sweep, and closed to every database role before."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

import asyncpg
import dramatiq
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.documents import sealing, service
from services.documents.tasks import SWEEP_SEALS, sweep_seals
from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, transaction
from services.kit.jobs import run_once
from services.kit.objects import ObjectType
from services.kit.settings import Settings
from tests.support.client import Client, Headers
from tests.support.demo import GZ, SZ
from tests.support.documents import (
    DOCX,
    MiB,
    add_version,
    audit_actions,
    doc_path,
    fresh_object,
    pdf,
    sha,
    storage_key,
    upload,
)
from tests.support.jobs import relay_and_run

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


# --- opening --------------------------------------------------------------------------------------


async def _wait_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.1)


async def _opening_comes(admin_db: asyncpg.Connection, bid: uuid.UUID) -> datetime:
    """As if the time had passed: the bid's seal, and its opening job if still unsent, moved
    to a blink ahead (the database refuses a seal time in the past, whoever asks). Uploads
    then need not race a deadline seconds away on a loaded machine. The new opening."""
    async with admin_db.transaction():
        opening: datetime = await admin_db.fetchval(
            "UPDATE document_seals SET sealed_until = now() + interval '50 milliseconds'"
            " WHERE tenant_id = $1 AND object_type = 'tender' AND object_id = $2"
            " RETURNING sealed_until",
            GZ,
            bid,
        )
        await admin_db.execute(
            "UPDATE outbox SET available_at = $2 WHERE sent_at IS NULL AND message_key LIKE $1",
            f"document-seal-open:tender:{bid}:%",
            opening,
        )
    return opening


READERS = (
    "tenant_admin",
    "civil_affairs_officer",
    "civil_affairs_approver",
    "finance_officer",
    "finance_approver",
    "partner_department",
)


async def test_a_sealed_document_is_unreadable_until_its_opening(
    client: Client,
    who: dict[str, Headers],
    bucket: S3Client,
    settings: Settings,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
) -> None:
    bid = uuid.UUID(await fresh_object("tender", GZ))
    opening = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
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
    # One character changed, whatever the signature starts with.
    forged_signature = ("y" if signature[0] == "x" else "x") + signature[1:]
    forged = await client.get(
        content, params={"expires": expires, "user": user, "signature": forged_signature}
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
    opening = await _opening_comes(admin_db, bid)
    await _wait_until(opening)
    await relay_and_run(sessionmaker, broker)
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


class Sealed(NamedTuple):
    bid: uuid.UUID
    opening: datetime
    document_id: str


async def _sealed_in_a_bid_of_its_own(
    client: Client, officer: Headers, marker: bytes, opens_in: timedelta
) -> Sealed:
    """A PDF sealed in a new bid until ``opens_in`` from when the bid exists."""
    bid = uuid.UUID(await fresh_object("tender", GZ))
    opening = datetime.now(UTC) + opens_in
    created = await upload(
        client, officer, pdf(marker), object_type="tender", object_id=bid, sealed_until=opening
    )
    assert created.status_code == 201, created.text
    return Sealed(bid, opening, str(created.json()["id"]))


async def test_nobody_opens_a_seal_early_not_even_with_sql(
    client: Client,
    who: dict[str, Headers],
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    app_db: asyncpg.Connection,
) -> None:
    bid, opening, doc_id = await _sealed_in_a_bid_of_its_own(
        client, who["civil_affairs_officer"], b"early", timedelta(hours=2)
    )
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
    download = doc_path(doc_id) + "/download"
    response = await client.get(download, headers=who["civil_affairs_officer"])
    assert response.status_code == 409
    # Moving the opening later is the tendering context's business (a deadline extension).
    async with transaction(sessionmaker, GZ) as session:
        seal = await service.reschedule_seal(
            session, Actor(None, GZ), ObjectType.tender, bid, opening + timedelta(days=1)
        )
        assert seal.sealed_until > opening


async def test_the_sweep_opens_a_seal_whose_job_went_missing(
    client: Client,
    who: dict[str, Headers],
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
) -> None:
    bid, _, doc_id = await _sealed_in_a_bid_of_its_own(
        client, who["civil_affairs_officer"], b"swept", timedelta(hours=1)
    )
    # The opening job is lost: marked sent, never delivered.
    lost = await admin_db.execute(
        "UPDATE outbox SET sent_at = now() WHERE message_key LIKE $1",
        f"document-seal-open:tender:{bid}:%",
    )
    assert lost == "UPDATE 1"
    await _wait_until(await _opening_comes(admin_db, bid))
    await relay_and_run(sessionmaker, broker)
    still = await client.get(doc_path(doc_id), headers=who["civil_affairs_officer"])
    assert still.json()["opened_at"] is None
    # The chronograph's tick: it runs in the platform's context and finds seals everywhere.
    tick = datetime.now(UTC).isoformat()
    assert await run_once(
        sweep_seals,
        SWEEP_SEALS,
        PLATFORM_TENANT,
        f"tick:{tick}",
        {"tick": tick},
        None,
        sessionmaker,
    )
    await relay_and_run(sessionmaker, broker)
    opened = await client.get(doc_path(doc_id), headers=who["civil_affairs_officer"])
    assert opened.json()["opened_at"] is not None


async def test_the_sweeps_role_sees_when_seals_open_and_nothing_else(
    client: Client,
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


# --- the cipher -----------------------------------------------------------------------------------


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
