"""The project archive (项目档案): a failed or cancelled procurement's file and a contracted
project's, built by the real job into the real store; progress, manifest, idempotence,
verification before and after one byte of a stored file changes; who may and who may not."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import asyncpg

from services.kit.settings import Settings
from tests.support.archive import data_offset, manifest_of, members, run_build
from tests.support.client import Client, json_of
from tests.support.contracts import single_source_deal
from tests.support.database import Sessions
from tests.support.demo import GZ, SZ, city_login
from tests.support.documents import fetch, pdf, sha, upload
from tests.support.storage import store_client
from tests.support.tendering import Tenderer


def _verify_command(settings: Settings, archive_id: str) -> subprocess.CompletedProcess[str]:
    """``python -m services.cli verify-archive <id>`` against the suite's database and store."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "S3_ACCESS_KEY": settings.s3_access_key,
        "S3_SECRET_KEY": settings.s3_secret_key,
        "S3_BUCKET": settings.s3_bucket,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "services.cli", "verify-archive", archive_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def archives(city: str = GZ) -> str:
    return f"/v1/tenants/{city}/archives"


async def _ask(gz: Tenderer, project_id: str, role: str = "civil_affairs_officer") -> Any:
    response = await gz.client.post(
        f"/v1/tenants/{gz.city}/projects/{project_id}/archives", headers=await gz.as_(role)
    )
    return json_of(response, 202)


async def _read(gz: Tenderer, archive_id: str) -> dict[str, Any]:
    response = await gz.client.get(
        f"{archives(gz.city)}/{archive_id}", headers=await gz.as_("tenant_admin")
    )
    return dict(json_of(response))


async def _zip(gz: Tenderer, archive_id: str) -> bytes:
    link = await gz.client.get(
        f"{archives(gz.city)}/{archive_id}/download", headers=await gz.as_("civil_affairs_approver")
    )
    body = json_of(link)
    got = await fetch(body["url"])
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == body["sha256"]
    return got.content


async def _cancelled_with_documents(gz: Tenderer) -> tuple[str, str, str]:
    """A tender with a document of its own and a sealed bid document, cancelled before the
    opening: (project id, procurement id, bid id)."""
    procurement = await gz.published()
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    tender_doc = await upload(
        gz.client,
        officer,
        pdf(b"tender documents", size=300_000),
        object_type="tender",
        object_id=pid,
        filename="采购文件.pdf",
        tenant=gz.city,
    )
    json_of(tender_doc, 201)
    bidder = await gz.bidder()
    bid = await gz.bid(pid, bidder, "300000")
    attached = await gz.attach(bidder.headers, bid["id"], pdf(b"secret bid"))
    json_of(attached, 201)
    cancelled = await gz.client.post(
        f"{gz.base}/{pid}/cancel",
        headers=await gz.as_("civil_affairs_approver"),
        json={"reason": "服务需求发生重大变化"},
    )
    assert json_of(cancelled)["status"] == "cancelled"
    return str(procurement["project_id"]), pid, bid["id"]


async def test_a_cancelled_procurement_is_archived_with_its_bids_listed_never_opened(
    gz: Tenderer, admin_db: asyncpg.Connection, sessionmaker: Sessions, settings: Settings
) -> None:
    project_id, pid, bid_id = await _cancelled_with_documents(gz)
    asked = await _ask(gz, project_id)
    assert asked["status"] == "queued" and asked["percent"] == 0
    again = await _ask(gz, project_id, role="tenant_admin")
    assert again["id"] == asked["id"]  # the same state: the same archive, no second build
    queued = await admin_db.fetchval(
        "SELECT count(*) FROM outbox WHERE actor_name = 'archive.build'"
        " AND payload->>'archive_id' = $1",
        asked["id"],
    )
    assert queued == 1

    assert await run_build(admin_db, sessionmaker, settings, asked["id"])
    ready = await _read(gz, asked["id"])
    assert ready["status"] == "ready" and ready["percent"] == 100
    assert ready["files_done"] == ready["files_total"] == len(ready["manifest"]["files"])
    assert ready["bytes_done"] == ready["bytes_total"]
    head = await admin_db.fetchrow(
        "SELECT last_seq, last_hash FROM audit_heads WHERE tenant_id = $1", GZ
    )
    assert ready["manifest"]["audit_seq"] <= head["last_seq"]
    assert ready["audit_hash"] == ready["manifest"]["audit_hash"]
    assert (await _ask(gz, project_id))["id"] == asked["id"]  # ready: still the same one

    zipped = await _zip(gz, asked["id"])
    files = members(zipped)
    manifest = manifest_of(zipped)
    assert manifest == ready["manifest"] | {"archive_id": asked["id"]}
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]
        assert len(files[entry["path"]]) == entry["size"]
    assert set(files) == {e["path"] for e in manifest["files"]} | {"manifest.json"}

    folder = next(p for p in files if p.endswith(f"{pid}/bids.json")).rsplit("/", 1)[0]
    [bid] = json.loads(files[f"{folder}/bids.json"])
    assert bid["id"] == bid_id and bid["opened"] is False and "price_sealed" not in bid
    listing = json.loads(files[f"{folder}/documents.json"])
    sealed = [d for d in listing if d["object_type"] == "bid"]
    assert len(sealed) == 1 and sealed[0]["path"] is None and sealed[0]["withheld"]
    assert not any(b"secret bid" in content for content in files.values())
    [tender] = [d for d in listing if d["object_type"] == "tender"]
    tender_bytes = files[tender["path"]]
    assert sha(tender_bytes) == tender["sha256"]
    procurement = json.loads(files[f"{folder}/procurement.json"])[0]
    assert procurement["status"] == "cancelled"
    trail = json.loads(files["99-audit/trail.json"])
    assert any(e["object_id"] == pid and e["action"].startswith("procurement") for e in trail)
    assert all(e["seq"] <= manifest["audit_seq"] for e in trail)

    verified = await gz.client.post(
        f"{archives()}/{asked['id']}/verify", headers=await gz.as_("tenant_admin")
    )
    assert json_of(verified) == {
        "ok": True,
        "files_checked": len(manifest["files"]),
        "first_difference": None,
    }
    cli = _verify_command(settings, asked["id"])
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert f"ok, {len(manifest['files'])} files match the manifest" in cli.stdout
    unknown = _verify_command(settings, str(uuid.uuid4()))
    assert unknown.returncode == 2 and "no such archive" in unknown.stdout

    # One byte of the tender document, changed in the stored zip.
    key = await admin_db.fetchval(
        "SELECT storage_key FROM project_archives WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(asked["id"]),
    )
    at = data_offset(zipped, tender["path"]) + 100
    damaged = zipped[:at] + bytes([zipped[at] ^ 0x01]) + zipped[at + 1 :]
    store_client(settings).put_object(Bucket=settings.s3_bucket, Key=key, Body=damaged)
    failed = json_of(
        await gz.client.post(
            f"{archives()}/{asked['id']}/verify", headers=await gz.as_("civil_affairs_officer")
        )
    )
    assert failed["ok"] is False
    assert failed["first_difference"]["path"] == tender["path"]
    # The operations command reads the same store and names the same file.
    cli = _verify_command(settings, asked["id"])
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert f"DIFFERS at {tender['path']}" in cli.stdout
    actions = await admin_db.fetch(
        "SELECT action FROM audit_log WHERE tenant_id = $1 AND object_id = $2 ORDER BY seq",
        GZ,
        asked["id"],
    )
    # Each verification is audited, the command's as the API's: passed twice, then failed twice.
    assert [r["action"] for r in actions] == [
        "archive.requested",
        "archive.built",
        "archive.download",
        "archive.verified",
        "archive.verified",
        "archive.verified",
        "archive.verified",
    ]


async def test_a_contracted_project_is_archived_with_its_contract_and_document(
    gz: Tenderer, admin_db: asyncpg.Connection, sessionmaker: Sessions, settings: Settings
) -> None:
    deal = await single_source_deal(gz)
    await deal.signed()
    contract = await deal.read()
    asked = await _ask(gz, str(contract["project_id"]))
    # A retried build after a crash: the row is left building with a dead upload.
    await admin_db.execute(
        "UPDATE project_archives SET status = 'building', upload_id = 'gone'"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(asked["id"]),
    )
    assert await run_build(admin_db, sessionmaker, settings, asked["id"])
    ready = await _read(gz, asked["id"])
    assert ready["status"] == "ready" and ready["percent"] == 100 and ready["attempts"] == 1
    zipped = await _zip(gz, asked["id"])
    files = members(zipped)
    folder = next(p for p in files if p.endswith(f"{contract['id']}/contract.json"))
    [filed] = json.loads(files[folder])
    assert filed["status"] == "signed" and filed["price"] == contract["price"]
    listing = json.loads(files[folder.replace("contract.json", "documents.json")])
    [document] = [d for d in listing if d["object_type"] == "contract"]
    assert sha(files[document["path"]]) == document["sha256"]
    offers = next(p for p in files if p.endswith("/offers.json"))
    assert json.loads(files[offers])[0]["provider_id"] == deal.winner.provider_id
    assert "01-planning/project.json" in files and "01-planning/costing.json" in files
    for entry in manifest_of(zipped)["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]
    # Built: the job is not run twice for a ready archive.
    assert not await run_build(admin_db, sessionmaker, settings, asked["id"])
    listed = await gz.client.get(
        archives(),
        headers=await gz.as_("civil_affairs_officer"),
        params={"project_id": contract["project_id"]},
    )
    assert [a["id"] for a in json_of(listed)["items"]] == [asked["id"]]


async def test_who_may_ask_read_download_and_verify(
    gz: Tenderer, client: Client, admin_db: asyncpg.Connection
) -> None:
    project_id, _, _ = await _cancelled_with_documents(gz)
    asked = await _ask(gz, project_id)
    one = f"{archives()}/{asked['id']}"
    for role in ("finance_officer", "finance_approver", "partner_department"):
        headers = await gz.as_(role)
        refused = await client.post(
            f"/v1/tenants/{GZ}/projects/{project_id}/archives", headers=headers
        )
        assert refused.status_code == 403, role
        assert (await client.get(one, headers=headers)).status_code == 403
        assert (await client.get(f"{one}/download", headers=headers)).status_code == 403
        assert (await client.post(f"{one}/verify", headers=headers)).status_code == 403
    # Not built yet: nothing to download or verify.
    early = await client.get(f"{one}/download", headers=await gz.as_("tenant_admin"))
    assert early.status_code == 409 and early.json()["code"] == "archive_not_ready"

    # Another region's civil affairs: the archive and the project do not exist there.
    sz = await gz.login(city_login("civil_affairs_officer", SZ))
    assert (await client.get(f"{archives(SZ)}/{asked['id']}", headers=sz)).status_code == 404
    assert (
        await client.post(f"{archives(SZ)}/{asked['id']}/verify", headers=sz)
    ).status_code == 404
    elsewhere = await client.post(f"/v1/tenants/{SZ}/projects/{project_id}/archives", headers=sz)
    assert elsewhere.status_code == 404
    listed = json_of(await client.get(archives(SZ), headers=sz, params={"limit": 200}))
    assert asked["id"] not in [a["id"] for a in listed["items"]]
    missing = await client.post(
        f"/v1/tenants/{GZ}/projects/{uuid.uuid4()}/archives",
        headers=await gz.as_("civil_affairs_officer"),
    )
    assert missing.status_code == 404

    # Bad input: refused by name, and nothing changes.
    bad = await client.get(archives(), headers=await gz.as_("tenant_admin"), params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "limit"
    bad = await client.get(
        archives(), headers=await gz.as_("tenant_admin"), params={"project_id": "not-an-id"}
    )
    assert bad.status_code in (400, 422)
    count = await admin_db.fetchval(
        "SELECT count(*) FROM project_archives WHERE tenant_id = $1 AND project_id = $2",
        GZ,
        uuid.UUID(project_id),
    )
    assert count == 1
