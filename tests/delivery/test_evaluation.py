"""Third-party evaluation (第三方评估) of a signed contract, as civil affairs, the evaluation
organisation and the others see it through the API."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from services.delivery.evaluation_rules import add_months
from tests.support.client import Client, Login, error_fields, json_of
from tests.support.database import Sessions
from tests.support.demo import ROLE_LOGINS, SZ, city_login
from tests.support.evaluation import (
    FAILING,
    GOOD,
    mark,
    new_evaluator,
    resident_id,
    signed_engagement,
    sweep,
    uscc,
)
from tests.support.tendering import Tenderer

CHINA = ZoneInfo("Asia/Shanghai")


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def test_civil_affairs_engages_an_evaluator_registered_nowhere_here(
    gz: Tenderer, client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    engagement = await signed_engagement(gz)
    evaluator = await new_evaluator(client, login)
    officer = await engagement.officer()
    offered = await client.get(f"/v1/tenants/{gz.city}/evaluation-organisations", headers=officer)
    assert evaluator.id in {o["id"] for o in offered.json()}

    evaluation = await engagement.engaged(evaluator, follow_up_months=6)

    assert evaluation["status"] == "engaged"
    assert evaluation["kind"] == "final"
    assert evaluation["evaluator_id"] == evaluator.id
    assert evaluation["provider_id"] == engagement.deal.winner.provider_id
    assert evaluation["grade"] is None
    registered = await admin_db.fetchval(
        "SELECT count(*) FROM provider_registrations WHERE provider_id = $1",
        uuid.UUID(evaluator.id),
    )
    assert registered == 0
    # The evaluator's users find it, here and in their list of every region.
    listed = json_of(await client.get(engagement.base, headers=evaluator.admin))
    assert [e["id"] for e in listed["items"]] == [evaluation["id"]]
    mine = (await client.get("/v1/me/evaluations", headers=evaluator.admin)).json()
    assert [e["id"] for e in mine] == [evaluation["id"]]
    assert mine[0]["contract_title"] == engagement.deal.contract["title"]
    told = await admin_db.fetch(
        "SELECT n.user_id FROM notifications n JOIN users u ON u.id = n.user_id"
        " WHERE n.event_type = 'delivery.evaluation_engaged' AND u.provider_id = $1",
        uuid.UUID(evaluator.id),
    )
    assert len(told) == 1


async def test_an_evaluator_tied_to_the_provider_is_refused_for_each_tie(
    gz: Tenderer, client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    engagement = await signed_engagement(gz)
    provider = engagement.deal.winner
    provider_uscc = await uscc(admin_db, provider.provider_id)

    # The same organisation.
    same = await engagement.engage(provider.provider_id)
    body = assert_problem(same, 409, "evaluator_tied")
    assert [t["kind"] for t in body["ties"]] == ["same_organisation"]

    # The evaluator declared the provider as its affiliate.
    declaring = await new_evaluator(client, login)
    declared = await client.post(
        "/v1/me/provider/affiliations",
        headers=declaring.admin,
        json={"related_uscc": provider_uscc, "relation": "subsidiary"},
    )
    json_of(declared, 201)
    body = assert_problem(await engagement.engage(declaring.id), 409, "evaluator_tied")
    assert [t["kind"] for t in body["ties"]] == ["affiliation"]

    # The provider declared the evaluator as its parent.
    declared_by_provider = await new_evaluator(client, login)
    json_of(
        await client.post(
            "/v1/me/provider/affiliations",
            headers=provider.headers,
            json={
                "related_uscc": await uscc(admin_db, declared_by_provider.id),
                "relation": "parent",
            },
        ),
        201,
    )
    body = assert_problem(await engagement.engage(declared_by_provider.id), 409, "evaluator_tied")
    assert [t["kind"] for t in body["ties"]] == ["affiliation"]

    # A shared person: the provider's legal representative directs the evaluator.
    person = resident_id()
    sharing = await new_evaluator(client, login)
    for headers, role in ((provider.headers, "legal_representative"), (sharing.admin, "director")):
        added = await client.post(
            "/v1/me/provider/persons",
            headers=headers,
            json={"role": role, "name": "李明", "id_number": person},
        )
        assert json_of(added, 201)["id_masked"] == person[:3] + "*" * 11 + person[-4:]
    body = assert_problem(await engagement.engage(sharing.id), 409, "evaluator_tied")
    assert [t["kind"] for t in body["ties"]] == ["shared_person"]
    assert person not in str(body)
    # Only the hash and the masked form were kept.
    kept = await admin_db.fetch(
        "SELECT * FROM provider_persons WHERE provider_id = $1", uuid.UUID(sharing.id)
    )
    assert kept and all(person not in str(dict(row)) for row in kept)

    # Nothing was engaged; an independent evaluator still is.
    engaged = await client.get(
        engagement.base,
        headers=await engagement.officer(),
        params={"contract_id": engagement.deal.contract["id"]},
    )
    assert json_of(engaged)["items"] == []
    await engagement.engaged(await new_evaluator(client, login))


async def test_bad_input_is_refused_naming_the_field(
    gz: Tenderer, client: Client, login: Login
) -> None:
    engagement = await signed_engagement(gz)
    unmarked = await new_evaluator(client, login, marked=False)
    refused = await engagement.engage(unmarked.id)
    assert_problem(refused, 422, "not_an_evaluator")
    assert error_fields(refused) == {"evaluator_id"}
    evaluator = await new_evaluator(client, login)
    too_soon = await engagement.engage(evaluator.id, follow_up_months=0)
    assert too_soon.status_code == 422
    assert "follow_up_months" in str(too_soon.json())
    no_contract = await client.post(
        engagement.base,
        headers=await engagement.officer(),
        json={"contract_id": str(uuid.uuid4()), "evaluator_id": evaluator.id},
    )
    assert error_fields(no_contract) == {"contract_id"}

    evaluation = await engagement.engaged(evaluator)
    above = await engagement.score(
        evaluation["id"], evaluator.admin, {**GOOD, "effect_outcome": "20.5"}, None
    )
    assert_problem(above, 422, "score_out_of_range")
    assert error_fields(above) == {"scores.effect_outcome"}
    malformed = await engagement.score(
        evaluation["id"], evaluator.admin, {**GOOD, "funds_process": "八"}, None
    )
    assert malformed.status_code == 422
    assert "funds_process" in str(malformed.json())
    unattached = await engagement.score(evaluation["id"], evaluator.admin, GOOD, str(uuid.uuid4()))
    assert error_fields(unattached) == {"report_document_id"}
    # Without a report there is nothing to submit.
    json_of(await engagement.score(evaluation["id"], evaluator.admin, GOOD, None))
    early = await client.post(
        f"{engagement.base}/{evaluation['id']}/submission", headers=evaluator.admin
    )
    assert_problem(early, 422, "evaluation_incomplete")
    assert error_fields(early) == {"report_document_id"}
    unchanged = json_of(
        await client.get(f"{engagement.base}/{evaluation['id']}", headers=evaluator.admin)
    )
    assert unchanged["status"] == "engaged"
    assert unchanged["scores"]["effect_outcome"] == GOOD["effect_outcome"]


async def test_scores_give_the_grade_civil_affairs_confirms_and_planning_sees_it(
    gz: Tenderer, client: Client, login: Login
) -> None:
    engagement = await signed_engagement(gz)
    evaluator = await new_evaluator(client, login)
    evaluation = await engagement.engaged(evaluator)
    one = f"{engagement.base}/{evaluation['id']}"
    # The evaluator's staff score; only its administrator submits.
    staff_login = f"staff-{uuid.uuid4().hex[:8]}@evaluator.example.org"
    json_of(
        await client.post(
            "/v1/me/provider/users",
            headers=evaluator.admin,
            json={"login": staff_login, "display_name": "评估员", "password": "Staff2026pass"},
        ),
        201,
    )
    staff = await login(staff_login, "Staff2026pass")
    report = await engagement.report(evaluation["id"], staff)
    json_of(await engagement.score(evaluation["id"], staff, GOOD, report))
    assert (await client.post(f"{one}/submission", headers=staff)).status_code == 403

    submitted = json_of(await client.post(f"{one}/submission", headers=evaluator.admin))
    assert submitted["status"] == "submitted"
    assert submitted["total"] == "85.00"
    assert (submitted["grade"], submitted["grade_name"]) == ("good", "良好")
    # Fixed once submitted.
    again = await engagement.score(evaluation["id"], evaluator.admin, FAILING, report)
    assert_problem(again, 409, "evaluation_wrong_state")
    # The officer may return it but only the approver confirms.
    officer = await engagement.officer()
    assert (await client.post(f"{one}/confirmation", headers=officer, json={})).status_code == 403
    returned = json_of(
        await client.post(f"{one}/return", headers=officer, json={"note": "请补充资金使用评价"})
    )
    assert (returned["status"], returned["grade"], returned["return_note"]) == (
        "engaged",
        None,
        "请补充资金使用评价",
    )
    confirmed = await engagement.graded_again(evaluation["id"], evaluator, GOOD)
    assert confirmed["status"] == "confirmed"
    assert confirmed["grade"] == "good"

    project = json_of(
        await client.get(
            f"/v1/tenants/{gz.city}/projects/{confirmed['project_id']}", headers=officer
        )
    )
    assert project["evaluation_grade"] == "good"
    assert project["evaluation_id"] == evaluation["id"]
    # The budget review of the project's line sees it too.
    procurement = json_of(
        await client.get(f"{gz.base}/{engagement.deal.procurement_id}", headers=officer)
    )
    line = json_of(
        await client.get(
            f"/v1/tenants/{gz.city}/budget-lines/{procurement['budget_line_id']}",
            headers=await gz.as_("finance_approver"),
        )
    )
    assert (line["project_id"], line["project_evaluation_grade"]) == (
        confirmed["project_id"],
        "good",
    )
    facts = json_of(
        await client.get(
            f"/v1/tenants/{gz.city}/credit-facts",
            headers=officer,
            params={"provider_id": engagement.deal.winner.provider_id},
        )
    )["items"]
    assert [(f["kind"], f["details"]["grade"], f["source_id"]) for f in facts] == [
        ("evaluation_graded", "good", evaluation["id"])
    ]
    assert "良好" in facts[0]["summary"]


async def test_another_evaluator_another_provider_and_another_region_find_nothing(
    gz: Tenderer, sz: Tenderer, client: Client, login: Login
) -> None:
    engagement = await signed_engagement(gz)
    evaluator = await new_evaluator(client, login)
    evaluation = await engagement.engaged(evaluator)
    one = f"{engagement.base}/{evaluation['id']}"
    other = await new_evaluator(client, login)
    for headers in (other.admin, engagement.deal.winner.headers):
        assert_problem(await client.get(one, headers=headers), 404, "not_found")
        scored = await engagement.score(evaluation["id"], headers, GOOD, None)
        assert_problem(scored, 404, "not_found")
        assert json_of(await client.get(engagement.base, headers=headers))["items"] == []
    assert_problem(await client.post(f"{one}/submission", headers=other.admin), 404, "not_found")
    # The report cannot be attached by another evaluator either.
    foreign = await client.post(
        f"/v1/tenants/{gz.city}/documents",
        headers=other.admin,
        params={"object_type": "evaluation", "object_id": evaluation["id"], "filename": "x.pdf"},
        content=b"%PDF-1.7\n%%EOF\n",
    )
    assert foreign.status_code == 422

    # 深圳's civil affairs, and the evaluator itself asking in 深圳: the same 404.
    sz_path = f"/v1/tenants/{SZ}/evaluations/{evaluation['id']}"
    for headers in (await sz.as_("civil_affairs_approver"), evaluator.admin):
        assert_problem(await client.get(sz_path, headers=headers), 404, "not_found")
    sz_approver = await sz.as_("civil_affairs_approver")
    assert_problem(
        await client.post(f"{sz_path}/confirmation", headers=sz_approver, json={}), 404, "not_found"
    )
    assert_problem(
        await client.post(
            f"/v1/tenants/{SZ}/evaluations",
            headers=await sz.as_("civil_affairs_officer"),
            json={"contract_id": engagement.deal.contract["id"], "evaluator_id": evaluator.id},
        ),
        422,
        "validation_failed",
    )
    # Nothing changed in 广州.
    still = json_of(await client.get(one, headers=await engagement.officer()))
    assert still["status"] == "engaged"


async def test_the_sweep_opens_the_follow_up_when_its_months_have_run(
    gz: Tenderer,
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
) -> None:
    engagement = await signed_engagement(gz)
    evaluator = await new_evaluator(client, login)
    confirmed = await engagement.graded(evaluator, GOOD, follow_up_months=6)
    confirmed_day = datetime.fromisoformat(confirmed["confirmed_at"]).astimezone(CHINA).date()
    # Six months from the day after the confirmation: due at 24:00 of the corresponding day.
    due = datetime.combine(add_months(confirmed_day, 6) + timedelta(days=1), time(0), CHINA)
    assert datetime.fromisoformat(confirmed["follow_up_due_at"]) == due

    one = f"{engagement.base}/{confirmed['id']}"
    await sweep(sessionmaker)
    assert json_of(await client.get(one, headers=evaluator.admin))["follow_up_id"] is None

    await admin_db.execute(
        "UPDATE evaluations SET follow_up_due_at = now() - interval '1 minute'"
        " WHERE tenant_id = $1 AND id = $2",
        gz.city,
        uuid.UUID(confirmed["id"]),
    )
    await sweep(sessionmaker)
    await sweep(sessionmaker)  # a second tick opens nothing more

    parent = json_of(await client.get(one, headers=evaluator.admin))
    assert parent["follow_up_id"] is not None
    follow_up = json_of(
        await client.get(f"{engagement.base}/{parent['follow_up_id']}", headers=evaluator.admin)
    )
    assert (follow_up["kind"], follow_up["status"], follow_up["parent_id"]) == (
        "follow_up",
        "engaged",
        confirmed["id"],
    )
    listed = json_of(
        await client.get(
            engagement.base,
            headers=await engagement.officer(),
            params={"contract_id": engagement.deal.contract["id"]},
        )
    )["items"]
    assert sorted(e["kind"] for e in listed) == ["final", "follow_up"]
    told = await admin_db.fetch(
        "SELECT u.email FROM notifications n JOIN users u ON u.id = n.user_id"
        " WHERE n.event_type = 'delivery.evaluation_follow_up_opened'"
        " AND n.data->>'evaluation_id' = $1",
        follow_up["id"],
    )
    logins = {row["email"] for row in told}
    assert evaluator.provider.admin_login in logins
    assert city_login("civil_affairs_officer", gz.city) in logins
    assert len(told) == len(logins)  # each told once
    # The follow-up is scored like the first.
    graded = await engagement.graded_again(follow_up["id"], evaluator, FAILING)
    assert graded["grade"] == "fail"


async def test_an_evaluation_committee_never_sees_a_grade(
    gz: Tenderer, client: Client, login: Login
) -> None:
    """实施条例 arts. 20, 41: a past grade is no scoring bonus and not before the committee."""
    engagement = await signed_engagement(gz)
    graded_provider = engagement.deal.winner
    evaluator = await new_evaluator(client, login)
    confirmed = await engagement.graded(evaluator, FAILING)
    assert confirmed["grade"] == "fail"

    procurement = await gz.published()
    pid = procurement["id"]
    bidders = [graded_provider, await gz.bidder(), await gz.bidder()]
    for bidder, price in zip(bidders, ("300000", "310000", "320000"), strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(pid, await gz.closed(pid))
    await gz.qualified(pid)
    speciality = f"committee_{uuid.uuid4().hex[:6]}"
    experts = [await gz.expert(speciality=speciality) for _ in range(5)]
    json_of(await gz.draw_committee(pid, 5, speciality), 201)
    await gz.compliant(pid, experts[0][1])
    listed = await client.get(
        f"{gz.base}/{pid}/bids", headers=await gz.as_("civil_affairs_officer")
    )
    bids = listed.json()
    assert graded_provider.provider_id in listed.text
    seen: list[str] = []
    for _, headers in experts:
        scores = [
            {"bid_id": b["id"], "criterion": name, "score": value}
            for b in bids
            for name, value in (("服务方案", "40"), ("团队与经验", "15"))
        ]
        report = await client.post(
            f"{gz.base}/{pid}/scores", headers=headers, json={"scores": scores}
        )
        assert report.status_code == 200, report.text
        seen.append(report.text)
        seen.append((await client.get(f"{gz.base}/{pid}/scores", headers=headers)).text)
    for text in seen:
        for trace in ("grade", "evaluation_id", confirmed["id"], "不合格", "等级", "fail"):
            assert trace not in text, trace
    # The grade is there for those who may use it: the project's budget review.
    project = json_of(
        await client.get(
            f"/v1/tenants/{gz.city}/projects/{confirmed['project_id']}",
            headers=await engagement.officer(),
        )
    )
    assert project["evaluation_grade"] == "fail"


async def test_only_a_platform_administrator_marks_an_evaluator(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    evaluator = await new_evaluator(client, login, marked=False)
    path = f"/v1/platform/providers/{evaluator.id}/evaluator"
    body = {"is_evaluator": True, "note": "自称评估机构"}
    assert (await client.put(path, headers=evaluator.admin, json=body)).status_code == 403
    marked = await mark(client, login, evaluator.id)
    assert marked["is_evaluator"] is True
    own = json_of(await client.get("/v1/me/provider/ties", headers=evaluator.admin))
    assert own["is_evaluator"] is True
    audited = await admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'provider.evaluator_set' AND object_id = $1",
        evaluator.id,
    )
    assert audited == 1
    missing = await client.put(
        f"/v1/platform/providers/{uuid.uuid4()}/evaluator",
        headers=await login(ROLE_LOGINS["platform_admin"]),
        json=body,
    )
    assert_problem(missing, 404, "not_found")
