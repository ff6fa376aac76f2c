"""Calls of the planning routes: each cell makes its own objects, as the roles that make them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.authz.expected import BG, BG1, FINANCE_OFFICER, ND, ND1, PJ, PJ1, T
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ
from tests.support.planning import COST_LINES, COSTED_TOTAL, YEAR, declaration_body


def _content() -> dict[str, Any]:
    body = declaration_body(GZ)
    del body["fiscal_year"]
    return body


async def _submitted_declaration(w: World) -> str:
    return str((await w.planner().declaration())["id"])


async def _draft_declaration(w: World) -> str:
    return str((await w.planner().declaration(submit=False))["id"])


async def _new_project(w: World) -> str:
    return str((await w.planner().project(costed=False))["id"])


async def _empty_budget(w: World) -> str:
    return str((await w.planner().budget(projects=0))["id"])


async def _draft_budget(w: World) -> str:
    return str((await w.planner().budget())["id"])


@calls(f"POST {ND}", 201)
async def _declare(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        f"/v1/tenants/{GZ}/needs-declarations", headers=h, json=declaration_body(GZ)
    )


plain(f"GET {ND}")
plain(f"GET {ND1}", declaration_id=_submitted_declaration)


@calls(f"PUT {ND1}")
async def _revise_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await w.planner().declaration(submit=False)
    url = f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}"
    return await w.client.put(url, headers=h, json=_content())


plain(f"POST {ND1}/submit", declaration_id=_draft_declaration)
plain(f"POST {ND1}/withdraw", declaration_id=_draft_declaration)


@calls(f"POST {ND1}/accept")
async def _accept_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await w.planner().declaration()
    url = f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}/accept"
    return await w.client.post(url, headers=h, json={})


@calls(f"POST {ND1}/return")
async def _return_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await w.planner().declaration()
    url = f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}/return"
    return await w.client.post(url, headers=h, json={"comment": "请补充"})


@calls(f"POST {PJ}", 201)
async def _create_project(w: World, h: Headers) -> httpx.Response:
    body = {
        "fiscal_year": YEAR,
        "title": "矩阵立项",
        "programme_area": "special_groups",
        "target_groups": ["at_risk_youth"],
        "county_code": "440106",
        "estimated_beneficiaries": 50,
        "rationale": "民政部门自行立项",
    }
    return await w.client.post(f"/v1/tenants/{GZ}/projects", headers=h, json=body)


plain(f"GET {PJ}")


@calls(f"GET {PJ1}")
async def _read_project(w: World, h: Headers) -> httpx.Response:
    planner = w.planner()
    declaration = await planner.accepted_declaration()
    project = await planner.project([declaration["id"]], costed=False)
    return await w.client.get(f"/v1/tenants/{GZ}/projects/{project['id']}", headers=h)


# Each cell works on a new project, not yet costed.
plain(f"PATCH {PJ1}", body={"estimated_beneficiaries": 60}, project_id=_new_project)
plain(
    f"PUT {PJ1}/assessment",
    body={
        "survey_method": "问卷",
        "survey_period": "2026年10月",
        "findings": "需求明确",
        "conclusion": "建议立项",
    },
    project_id=_new_project,
)
plain(f"PUT {PJ1}/cost-lines", body={"lines": COST_LINES}, project_id=_new_project)
plain(
    f"PUT {PJ1}/targets",
    body={
        "targets": [
            {"dimension": "quantity", "name": "服务人次", "unit": "人次", "target_value": "800"}
        ]
    },
    project_id=_new_project,
)
plain(f"POST {PJ1}/withdraw", body={"reason": "需求已由其他项目覆盖"}, project_id=_new_project)


@calls(f"POST {BG}", 201)
async def _create_budget(w: World, h: Headers) -> httpx.Response:
    body = {"fiscal_year": YEAR, "title": "矩阵预算"}
    return await w.client.post(f"/v1/tenants/{GZ}/budgets", headers=h, json=body)


plain(f"GET {BG}")
plain(f"GET {BG1}", budget_id=_empty_budget)


@calls(f"POST {BG1}/lines", 201)
async def _add_budget_line(w: World, h: Headers) -> httpx.Response:
    planner = w.planner()
    budget = await planner.budget(projects=0)
    project = await planner.project()
    body = {
        "project_id": project["id"],
        "amount": COSTED_TOTAL,
        "sources": [{"source": "general_budget", "amount": COSTED_TOTAL}],
    }
    return await w.client.post(
        f"/v1/tenants/{GZ}/budgets/{budget['id']}/lines", headers=h, json=body
    )


async def _draft_line(w: World) -> tuple[str, str]:
    planner = w.planner()
    budget = await planner.budget()
    detail = await w.client.get(
        f"/v1/tenants/{GZ}/budgets/{budget['id']}", headers=await w.as_role(FINANCE_OFFICER)
    )
    return budget["id"], detail.json()["lines"][0]["id"]


@calls(f"PUT {BG1}/lines/{{line_id}}")
async def _change_budget_line(w: World, h: Headers) -> httpx.Response:
    budget_id, line_id = await _draft_line(w)
    body = {"amount": COSTED_TOTAL, "sources": [{"source": "social_funds", "amount": COSTED_TOTAL}]}
    url = f"/v1/tenants/{GZ}/budgets/{budget_id}/lines/{line_id}"
    return await w.client.put(url, headers=h, json=body)


@calls(f"DELETE {BG1}/lines/{{line_id}}", 204)
async def _remove_budget_line(w: World, h: Headers) -> httpx.Response:
    budget_id, line_id = await _draft_line(w)
    return await w.client.delete(f"/v1/tenants/{GZ}/budgets/{budget_id}/lines/{line_id}", headers=h)


plain(f"POST {BG1}/submit", budget_id=_draft_budget)


@calls(f"POST {BG1}/decision")
async def _decide_budget(w: World, h: Headers) -> httpx.Response:
    budget = await w.planner().submitted_budget()
    url = f"/v1/tenants/{GZ}/budgets/{budget['id']}/decision"
    return await w.client.post(url, headers=h, json={"outcome": "approved"})


plain(f"GET {T}/budget-lines")


@calls(f"GET {T}/budget-lines/{{line_id}}")
async def _read_budget_line(w: World, h: Headers) -> httpx.Response:
    _, line_id = await _draft_line(w)
    return await w.client.get(f"/v1/tenants/{GZ}/budget-lines/{line_id}", headers=h)
