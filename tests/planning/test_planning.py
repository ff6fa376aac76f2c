"""Planning end to end through the API: needs declarations, the project library, the annual
budget with finance's decision, and the budget guard under concurrent commitments."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.audit import Actor
from services.kit.db import transaction
from services.planning import guard
from services.planning.errors import BudgetExceeded, LineNotApproved
from services.planning.schemas import CommitmentPurpose
from tests.support.client import Client, Login, error_fields, inbox
from tests.support.demo import GZ, SZ, city_login
from tests.support.documents import pdf, upload
from tests.support.planning import COST_LINES, COSTED_TOTAL, YEAR, Planner, declaration_body

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def gz(client: Client, login: Login) -> Planner:
    return Planner(client, login, GZ)


@pytest.fixture
def sz(client: Client, login: Login) -> Planner:
    return Planner(client, login, SZ)


# --- needs declarations ------------------------------------------------------------------------


async def test_a_returned_declaration_is_revised_and_resubmitted_keeping_both_versions(
    client: Client, gz: Planner
) -> None:
    partner = await gz.as_("partner_department")
    officer = await gz.as_("civil_affairs_officer")
    declaration = await gz.declaration()
    assert declaration["status"] == "submitted"
    url = f"{gz.base}/needs-declarations/{declaration['id']}"

    submitted = await inbox(client, officer, "planning.declaration_submitted")
    assert any(n["data"]["declaration_id"] == declaration["id"] for n in submitted)

    returned = await client.post(
        f"{url}/return", headers=officer, json={"comment": "请补充服务对象的分布情况"}
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    told = await inbox(client, partner, "planning.declaration_returned")
    assert any("请补充服务对象的分布情况" in n["body"] for n in told)

    revised_body = declaration_body(
        GZ, title="流动儿童社区融入服务（修订）", requested_amount="450000"
    )
    del revised_body["fiscal_year"]
    revised = await client.put(url, headers=partner, json=revised_body)
    assert revised.status_code == 200, revised.text
    assert revised.json()["version"] == 2 and revised.json()["status"] == "draft"
    assert (await client.post(f"{url}/submit", headers=partner)).status_code == 200
    accepted = await client.post(f"{url}/accept", headers=officer, json={})
    assert accepted.status_code == 200, accepted.text

    detail = (await client.get(url, headers=officer)).json()
    assert detail["status"] == "accepted"
    first, second = detail["versions"]
    assert (first["version"], first["decision"]) == (1, "returned")
    assert first["decision_comment"] == "请补充服务对象的分布情况"
    assert first["requested_amount"] == "480000.00"
    assert (second["version"], second["decision"]) == (2, "accepted")
    assert second["title"] == "流动儿童社区融入服务（修订）"
    assert second["requested_amount"] == "450000.00"


async def test_civil_affairs_never_sees_a_first_draft_and_cannot_act_on_it(
    client: Client, gz: Planner
) -> None:
    draft = await gz.declaration(submit=False)
    officer = await gz.as_("civil_affairs_officer")
    url = f"{gz.base}/needs-declarations/{draft['id']}"
    assert (await client.get(url, headers=officer)).status_code == 404
    assert (await client.post(f"{url}/accept", headers=officer, json={})).status_code == 404
    listed = await client.get(
        f"{gz.base}/needs-declarations", headers=officer, params={"limit": 200}
    )
    assert draft["id"] not in {d["id"] for d in listed.json()["items"]}
    mine = await client.get(
        f"{gz.base}/needs-declarations",
        headers=await gz.as_("partner_department"),
        params={"status": "draft", "limit": 200},
    )
    assert draft["id"] in {d["id"] for d in mine.json()["items"]}


async def test_an_accepted_declaration_cannot_be_edited_or_decided_again(
    client: Client, gz: Planner
) -> None:
    declaration = await gz.accepted_declaration()
    url = f"{gz.base}/needs-declarations/{declaration['id']}"
    body = declaration_body(GZ)
    del body["fiscal_year"]
    edit = await client.put(url, headers=await gz.as_("partner_department"), json=body)
    assert edit.status_code == 409 and edit.json()["code"] == "wrong_state"
    again = await client.post(
        f"{url}/return", headers=await gz.as_("civil_affairs_approver"), json={"comment": "再议"}
    )
    assert again.status_code == 409 and again.json()["code"] == "wrong_state"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"requested_amount": "-100.00"}, "requested_amount"),
        ({"requested_amount": 480000.5}, "requested_amount"),
        ({"requested_amount": "4.8e5"}, "requested_amount"),
        ({"requested_amount": "480000.005"}, "requested_amount"),
        ({"requested_amount": "NaN"}, "requested_amount"),
        ({"programme_area": "space_exploration"}, "programme_area"),
        ({"target_groups": []}, "target_groups"),
        ({"county_code": "440304"}, "county_code"),  # 福田区 is in 深圳, not 广州
        ({"estimated_beneficiaries": 0}, "estimated_beneficiaries"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_declarations_are_refused_naming_the_field_and_nothing_is_stored(
    client: Client, gz: Planner, admin_db: asyncpg.Connection, changes: dict[str, Any], field: str
) -> None:
    before = await admin_db.fetchval(
        "SELECT count(*) FROM needs_declarations WHERE tenant_id = $1", GZ
    )
    response = await client.post(
        f"{gz.base}/needs-declarations",
        headers=await gz.as_("partner_department"),
        json=declaration_body(GZ, **changes),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in error_fields(response)
    after = await admin_db.fetchval(
        "SELECT count(*) FROM needs_declarations WHERE tenant_id = $1", GZ
    )
    assert after == before


async def test_declarations_stay_in_their_city_and_department(
    client: Client, gz: Planner, sz: Planner
) -> None:
    declaration = await gz.declaration()
    url = f"/v1/tenants/{SZ}/needs-declarations/{declaration['id']}"
    for role in ("civil_affairs_officer", "partner_department"):
        headers = await sz.as_(role)
        assert (await client.get(url, headers=headers)).status_code == 404
        listed = await client.get(
            f"/v1/tenants/{SZ}/needs-declarations", headers=headers, params={"limit": 200}
        )
        assert declaration["id"] not in {d["id"] for d in listed.json()["items"]}
    accept = await client.post(
        f"{url}/accept", headers=await sz.as_("civil_affairs_officer"), json={}
    )
    assert accept.status_code == 404
    # Using 广州's path with a 深圳 account is refused by the guard.
    own = f"{gz.base}/needs-declarations/{declaration['id']}"
    assert (await client.get(own, headers=await sz.as_("civil_affairs_officer"))).status_code == 403


# --- the project library -----------------------------------------------------------------------


async def test_a_project_from_declarations_is_assessed_costed_exactly_and_targeted(
    client: Client, gz: Planner
) -> None:
    first = await gz.accepted_declaration()
    second = await gz.accepted_declaration()
    project = await gz.project([first["id"], second["id"]], costed=False)
    assert project["origin"] == "declarations" and project["status"] == "candidate"
    assert sorted(project["declaration_ids"]) == sorted([first["id"], second["id"]])
    officer = await gz.as_("civil_affairs_officer")
    url = f"{gz.base}/projects/{project['id']}"

    assessed = await client.put(
        f"{url}/assessment",
        headers=officer,
        json={
            "survey_method": "入户问卷与焦点小组",
            "survey_period": "2026年9月—10月",
            "sample_size": 320,
            "findings": "课后无人看护的流动儿童约占三成。",
            "conclusion": "需要课后托管、学业辅导与家庭支持服务。",
        },
    )
    assert assessed.status_code == 200, assessed.text
    costed = await client.put(f"{url}/cost-lines", headers=officer, json={"lines": COST_LINES})
    assert costed.status_code == 200, costed.text
    assert costed.json()["estimated_amount"] == COSTED_TOTAL
    assert [line["amount"] for line in costed.json()["cost_lines"]] == [
        "204000.00",
        "74406.00",
        "60000.00",
        "18000.00",
        "12000.00",
    ]
    targets = await client.put(
        f"{url}/targets",
        headers=officer,
        json={
            "targets": [
                {
                    "dimension": "quantity",
                    "name": "服务流动儿童",
                    "unit": "人",
                    "target_value": "400",
                },
                {
                    "dimension": "quality",
                    "name": "服务对象满意度",
                    "unit": "%",
                    "target_value": "90",
                },
            ]
        },
    )
    assert targets.status_code == 200, targets.text

    detail = (await client.get(url, headers=officer)).json()
    assert detail["assessment"]["sample_size"] == 320
    assert [t["name"] for t in detail["targets"]] == ["服务流动儿童", "服务对象满意度"]
    # The declaring department sees the project its declarations feed.
    partner = await gz.as_("partner_department")
    assert (await client.get(url, headers=partner)).status_code == 200
    # A declaration feeds one project only.
    again = await client.post(
        f"{gz.base}/projects",
        headers=officer,
        json={
            "fiscal_year": YEAR,
            "title": "重复立项",
            "programme_area": "urban_migrants",
            "target_groups": ["migrants"],
            "county_code": "440106",
            "estimated_beneficiaries": 10,
            "rationale": "重复",
            "declaration_ids": [first["id"]],
        },
    )
    assert again.status_code == 422 and "declaration_ids[0]" in error_fields(again)


async def test_a_staff_cost_line_names_the_certified_level(client: Client, gz: Planner) -> None:
    project = await gz.project(costed=False)
    line = dict(COST_LINES[0])
    del line["staff_level"]
    response = await client.put(
        f"{gz.base}/projects/{project['id']}/cost-lines",
        headers=await gz.as_("civil_affairs_officer"),
        json={"lines": [COST_LINES[2], line]},
    )
    assert response.status_code == 422 and "lines[1].staff_level" in error_fields(response)


async def test_the_library_filters_and_searches(client: Client, gz: Planner) -> None:
    elderly = await gz.project(
        programme_area="elderly_disabled_care",
        target_groups=["elderly", "disabled"],
        title="长者居家探访与照护服务",
        fiscal_year=2028,
    )
    officer = await gz.as_("civil_affairs_officer")

    async def ids(**params: Any) -> set[str]:
        response = await client.get(
            f"{gz.base}/projects", headers=officer, params={"limit": 200, **params}
        )
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["items"]}

    assert elderly["id"] in await ids(programme_area="elderly_disabled_care", fiscal_year=2028)
    assert elderly["id"] not in await ids(programme_area="urban_migrants")
    assert elderly["id"] in await ids(target_group="disabled", status="candidate")
    assert elderly["id"] in await ids(q="居家探访")
    assert elderly["id"] in await ids(min_amount="368406", max_amount="368406.00")
    assert elderly["id"] not in await ids(min_amount="368406.01")
    bad = await client.get(f"{gz.base}/projects", headers=officer, params={"min_amount": "1.234"})
    assert bad.status_code == 422 and "min_amount" in error_fields(bad)
    # Finance reads the whole library; a department only what its declarations feed.
    assert (
        await client.get(
            f"{gz.base}/projects/{elderly['id']}", headers=await gz.as_("finance_officer")
        )
    ).status_code == 200
    partner = await gz.as_("partner_department")
    assert (
        await client.get(f"{gz.base}/projects/{elderly['id']}", headers=partner)
    ).status_code == 404


# --- the annual budget -------------------------------------------------------------------------


async def test_sources_that_do_not_sum_to_the_line_are_refused(client: Client, gz: Planner) -> None:
    budget = await gz.budget(projects=0)
    project = await gz.project()
    response = await client.post(
        f"{gz.base}/budgets/{budget['id']}/lines",
        headers=await gz.as_("civil_affairs_officer"),
        json={
            "project_id": project["id"],
            "amount": COSTED_TOTAL,
            "sources": [
                {"source": "general_budget", "amount": "300000.00"},
                {"source": "central_special_fund", "amount": "68405.99"},
            ],
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "sources_do_not_sum"
    assert error_fields(response) == {"sources"}
    detail = await client.get(
        f"{gz.base}/budgets/{budget['id']}", headers=await gz.as_("finance_officer")
    )
    assert detail.json()["lines"] == []


async def test_finance_approves_a_budget_cutting_one_line_with_a_reason(
    client: Client, gz: Planner
) -> None:
    budget = await gz.submitted_budget(projects=2)
    assert budget["status"] == "submitted" and budget["requested_total"] == "736812.00"
    finance = await gz.as_("finance_approver")
    told = await inbox(client, finance, "planning.budget_submitted")
    assert any(n["data"]["budget_id"] == budget["id"] for n in told)
    cut_line, kept_line = budget["lines"]

    decision = await client.post(
        f"{gz.base}/budgets/{budget['id']}/decision",
        headers=finance,
        json={
            "outcome": "approved",
            "comment": "同意，按核定金额执行",
            "cuts": [
                {
                    "line_id": cut_line["id"],
                    "approved_amount": "320000.00",
                    "reason": "管理费比例偏高，活动场次核减",
                    "sources": [
                        {"source": "general_budget", "amount": "260000.00"},
                        {"source": "lottery_welfare_fund", "amount": "60000.00"},
                    ],
                }
            ],
        },
    )
    assert decision.status_code == 200, decision.text
    approved = decision.json()
    assert approved["status"] == "approved" and approved["approved_total"] == "688406.00"
    lines = {line["id"]: line for line in approved["lines"]}
    assert lines[cut_line["id"]]["approved_amount"] == "320000.00"
    assert lines[cut_line["id"]]["cut_reason"] == "管理费比例偏高，活动场次核减"
    assert {s["source"]: s["approved_amount"] for s in lines[cut_line["id"]]["sources"]} == {
        "general_budget": "260000.00",
        "lottery_welfare_fund": "60000.00",
    }
    assert lines[kept_line["id"]]["approved_amount"] == COSTED_TOTAL

    officer = await gz.as_("civil_affairs_officer")
    project = await client.get(f"{gz.base}/projects/{cut_line['project_id']}", headers=officer)
    assert project.json()["status"] == "budgeted"
    cuts = await inbox(client, officer, "planning.budget_line_cut")
    assert any(n["data"]["line_id"] == cut_line["id"] for n in cuts)
    assert any(
        n["data"]["budget_id"] == budget["id"]
        for n in await inbox(client, officer, "planning.budget_approved")
    )

    available = await client.get(
        f"{gz.base}/budget-lines", headers=officer, params={"fiscal_year": YEAR, "limit": 200}
    )
    assert cut_line["id"] in {line["id"] for line in available.json()["items"]}
    # The approved budget and its projects are fixed now.
    frozen = await client.put(
        f"{gz.base}/projects/{cut_line['project_id']}/cost-lines",
        headers=officer,
        json={"lines": COST_LINES},
    )
    assert frozen.status_code == 409


async def test_a_cut_on_a_line_with_several_sources_must_say_how_it_falls(
    client: Client, gz: Planner
) -> None:
    budget = await gz.submitted_budget()
    line = budget["lines"][0]
    response = await client.post(
        f"{gz.base}/budgets/{budget['id']}/decision",
        headers=await gz.as_("finance_approver"),
        json={
            "outcome": "approved",
            "cuts": [{"line_id": line["id"], "approved_amount": "300000", "reason": "压减"}],
        },
    )
    assert response.status_code == 422 and error_fields(response) == {"cuts[0].sources"}
    still = await client.get(
        f"{gz.base}/budgets/{budget['id']}", headers=await gz.as_("finance_approver")
    )
    assert still.json()["status"] == "submitted"


async def test_a_returned_budget_is_revised_and_submitted_again(
    client: Client, gz: Planner
) -> None:
    budget = await gz.submitted_budget()
    finance = await gz.as_("finance_approver")
    url = f"{gz.base}/budgets/{budget['id']}"
    no_reason = await client.post(f"{url}/decision", headers=finance, json={"outcome": "returned"})
    assert no_reason.status_code == 422 and error_fields(no_reason) == {"comment"}
    returned = await client.post(
        f"{url}/decision",
        headers=finance,
        json={"outcome": "returned", "comment": "请补充资金来源说明"},
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    officer = await gz.as_("civil_affairs_officer")
    assert any(
        n["data"]["budget_id"] == budget["id"]
        for n in await inbox(client, officer, "planning.budget_returned")
    )
    line = budget["lines"][0]
    changed = await client.put(
        f"{url}/lines/{line['id']}",
        headers=officer,
        json={
            "amount": COSTED_TOTAL,
            "sources": [{"source": "general_budget", "amount": COSTED_TOTAL}],
        },
    )
    assert changed.status_code == 200, changed.text
    again = await client.post(f"{url}/submit", headers=await gz.as_("civil_affairs_approver"))
    assert again.status_code == 200 and again.json()["submissions"] == 2


async def test_only_the_approver_submits_and_only_finance_decides(
    client: Client, gz: Planner
) -> None:
    budget = await gz.budget()
    url = f"{gz.base}/budgets/{budget['id']}"
    refused = await client.post(f"{url}/submit", headers=await gz.as_("civil_affairs_officer"))
    assert refused.status_code == 403
    assert (
        await client.post(f"{url}/submit", headers=await gz.as_("civil_affairs_approver"))
    ).status_code == 200
    for role in ("finance_officer", "civil_affairs_approver"):
        denied = await client.post(
            f"{url}/decision", headers=await gz.as_(role), json={"outcome": "approved"}
        )
        assert denied.status_code == 403


async def test_another_city_cannot_see_or_decide_a_budget(
    client: Client, gz: Planner, sz: Planner
) -> None:
    budget = await gz.submitted_budget()
    elsewhere = f"/v1/tenants/{SZ}/budgets/{budget['id']}"
    assert (
        await client.get(elsewhere, headers=await sz.as_("finance_approver"))
    ).status_code == 404
    decision = await client.post(
        f"{elsewhere}/decision",
        headers=await sz.as_("finance_approver"),
        json={"outcome": "approved"},
    )
    assert decision.status_code == 404
    line = f"/v1/tenants/{SZ}/budget-lines/{budget['lines'][0]['id']}"
    assert (
        await client.get(line, headers=await sz.as_("civil_affairs_officer"))
    ).status_code == 404


# --- the budget guard ----------------------------------------------------------------------------


async def _commit(
    sessionmaker: async_sessionmaker[AsyncSession], line_id: uuid.UUID, amount: Decimal
) -> str:
    actor = Actor(user_id=None, tenant=GZ, request_id="guard-test")
    try:
        async with transaction(sessionmaker, GZ) as session:
            await guard.commit(
                session,
                actor,
                line_id,
                amount,
                CommitmentPurpose.procurement,
                "procurement",
                uuid.uuid4(),
            )
            # Hold the row lock a moment so the other request really waits on it.
            await asyncio.sleep(0.2)
        return "won"
    except BudgetExceeded:
        return "refused"


async def test_two_commitments_racing_for_the_last_yuan_exactly_one_wins(
    client: Client,
    gz: Planner,
    sessionmaker: async_sessionmaker[AsyncSession],
    admin_db: asyncpg.Connection,
) -> None:
    budget = await gz.approved_budget()
    line_id = uuid.UUID(budget["lines"][0]["id"])
    # Everything but the last yuan is committed already.
    assert await _commit(sessionmaker, line_id, Decimal(COSTED_TOTAL) - 1) == "won"
    results = await asyncio.gather(*(_commit(sessionmaker, line_id, Decimal(1)) for _ in range(2)))
    assert sorted(results) == ["refused", "won"]
    committed = await admin_db.fetchval(
        "SELECT committed_amount FROM budget_lines WHERE tenant_id = $1 AND id = $2", GZ, line_id
    )
    assert committed == Decimal(COSTED_TOTAL)
    count = await admin_db.fetchval(
        "SELECT count(*) FROM budget_commitments WHERE tenant_id = $1 AND line_id = $2", GZ, line_id
    )
    assert count == 2
    detail = await client.get(
        f"{gz.base}/budget-lines/{line_id}", headers=await gz.as_("finance_officer")
    )
    assert detail.json()["available_amount"] == "0.00" and len(detail.json()["commitments"]) == 2


async def test_the_database_itself_refuses_committing_past_the_approved_amount(
    gz: Planner, admin_db: asyncpg.Connection
) -> None:
    budget = await gz.approved_budget()
    line_id = uuid.UUID(budget["lines"][0]["id"])
    with pytest.raises(asyncpg.CheckViolationError):
        await admin_db.execute(
            "UPDATE budget_lines SET committed_amount = approved_amount + 0.01"
            " WHERE tenant_id = $1 AND id = $2",
            GZ,
            line_id,
        )


async def test_a_draft_budget_line_cannot_be_committed(
    gz: Planner, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    budget = await gz.budget()
    detail = await gz.client.get(
        f"{gz.base}/budgets/{budget['id']}", headers=await gz.as_("civil_affairs_officer")
    )
    line_id = uuid.UUID(detail.json()["lines"][0]["id"])
    with pytest.raises(LineNotApproved):
        async with transaction(sessionmaker, GZ) as session:
            await guard.commit(
                session,
                Actor(None, GZ, "guard-test"),
                line_id,
                Decimal(1),
                CommitmentPurpose.procurement,
                "procurement",
                uuid.uuid4(),
            )


# --- documents on planning objects ---------------------------------------------------------------


async def test_a_department_attaches_documents_to_its_own_declaration_only(
    client: Client, gz: Planner, login: Login
) -> None:
    declaration = await gz.declaration()
    partner = await gz.as_("partner_department")

    async def attach(headers: dict[str, str], object_type: str, object_id: str) -> int:
        response = await upload(
            client,
            headers,
            pdf(),
            object_type=object_type,
            object_id=object_id,
            filename="需求调研报告.pdf",
        )
        return response.status_code

    assert await attach(partner, "needs_declaration", declaration["id"]) == 201
    assert (
        await attach(await gz.as_("civil_affairs_officer"), "needs_declaration", declaration["id"])
        == 201
    )
    budget = await gz.budget(projects=0)
    assert await attach(await gz.as_("finance_officer"), "budget", budget["id"]) == 201
    assert await attach(partner, "budget", budget["id"]) == 422
    # Another city's officer cannot reach the declaration at all.
    sz_officer = await login(city_login("civil_affairs_officer", SZ))
    response = await upload(
        client,
        sz_officer,
        pdf(),
        object_type="needs_declaration",
        object_id=declaration["id"],
        filename="x.pdf",
        tenant=SZ,
    )
    assert response.status_code == 422


# --- another city's objects, through every route -------------------------------------------------

# (method, path under the tenant, acting role, body): each names a 广州 object from 深圳.
ELSEWHERE = [
    ("GET", "needs-declarations/{declaration}", "civil_affairs_officer", None),
    ("PUT", "needs-declarations/{draft}", "partner_department", "content"),
    ("POST", "needs-declarations/{draft}/submit", "partner_department", None),
    ("POST", "needs-declarations/{draft}/withdraw", "partner_department", None),
    ("POST", "needs-declarations/{declaration}/accept", "civil_affairs_officer", {}),
    ("POST", "needs-declarations/{declaration}/return", "civil_affairs_officer", {"comment": "x"}),
    ("GET", "projects/{project}", "civil_affairs_officer", None),
    ("PATCH", "projects/{project}", "civil_affairs_officer", {"estimated_beneficiaries": 1}),
    (
        "PUT",
        "projects/{project}/assessment",
        "civil_affairs_officer",
        {"survey_method": "x", "survey_period": "x", "findings": "x", "conclusion": "x"},
    ),
    ("PUT", "projects/{project}/cost-lines", "civil_affairs_officer", {"lines": COST_LINES}),
    (
        "PUT",
        "projects/{project}/targets",
        "civil_affairs_officer",
        {"targets": [{"dimension": "quantity", "name": "x", "unit": "人", "target_value": "1"}]},
    ),
    ("POST", "projects/{project}/withdraw", "civil_affairs_officer", {"reason": "x"}),
    ("GET", "budgets/{budget}", "finance_officer", None),
    ("POST", "budgets/{budget}/lines", "civil_affairs_officer", "line"),
    ("PUT", "budgets/{budget}/lines/{line}", "civil_affairs_officer", "line_update"),
    ("DELETE", "budgets/{budget}/lines/{line}", "civil_affairs_officer", None),
    ("POST", "budgets/{budget}/submit", "civil_affairs_approver", None),
    ("POST", "budgets/{budget}/decision", "finance_approver", {"outcome": "approved"}),
    ("GET", "budget-lines/{line}", "finance_officer", None),
]


@pytest.fixture(scope="module")
async def guangzhou_objects(client: Client, login: Login) -> dict[str, str]:
    gz = Planner(client, login, GZ)
    declaration = await gz.declaration()
    draft = await gz.declaration(submit=False)
    project = await gz.project()
    budget = await gz.budget()
    detail = await client.get(
        f"{gz.base}/budgets/{budget['id']}", headers=await gz.as_("finance_officer")
    )
    return {
        "declaration": declaration["id"],
        "draft": draft["id"],
        "project": project["id"],
        "budget": budget["id"],
        "line": detail.json()["lines"][0]["id"],
    }


@pytest.mark.parametrize(
    ("method", "path", "role", "body"), ELSEWHERE, ids=[f"{m} {p}" for m, p, _, _ in ELSEWHERE]
)
async def test_another_citys_object_is_not_found_and_unchanged(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    guangzhou_objects: dict[str, str],
    method: str,
    path: str,
    role: str,
    body: Any,
) -> None:
    sz_project = await Planner(client, login, SZ).project()
    bodies = {
        "content": {k: v for k, v in declaration_body(SZ).items() if k != "fiscal_year"},
        "line": {
            "project_id": sz_project["id"],
            "amount": COSTED_TOTAL,
            "sources": [{"source": "general_budget", "amount": COSTED_TOTAL}],
        },
        "line_update": {
            "amount": "1.00",
            "sources": [{"source": "general_budget", "amount": "1.00"}],
        },
    }
    before = await admin_db.fetchval("SELECT count(*) FROM audit_log WHERE tenant_id = $1", GZ)
    response = await client.request(
        method,
        f"/v1/tenants/{SZ}/" + path.format(**guangzhou_objects),
        headers=await login(city_login(role, SZ)),
        json=bodies[body] if isinstance(body, str) else body,
    )
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    after = await admin_db.fetchval("SELECT count(*) FROM audit_log WHERE tenant_id = $1", GZ)
    assert after == before
