"""A project from a signed contract to a verified archive, through the API: a progress report
submitted and accepted, an inspection whose finding orders a rectification answered and
closed, an acceptance that passes (the final instalment then goes through, the project is
completed), a third-party evaluation graded 良好, the provider's credit facts read by another
region, and the project's file — every stage in its manifest, verified, then failing
verification once one byte of a stored delivery file changes."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.kit import workdays
from services.kit.settings import Settings
from tests.support.acceptance import new_round, today
from tests.support.archive import data_offset, manifest_of, members, run_build
from tests.support.client import Client, Login, json_of
from tests.support.contracts import Deal, single_source_deal
from tests.support.database import Sessions
from tests.support.demo import GZ, SZ
from tests.support.documents import fetch, pdf, sha, upload
from tests.support.evaluation import GOOD, Engagement, new_evaluator
from tests.support.storage import store_client
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

DELIVERY_PARTS = (
    "report_schedule",
    "reports",
    "inspections",
    "rectifications",
    "acceptances",
    "evaluations",
)
INSPECTORS = ["赵检查员", "钱监督员"]


def _tenant(deal: Deal) -> str:
    return f"/v1/tenants/{deal.gz.city}"


async def _attach(deal: Deal, headers: dict[str, str], kind: str, object_id: str) -> str:
    """A document on a delivery object: its id."""
    response = await upload(
        deal.client,
        headers,
        pdf(f"{kind} {object_id} ".encode() + uuid.uuid4().bytes),
        object_type=kind,
        object_id=object_id,
        filename=f"{kind}.pdf",
        tenant=deal.gz.city,
    )
    return str(json_of(response, 201)["id"])


async def _reported(deal: Deal) -> str:
    """A quarterly schedule; the first quarter's report, with a document, submitted and
    accepted. The report's id."""
    officer = await deal.gz.as_("civil_affairs_officer")
    json_of(
        await deal.client.put(
            f"{deal.path}/report-schedule", headers=officer, json={"kind": "quarterly"}
        )
    )
    served = [
        {"target_group": group, "county_code": "440106", "count": 36}
        for group in deal.contract["target_groups"][:1]
    ]
    content = {
        "served": served,
        "hours": [{"staff_level": "social_worker", "hours": "210.5"}],
        "problems": "部分服务对象因就医未能参加小组活动。",
    }
    made = json_of(
        await deal.client.post(
            f"{deal.path}/reports",
            headers=deal.winner.headers,
            json={"period_seq": 1, "content": content},
        ),
        201,
    )
    report = f"{_tenant(deal)}/reports/{made['id']}"
    await _attach(deal, deal.winner.headers, "report", made["id"])
    submitted = await deal.client.post(f"{report}/submit", headers=deal.winner.headers)
    assert json_of(submitted)["status"] == "submitted"
    accepted = await deal.client.post(
        f"{report}/accept", headers=officer, json={"comment": "同意。"}
    )
    assert json_of(accepted)["status"] == "accepted"
    return str(made["id"])


async def _inspected(deal: Deal) -> tuple[str, str]:
    """An inspection with evidence whose finding orders a rectification; the provider answers
    with its document, civil affairs closes it. (inspection id, rectification id)"""
    officer = await deal.gz.as_("civil_affairs_officer")
    local = workdays.local_date(datetime.now(UTC))
    made = json_of(
        await deal.client.post(
            f"{deal.path}/inspections",
            headers=officer,
            json={
                "manner": "announced",
                "inspected_on": local.isoformat(),
                "place": "越秀区某社工站",
                "inspectors": INSPECTORS,
                "scope": ["service_delivery"],
                "findings": [
                    {
                        "text": "小组活动记录缺少签到表。",
                        "severity": "major",
                        "rectification": {
                            "required_action": "补齐签到表并建立活动台账。",
                            "due_on": (local + timedelta(days=10)).isoformat(),
                        },
                    }
                ],
            },
        ),
        201,
    )
    [rid] = [str(f["rectification_id"]) for f in made["findings"] if f["rectification_id"]]
    await _attach(deal, officer, "inspection", made["id"])
    document_id = await _attach(deal, deal.winner.headers, "rectification", rid)
    steps = f"{_tenant(deal)}/rectifications/{rid}"
    answered = await deal.client.post(
        f"{steps}/answer",
        headers=deal.winner.headers,
        json={"text": "已补齐签到表并建立台账。", "document_ids": [document_id]},
    )
    assert json_of(answered)["status"] == "answered"
    closed = await deal.client.post(
        f"{steps}/close", headers=officer, json={"note": "经复查，已整改到位。"}
    )
    assert json_of(closed)["status"] == "closed"
    return str(made["id"]), rid


async def _final_payment(deal: Deal) -> str:
    """The provider asks for the final instalment: the payment's id."""
    evidence = await _attach(deal, deal.winner.headers, "contract", deal.contract["id"])
    final = (await deal.read())["instalments"][-1]
    assert final["final"] is True
    asked = await deal.client.post(
        f"{deal.path}/payments",
        headers=deal.winner.headers,
        json={
            "instalment_seq": final["seq"],
            "amount": final["amount"],
            "evidence_document_ids": [evidence],
        },
    )
    return str(json_of(asked, 201)["id"])


async def _confirm(deal: Deal, payment: str) -> httpx.Response:
    return await deal.client.post(
        f"{deal.path}/payments/{payment}/confirmation",
        headers=await deal.gz.as_("civil_affairs_officer"),
        json={},
    )


async def _ask(deal: Deal, project_id: str) -> dict[str, Any]:
    response = await deal.client.post(
        f"{_tenant(deal)}/projects/{project_id}/archives",
        headers=await deal.gz.as_("civil_affairs_officer"),
    )
    return dict(json_of(response, 202))


async def _verify(deal: Deal, archive_id: str) -> dict[str, Any]:
    response = await deal.client.post(
        f"{_tenant(deal)}/archives/{archive_id}/verify", headers=await deal.gz.as_("tenant_admin")
    )
    return dict(json_of(response))


async def test_from_a_signed_contract_to_a_verified_archive(
    gz: Tenderer,
    sz: Tenderer,
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
    settings: Settings,
) -> None:
    deal = await single_source_deal(gz, price="300000")
    await deal.signed()
    contract = await deal.read()
    project_id, contract_id = str(contract["project_id"]), str(contract["id"])

    report_id = await _reported(deal)
    inspection_id, rectification_id = await _inspected(deal)

    # The final instalment waits for the acceptance.
    payment = await _final_payment(deal)
    early = await _confirm(deal, payment)
    assert early.status_code == 409 and early.json()["code"] == "awaiting_acceptance"

    accepted = await new_round(deal)
    await accepted.full_panel()
    assert sorted(m.kind for m in accepted.members) == ["buyer", "recipient", "third_party"]
    assert json_of(await accepted.conclude())["result"] == "pass"
    published = await accepted.signed_by_both()
    assert published["status"] == "published"
    assert json_of(await _confirm(deal, payment))["status"] != "requested"
    paid = await deal.client.post(
        f"{deal.path}/payments/{payment}/paid",
        headers=await gz.as_("civil_affairs_officer"),
        json={"paid_on": today(), "voucher": "GK2027-FC0001"},
    )
    assert json_of(paid)["status"] == "paid"
    status = await admin_db.fetchval(
        "SELECT status FROM projects WHERE tenant_id = $1 AND id = $2", GZ, uuid.UUID(project_id)
    )
    assert status == "completed"
    # The file as it stands once completed …
    before_evaluation = await _ask(deal, project_id)

    evaluator = await new_evaluator(client, login)
    evaluation = await Engagement(deal).graded(evaluator, GOOD)
    assert (evaluation["status"], evaluation["grade"], evaluation["grade_name"]) == (
        "confirmed",
        "good",
        "良好",
    )

    # … and once the evaluation is confirmed: a later state, a new archive.
    asked = await _ask(deal, project_id)
    assert asked["id"] != before_evaluation["id"] and asked["status"] == "queued"
    assert await run_build(admin_db, sessionmaker, settings, asked["id"])
    one = f"{_tenant(deal)}/archives/{asked['id']}"
    ready = json_of(await client.get(one, headers=await gz.as_("tenant_admin")))
    assert ready["status"] == "ready" and ready["percent"] == 100
    assert (await _ask(deal, project_id))["id"] == asked["id"]

    link = json_of(
        await client.get(f"{one}/download", headers=await gz.as_("civil_affairs_approver"))
    )
    got = await fetch(link["url"])
    assert got.status_code == 200
    zipped = got.content
    files = members(zipped)
    manifest = manifest_of(zipped)
    assert manifest == ready["manifest"] | {"archive_id": asked["id"]}
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]
    paths = [e["path"] for e in manifest["files"]]
    for stage in ("01-planning/", "02-procurements/", "03-contracts/", "04-delivery/"):
        assert any(p.startswith(stage) for p in paths), stage
    assert "99-audit/trail.json" in paths
    folder = f"04-delivery/01-{contract_id}"
    for part in DELIVERY_PARTS:
        assert f"{folder}/{part}.json" in paths, part

    def filed(part: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(files[f"{folder}/{part}.json"])
        return found

    [schedule] = filed("report_schedule")
    assert schedule["kind"] == "quarterly" and schedule["periods"][0]["seq"] == 1
    [report] = filed("reports")
    assert (report["id"], report["status"], report["submissions"]) == (report_id, "accepted", 1)
    assert report["content"]["served"][0]["count"] == 36
    assert [(c["kind"], c["body"]) for c in report["comments"]] == [("accepted", "同意。")]
    [inspection] = filed("inspections")
    assert inspection["id"] == inspection_id and inspection["inspectors"] == INSPECTORS
    assert inspection["findings"][0]["rectification_id"] == rectification_id
    [rectification] = filed("rectifications")
    assert rectification["status"] == "closed"
    assert [s["kind"] for s in rectification["steps"]] == ["answer", "close"]
    [acceptance] = filed("acceptances")
    assert (acceptance["id"], acceptance["result"], acceptance["status"]) == (
        accepted.id,
        "pass",
        "published",
    )
    assert acceptance["standards"] and acceptance["findings"][0]["passed"] is True
    assert {(m["kind"], m["display_name"]) for m in acceptance["panel"]} == {
        (m.kind, m.display_name) for m in accepted.members
    }
    assert all(m["opinion"] and m["scores"][0]["score"] == 90 for m in acceptance["panel"])
    assert sorted(s["party"] for s in acceptance["signatures"]) == ["buyer", "provider"]
    assert acceptance["signed_sha256"] == published["signed_sha256"]
    [graded] = filed("evaluations")
    assert (graded["id"], graded["grade"], graded["total"]) == (evaluation["id"], "good", "85.00")
    assert set(graded["scores"]) == set(GOOD)

    # Each delivery object's documents, bytes and all.
    listing = json.loads(files[f"{folder}/documents.json"])
    kinds = {d["object_type"] for d in listing}
    assert kinds == {"report", "inspection", "rectification", "acceptance", "evaluation"}
    for d in listing:
        assert d["path"] and sha(files[d["path"]]) == d["sha256"]
    trail = json.loads(files["99-audit/trail.json"])
    audited = {e["object_id"] for e in trail}
    for object_id in (report_id, inspection_id, rectification_id, accepted.id, evaluation["id"]):
        assert object_id in audited, object_id

    assert await _verify(deal, asked["id"]) == {
        "ok": True,
        "files_checked": len(manifest["files"]),
        "first_difference": None,
    }
    # One byte of the rectification's stored document, changed in the stored zip.
    [answer] = [d for d in listing if d["object_type"] == "rectification"]
    key = await admin_db.fetchval(
        "SELECT storage_key FROM project_archives WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(asked["id"]),
    )
    at = data_offset(zipped, answer["path"]) + 40
    damaged = zipped[:at] + bytes([zipped[at] ^ 0x01]) + zipped[at + 1 :]
    store_client(settings).put_object(Bucket=settings.s3_bucket, Key=key, Body=damaged)
    failed = await _verify(deal, asked["id"])
    assert failed["ok"] is False and failed["first_difference"]["path"] == answer["path"]

    # Another region's civil affairs: the archive is not there; the provider's facts are,
    # through the narrow path only, without anyone's name.
    sz_officer = await sz.as_("civil_affairs_officer")
    other = await client.get(f"/v1/tenants/{SZ}/archives/{asked['id']}", headers=sz_officer)
    assert other.status_code == 404
    provider_id = deal.winner.provider_id
    own = json_of(
        await client.get(
            f"/v1/tenants/{SZ}/credit-facts",
            headers=sz_officer,
            params={"provider_id": provider_id},
        )
    )
    assert own["items"] == []
    across = await client.get(f"/v1/tenants/{SZ}/provider-facts/{provider_id}", headers=sz_officer)
    facts = json_of(across)["facts"]
    assert sorted((f["source_tenant"], f["kind"]) for f in facts) == [
        (GZ, "acceptance_passed"),
        (GZ, "evaluation_graded"),
    ]
    [grade] = [f for f in facts if f["kind"] == "evaluation_graded"]
    assert grade["details"]["grade"] == "good" and "良好" in grade["summary"]
    [passed] = [f for f in facts if f["kind"] == "acceptance_passed"]
    assert passed["details"]["round"] == 1 and passed["details"]["standards_failed"] == 0
    for name in [m.display_name for m in accepted.members] + INSPECTORS:
        assert name not in across.text
    # A provider, even the one concerned, does not use the path.
    denied = await client.get(
        f"/v1/tenants/{SZ}/provider-facts/{provider_id}", headers=deal.winner.headers
    )
    assert denied.status_code == 403
