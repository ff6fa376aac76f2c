"""Inspections (检查) and rectification (整改) of a signed contract: civil affairs, or finance
for the money, records an inspection whose findings may order rectification; the provider
answers with what it did; the bureau that ordered it closes or reopens it; the chronograph
warns once per deadline that passed unanswered. Another provider and another region find
nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.delivery import tasks as delivery_tasks
from services.kit import workdays
from services.kit.db import PLATFORM_TENANT, transaction
from services.kit.jobs import JobContext
from tests.support.client import error_fields, json_of
from tests.support.contracts import Deal, single_source_deal
from tests.support.database import Sessions
from tests.support.documents import pdf, sha, upload
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

CIVIL_AFFAIRS = ("civil_affairs_officer", "civil_affairs_approver")
FINANCE = ("finance_officer", "finance_approver")


def _today() -> date:
    return workdays.local_date(datetime.now(UTC))


def _inspection(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "manner": "unannounced",
        "inspected_on": _today().isoformat(),
        "place": "天河区某街道社工站",
        "inspectors": ["李检查", "王监督"],
        "scope": ["service_delivery", "task_completion"],
        "findings": [
            {"text": "活动签到表与服务记录一致。", "severity": "minor"},
            {
                "text": "个案服务记录缺少督导签字。",
                "severity": "major",
                "rectification": {
                    "required_action": "补齐督导签字并建立督导台账。",
                    "due_on": (_today() + timedelta(days=10)).isoformat(),
                },
            },
        ],
        "notes": "站点负责人解释督导外出；内部备注，不向机构公开。",
    }
    body.update(changes)
    return body


@pytest.fixture
async def deal(gz: Tenderer) -> Deal:
    made = await single_source_deal(gz, price="300000")
    await made.signed()
    return made


def _tenant(deal: Deal) -> str:
    return f"/v1/tenants/{deal.gz.city}"


async def _record(deal: Deal, role: str = "civil_affairs_officer", **changes: Any) -> Any:
    return await deal.client.post(
        f"{deal.path}/inspections", headers=await deal.gz.as_(role), json=_inspection(**changes)
    )


async def _ordered(deal: Deal, role: str = "civil_affairs_officer", **changes: Any) -> str:
    """An inspection recorded; the id of the rectification its finding ordered."""
    made = json_of(await _record(deal, role, **changes), 201)
    [ordered] = [f["rectification_id"] for f in made["findings"] if f["rectification_id"]]
    return str(ordered)


async def _read(deal: Deal, rid: str, headers: dict[str, str]) -> httpx.Response:
    return await deal.client.get(f"{_tenant(deal)}/rectifications/{rid}", headers=headers)


async def _step(
    deal: Deal, rid: str, step: str, headers: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    return await deal.client.post(
        f"{_tenant(deal)}/rectifications/{rid}/{step}", headers=headers, json=body
    )


async def _attach(deal: Deal, rid: str, marker: bytes) -> tuple[str, str]:
    """The provider attaches what it did to the rectification: (document id, SHA-256)."""
    body = pdf(b"rectified " + marker + uuid.uuid4().bytes)
    response = await upload(
        deal.client,
        deal.winner.headers,
        body,
        object_type="rectification",
        object_id=rid,
        filename="整改情况说明.pdf",
        tenant=deal.gz.city,
    )
    return str(json_of(response, 201)["id"]), sha(body)


async def _holders(deal: Deal, roles: tuple[str, ...]) -> set[uuid.UUID]:
    rows = await deal.gz.admin_db.fetch(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = ANY($2::text[])",
        deal.gz.city,
        list(roles),
    )
    return {row["user_id"] for row in rows}


async def _provider_admins(deal: Deal) -> set[uuid.UUID]:
    rows = await deal.gz.admin_db.fetch(
        "SELECT id FROM users WHERE provider_id = $1 AND provider_role = 'provider_admin'"
        " AND active",
        uuid.UUID(deal.winner.provider_id),
    )
    return {row["id"] for row in rows}


async def _told(deal: Deal, event: str, rid: str) -> list[uuid.UUID]:
    """Everyone told ``event`` about the rectification, once per message."""
    rows = await deal.gz.admin_db.fetch(
        "SELECT user_id FROM notifications WHERE event_type = $1"
        " AND data->>'rectification_id' = $2",
        f"delivery.{event}",
        rid,
    )
    return [row["user_id"] for row in rows]


async def _sweep(sessionmaker: Sessions) -> None:
    """The chronograph's rectifications sweep across every region, as one tick runs it."""
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        await delivery_tasks.sweep_rectifications(
            JobContext(session, PLATFORM_TENANT, f"sweep-{uuid.uuid4()}", None), {}
        )


async def test_an_inspection_orders_a_rectification_the_provider_answers_and_it_is_closed(
    deal: Deal,
) -> None:
    officer = await deal.gz.as_("civil_affairs_officer")
    made = json_of(await _record(deal), 201)
    assert made["bureau"] == "civil_affairs" and made["manner"] == "unannounced"
    assert [f["severity"] for f in made["findings"]] == ["minor", "major"]
    assert made["findings"][0]["rectification_id"] is None
    rid = str(made["findings"][1]["rectification_id"])
    # Civil affairs attaches its evidence to the inspection; the provider cannot.
    evidence = await upload(
        deal.client,
        officer,
        pdf(b"photo " + uuid.uuid4().bytes),
        object_type="inspection",
        object_id=made["id"],
        filename="暗访记录.pdf",
        tenant=deal.gz.city,
    )
    json_of(evidence, 201)
    refused = await upload(
        deal.client,
        deal.winner.headers,
        pdf(b"not mine"),
        object_type="inspection",
        object_id=made["id"],
        filename="x.pdf",
        tenant=deal.gz.city,
    )
    assert refused.status_code == 422 and "object_id" in error_fields(refused)
    listed = json_of(await deal.client.get(f"{deal.path}/inspections", headers=officer))
    assert [i["id"] for i in listed["items"]] == [made["id"]]
    assert (
        json_of(
            await deal.client.get(
                f"{_tenant(deal)}/inspections/{made['id']}",
                headers=await deal.gz.as_("finance_officer"),
            )
        )["notes"]
        == made["notes"]
    )
    # The provider is told; it reads its rectification and the inspection's outline, never
    # the inspectors' notes, and cannot read the inspection itself.
    assert sorted(await _told(deal, "rectification_ordered", rid)) == sorted(
        await _provider_admins(deal)
    )
    seen = await deal.client.get(f"{deal.path}/rectifications", headers=deal.winner.headers)
    [mine] = json_of(seen)["items"]
    assert mine["id"] == rid and mine["status"] == "open" and mine["overdue"] is False
    assert mine["inspection"]["severity"] == "major" and mine["checked_by"] == "civil_affairs"
    assert made["notes"] not in seen.text
    inspection_url = f"{_tenant(deal)}/inspections/{made['id']}"
    assert (await deal.client.get(inspection_url, headers=deal.winner.headers)).status_code == 403
    # Only the provider answers; its administrator does, with its document.
    assert (await _step(deal, rid, "answer", officer, {"text": "代为反馈"})).status_code == 403
    document_id, digest = await _attach(deal, rid, b"first")
    answered = json_of(
        await _step(
            deal,
            rid,
            "answer",
            deal.winner.headers,
            {"text": "已补齐签字并建立督导台账。", "document_ids": [document_id]},
        )
    )
    assert answered["status"] == "answered"
    [entry] = answered["entries"]
    assert entry["kind"] == "answer"
    assert entry["documents"] == [{"document_id": document_id, "version": 1, "sha256": digest}]
    assert sorted(await _told(deal, "rectification_answered", rid)) == sorted(
        await _holders(deal, CIVIL_AFFAIRS)
    )
    # The provider cannot close its own rectification; civil affairs closes it, once.
    assert (
        await _step(deal, rid, "close", deal.winner.headers, {"note": "自己销号"})
    ).status_code == 403
    closed = json_of(await _step(deal, rid, "close", officer, {"note": "经复查，已整改到位。"}))
    assert closed["status"] == "closed" and closed["close_note"] == "经复查，已整改到位。"
    again = await _step(deal, rid, "close", officer, {"note": "再次销号"})
    assert again.status_code == 409 and again.json()["code"] == "rectification_wrong_state"
    late = await _step(deal, rid, "answer", deal.winner.headers, {"text": "再次反馈"})
    assert late.status_code == 409
    assert [e["kind"] for e in json_of(await _read(deal, rid, officer))["entries"]] == [
        "answer",
        "close",
    ]


async def test_a_reopened_rectification_is_answered_again_then_closed(deal: Deal) -> None:
    approver = await deal.gz.as_("civil_affairs_approver")
    rid = await _ordered(deal)
    json_of(await _step(deal, rid, "answer", deal.winner.headers, {"text": "已整改。"}))
    new_day = (_today() + timedelta(days=20)).isoformat()
    reopened = json_of(
        await _step(deal, rid, "reopen", approver, {"reason": "台账不完整。", "due_on": new_day})
    )
    assert reopened["status"] == "open" and reopened["reopened"] == 1
    assert reopened["due_on"] == new_day
    assert sorted(await _told(deal, "rectification_reopened", rid)) == sorted(
        await _provider_admins(deal)
    )
    # An open rectification is not closed before it is answered again.
    early = await _step(deal, rid, "close", approver, {"note": "销号"})
    assert early.status_code == 409
    json_of(await _step(deal, rid, "answer", deal.winner.headers, {"text": "台账已补全。"}))
    closed = json_of(await _step(deal, rid, "close", approver, {"note": "整改到位。"}))
    assert closed["status"] == "closed"
    assert [e["kind"] for e in closed["entries"]] == ["answer", "reopen", "answer", "close"]
    assert len(await _told(deal, "rectification_answered", rid)) == 2 * len(
        await _holders(deal, CIVIL_AFFAIRS)
    )


async def test_finance_inspects_the_use_of_funds_only_and_checks_its_own(deal: Deal) -> None:
    finance = await deal.gz.as_("finance_officer")
    officer = await deal.gz.as_("civil_affairs_officer")
    refused = await _record(deal, "finance_officer")
    assert refused.status_code == 403
    assert refused.json()["code"] == "inspection_scope_not_yours"
    mixed = await _record(deal, "finance_approver", scope=["use_of_funds", "service_delivery"])
    assert mixed.status_code == 403
    funds = json_of(
        await _record(
            deal,
            "finance_officer",
            scope=["use_of_funds"],
            manner="announced",
            findings=[
                {
                    "text": "部分支出无发票。",
                    "severity": "serious",
                    "rectification": {
                        "required_action": "补充合规票据。",
                        "due_on": _today().isoformat(),
                    },
                }
            ],
        ),
        201,
    )
    assert funds["bureau"] == "finance" and funds["scope"] == ["use_of_funds"]
    listed = json_of(await deal.client.get(f"{deal.path}/inspections", headers=officer))
    assert [i["id"] for i in listed["items"]] == [funds["id"]]
    rid = str(funds["findings"][0]["rectification_id"])
    json_of(await _step(deal, rid, "answer", deal.winner.headers, {"text": "已补充票据。"}))
    assert sorted(await _told(deal, "rectification_answered", rid)) == sorted(
        await _holders(deal, CIVIL_AFFAIRS + FINANCE)
    )
    # Finance ordered it: civil affairs neither closes nor reopens it.
    for step, body in (("close", {"note": "销号"}), ("reopen", {"reason": "不行"})):
        response = await _step(deal, rid, step, officer, body)
        assert response.status_code == 403
        assert response.json()["code"] == "rectification_not_your_check"
    shown = json_of(await _read(deal, rid, finance))
    assert shown["status"] == "answered" and shown["checked_by"] == "finance"
    closed = json_of(await _step(deal, rid, "close", finance, {"note": "票据已补齐。"}))
    assert closed["status"] == "closed"


async def test_another_provider_finds_nothing(deal: Deal) -> None:
    rid = await _ordered(deal)
    other = deal.others[0].headers
    assert (await _read(deal, rid, other)).status_code == 404
    listed = await deal.client.get(f"{deal.path}/rectifications", headers=other)
    assert listed.status_code == 404
    answered = await _step(deal, rid, "answer", other, {"text": "冒名反馈"})
    assert answered.status_code == 404
    attached = await upload(
        deal.client,
        other,
        pdf(b"not theirs"),
        object_type="rectification",
        object_id=rid,
        filename="x.pdf",
        tenant=deal.gz.city,
    )
    assert attached.status_code == 422
    shown = json_of(await _read(deal, rid, await deal.gz.as_("civil_affairs_officer")))
    assert shown["status"] == "open" and shown["entries"] == []


async def test_every_route_from_another_region_finds_nothing(deal: Deal, sz: Tenderer) -> None:
    made = json_of(await _record(deal), 201)
    rid = str(made["findings"][1]["rectification_id"])
    json_of(await _step(deal, rid, "answer", deal.winner.headers, {"text": "已整改。"}))
    theirs = f"/v1/tenants/{sz.city}"
    contract = f"{theirs}/contracts/{deal.contract['id']}"
    one = f"{theirs}/rectifications/{rid}"
    calls: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("POST", f"{contract}/inspections", "civil_affairs_officer", _inspection()),
        ("POST", f"{contract}/inspections", "finance_officer", _inspection(scope=["use_of_funds"])),
        ("GET", f"{contract}/inspections", "civil_affairs_officer", None),
        ("GET", f"{theirs}/inspections/{made['id']}", "finance_officer", None),
        ("GET", f"{contract}/rectifications", "civil_affairs_officer", None),
        ("GET", one, "finance_approver", None),
        ("POST", f"{one}/close", "civil_affairs_officer", {"note": "越权销号"}),
        ("POST", f"{one}/reopen", "civil_affairs_approver", {"reason": "越权退回"}),
    ]
    for method, url, role, body in calls:
        response = await deal.client.request(method, url, headers=await sz.as_(role), json=body)
        assert response.status_code == 404, (url, role, response.text)
    # The contract's own provider, through the other region's path, finds nothing either.
    for method, url, body in (
        ("GET", one, None),
        ("GET", f"{contract}/rectifications", None),
        ("POST", f"{one}/answer", {"text": "走错地区"}),
    ):
        response = await deal.client.request(method, url, headers=deal.winner.headers, json=body)
        assert response.status_code == 404, (url, response.text)
    officer = await deal.gz.as_("civil_affairs_officer")
    shown = json_of(await _read(deal, rid, officer))
    assert shown["status"] == "answered" and len(shown["entries"]) == 1
    listed = json_of(await deal.client.get(f"{deal.path}/inspections", headers=officer))
    assert len(listed["items"]) == 1


async def _facts(deal: Deal) -> list[dict[str, Any]]:
    """The winner's own credit facts in every region."""
    response = await deal.client.get("/v1/me/credit-facts", headers=deal.winner.headers)
    assert response.status_code == 200, response.text
    facts: list[dict[str, Any]] = response.json()
    return facts


async def test_a_late_rectification_is_warned_once_per_deadline(deal: Deal) -> None:
    officer = await deal.gz.as_("civil_affairs_officer")
    rid = await _ordered(deal)
    await _sweep(deal.gz.sessionmaker)
    assert await _told(deal, "rectification_overdue", rid) == []
    # As if the last day had passed: the deadline an hour ago.
    await deal.gz.admin_db.execute(
        "UPDATE rectifications SET due_at = now() - interval '1 hour' WHERE id = $1",
        uuid.UUID(rid),
    )
    assert json_of(await _read(deal, rid, officer))["overdue"] is True
    await _sweep(deal.gz.sessionmaker)
    await _sweep(deal.gz.sessionmaker)
    warned = await _told(deal, "rectification_overdue", rid)
    everyone = await _holders(deal, CIVIL_AFFAIRS) | await _provider_admins(deal)
    assert sorted(warned) == sorted(everyone)
    # It is a fact of the provider's credit record, once (结果运用).
    overdue = [f for f in await _facts(deal) if f["source_id"] == rid]
    assert [f["kind"] for f in overdue] == ["rectification_overdue"]
    # A late answer is still taken; reopened with a new last day, that deadline is warned
    # about again when it passes, once.
    json_of(await _step(deal, rid, "answer", deal.winner.headers, {"text": "迟到的反馈。"}))
    assert json_of(await _read(deal, rid, officer))["overdue"] is False
    new_day = _today().isoformat()
    json_of(await _step(deal, rid, "reopen", officer, {"reason": "仍未到位。", "due_on": new_day}))
    await deal.gz.admin_db.execute(
        "UPDATE rectifications SET due_at = now() - interval '1 minute' WHERE id = $1",
        uuid.UUID(rid),
    )
    await _sweep(deal.gz.sessionmaker)
    await _sweep(deal.gz.sessionmaker)
    assert sorted(await _told(deal, "rectification_overdue", rid)) == sorted(list(everyone) * 2)
    assert len([f for f in await _facts(deal) if f["source_id"] == rid]) == 1


async def test_bad_input_names_the_field_and_changes_nothing(deal: Deal) -> None:
    officer = await deal.gz.as_("civil_affairs_officer")
    yesterday = (_today() - timedelta(days=1)).isoformat()
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    order = {"required_action": "整改", "due_on": yesterday}
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"findings": [{"text": "问题", "severity": "major", "rectification": order}]},
            "findings[0].rectification.due_on",
        ),
        ({"inspected_on": tomorrow}, "inspected_on"),
        ({"scope": ["use_of_funds", "use_of_funds"]}, "scope"),
        ({"scope": []}, "scope"),
        ({"place": ""}, "place"),
        ({"inspectors": []}, "inspectors"),
        ({"manner": "secret"}, "manner"),
        ({"findings": [{"text": "问题", "severity": "fatal"}]}, "findings[0].severity"),
    ]
    for changes, field in cases:
        response = await _record(deal, **changes)
        assert response.status_code == 422, (changes, response.text)
        assert field in error_fields(response), (field, response.json())
    listed = json_of(await deal.client.get(f"{deal.path}/inspections", headers=officer))
    assert listed["items"] == []
    rectified = json_of(await deal.client.get(f"{deal.path}/rectifications", headers=officer))
    assert rectified["items"] == []
    rid = await _ordered(deal)
    stranger = str(uuid.uuid4())
    bad = await _step(
        deal, rid, "answer", deal.winner.headers, {"text": "见附件", "document_ids": [stranger]}
    )
    assert bad.status_code == 422 and "document_ids[0]" in error_fields(bad)
    json_of(await _step(deal, rid, "answer", deal.winner.headers, {"text": "已整改。"}))
    past = await _step(deal, rid, "reopen", officer, {"reason": "未到位", "due_on": yesterday})
    assert past.status_code == 422 and "due_on" in error_fields(past)
    shown = json_of(await _read(deal, rid, officer))
    assert shown["status"] == "answered" and [e["kind"] for e in shown["entries"]] == ["answer"]


async def test_only_a_signed_contract_is_inspected(gz: Tenderer) -> None:
    drafted = await single_source_deal(gz, price="300000")
    response = await _record(drafted)
    assert response.status_code == 409 and response.json()["code"] == "contract_not_signed"
    officer = await gz.as_("civil_affairs_officer")
    listed = json_of(await drafted.client.get(f"{drafted.path}/inspections", headers=officer))
    assert listed["items"] == []
