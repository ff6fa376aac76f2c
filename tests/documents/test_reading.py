"""Reading documents: versions, presigned links for those allowed, confidential documents,
providers' own objects, and the regions kept apart."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from services.kit.settings import Settings
from tests.support.client import Client, Headers, answer
from tests.support.demo import GZ, SZ
from tests.support.documents import add_version, audit_actions, doc_path, fetch, pdf, sha, upload

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


# --- versions -------------------------------------------------------------------------------------


async def test_versions(
    client: Client, who: dict[str, Headers], admin_db: asyncpg.Connection
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


# --- links ----------------------------------------------------------------------------------------


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
    client: Client, who: dict[str, Headers]
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


async def _on_registration(
    client: Client, headers: Headers, registration: str, marker: bytes, **params: str
) -> httpx.Response:
    """A PDF filed on a provider's registration."""
    return await upload(
        client, headers, pdf(marker), object_type="registration", object_id=registration, **params
    )


async def test_providers_see_only_their_own_objects_documents(
    client: Client, who: dict[str, Headers], registrations: dict[str, str]
) -> None:
    sunshine, pengcheng = registrations["sunshine"], registrations["pengcheng"]
    # Civil affairs files a review note on each registration; each provider adds material.
    officer = who["civil_affairs_officer"]
    on_sunshine = await _on_registration(
        client, officer, sunshine, b"review-sunshine", confidential="true"
    )
    on_pengcheng = await _on_registration(client, officer, pengcheng, b"review-pengcheng")
    own = await _on_registration(client, who["provider_staff"], sunshine, b"sunshine-material")
    project = await upload(client, officer, pdf(b"not-for-providers"))
    for response in (on_sunshine, on_pengcheng, own, project):
        assert response.status_code == 201, response.text

    sunshine_admin = who["provider_admin"]
    listed = await client.get(
        f"/v1/tenants/{GZ}/documents", headers=sunshine_admin, params={"limit": 200}
    )
    ids = {d["id"] for d in listed.json()["items"]}
    assert {on_sunshine.json()["id"], own.json()["id"]} <= ids
    assert not {on_pengcheng.json()["id"], project.json()["id"]} & ids
    # Its own objects only: its registration here, and its own contracts (the demo's); besides
    # the published tenders' open documents (tests/tendering/test_tender_documents.py).
    mine = await client.get("/v1/me/contracts", headers=sunshine_admin)
    own_contracts = {("contract", c["id"]) for c in mine.json() if c["tenant_id"] == GZ}
    objects = {(d["object_type"], d["object_id"]) for d in listed.json()["items"]}
    assert {o for o in objects if o[0] != "tender"} <= {("registration", sunshine)} | own_contracts
    assert ("registration", sunshine) in {
        (d["object_type"], d["object_id"]) for d in listed.json()["items"]
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
    nowhere = await upload(client, officer, pdf(), object_type="registration")
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "object_id"


# --- regions --------------------------------------------------------------------------------------


async def test_a_guangzhou_user_cannot_use_shenzhen_documents(
    client: Client, who: dict[str, Headers]
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
    client: Client, who: dict[str, Headers], bucket: S3Client, settings: Settings
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
    client: Client, who: dict[str, Headers], admin_db: asyncpg.Connection
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
