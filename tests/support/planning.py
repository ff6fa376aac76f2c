"""Planning objects made through the API by the roles that make them in real life."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.support.client import Client, Login, json_of
from tests.support.demo import GZ, city_login

YEAR = 2027
# The project's performance targets (绩效目标), which its contract carries.
TARGETS = [
    {"dimension": "quantity", "name": "服务流动儿童人数", "unit": "人", "target_value": "400"},
    {"dimension": "quantity", "name": "开展小组活动", "unit": "次", "target_value": "48"},
    {"dimension": "quality", "name": "服务对象满意度", "unit": "%", "target_value": "90"},
]
# A district of each demo city (天河区, 福田区); a county itself is its own location.
COUNTY = {"440100": "440106", "440300": "440304"}


def declaration_body(city: str = GZ, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "fiscal_year": YEAR,
        "title": f"流动儿童社区融入服务{uuid.uuid4().hex[:6]}",
        "programme_area": "urban_migrants",
        "target_groups": ["migrants", "families"],
        "county_code": COUNTY.get(city, city),
        "street": "石牌街道",
        "estimated_beneficiaries": 300,
        "requested_amount": "480000.00",
        "justification": "辖区流动儿童约1200名，课后托管与社会融入服务缺口较大。",
    }
    body.update(changes)
    return body


COST_LINES = [
    {
        "category": "staff",
        "description": "社会工作师",
        "staff_level": "social_worker",
        "quantity": "24",
        "unit": "人·月",
        "unit_cost": "8500.00",
    },
    {
        "category": "staff",
        "description": "助理社会工作师",
        "staff_level": "assistant_social_worker",
        "quantity": "12",
        "unit": "人·月",
        "unit_cost": "6200.50",
    },
    {
        "category": "activities",
        "description": "小组与社区活动",
        "quantity": "40",
        "unit": "场",
        "unit_cost": "1500.00",
    },
    {
        "category": "management_fee",
        "description": "项目管理费",
        "quantity": "1",
        "unit": "项",
        "unit_cost": "18000.00",
    },
    {
        "category": "evaluation_fee",
        "description": "第三方评估费",
        "quantity": "1",
        "unit": "项",
        "unit_cost": "12000.00",
    },
]
# 204000 + 74406 + 60000 + 18000 + 12000
COSTED_TOTAL = "368406.00"


@dataclass
class Planner:
    """One city's planners, acting through the API."""

    client: Client
    login: Login
    city: str = GZ

    @property
    def base(self) -> str:
        return f"/v1/tenants/{self.city}"

    async def as_(self, role: str) -> dict[str, str]:
        return await self.login(city_login(role, self.city))

    async def declaration(self, submit: bool = True, **changes: Any) -> dict[str, Any]:
        partner = await self.as_("partner_department")
        response = await self.client.post(
            f"{self.base}/needs-declarations",
            headers=partner,
            json=declaration_body(self.city, **changes),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        if submit:
            response = await self.client.post(
                f"{self.base}/needs-declarations/{body['id']}/submit", headers=partner
            )
            assert response.status_code == 200, response.text
            body = response.json()
        return body

    async def accepted_declaration(self) -> dict[str, Any]:
        declaration = await self.declaration()
        response = await self.client.post(
            f"{self.base}/needs-declarations/{declaration['id']}/accept",
            headers=await self.as_("civil_affairs_officer"),
            json={"comment": "需求明确，予以受理"},
        )
        return json_of(response)

    async def project(
        self, declaration_ids: list[str] | None = None, costed: bool = True, **changes: Any
    ) -> dict[str, Any]:
        officer = await self.as_("civil_affairs_officer")
        body = {
            "fiscal_year": YEAR,
            "title": f"社区流动儿童关爱项目{uuid.uuid4().hex[:6]}",
            "programme_area": "urban_migrants",
            "target_groups": ["migrants"],
            "county_code": COUNTY.get(self.city, self.city),
            "estimated_beneficiaries": 400,
            "rationale": "根据需求评估，辖区流动儿童服务缺口明显。",
            "declaration_ids": declaration_ids or [],
            **changes,
        }
        response = await self.client.post(f"{self.base}/projects", headers=officer, json=body)
        assert response.status_code == 201, response.text
        project: dict[str, Any] = response.json()
        if costed:
            response = await self.client.put(
                f"{self.base}/projects/{project['id']}/cost-lines",
                headers=officer,
                json={"lines": COST_LINES},
            )
            assert response.status_code == 200, response.text
            project = response.json()
            response = await self.client.put(
                f"{self.base}/projects/{project['id']}/targets",
                headers=officer,
                json={"targets": TARGETS},
            )
            assert response.status_code == 200, response.text
        return project

    async def budget(self, projects: int = 1) -> dict[str, Any]:
        """A draft budget with ``projects`` costed projects, each funded from two sources."""
        officer = await self.as_("civil_affairs_officer")
        response = await self.client.post(
            f"{self.base}/budgets",
            headers=officer,
            json={"fiscal_year": YEAR, "title": f"{YEAR}年度购买社会工作服务预算"},
        )
        assert response.status_code == 201, response.text
        budget: dict[str, Any] = response.json()
        for _ in range(projects):
            project = await self.project()
            response = await self.client.post(
                f"{self.base}/budgets/{budget['id']}/lines",
                headers=officer,
                json={
                    "project_id": project["id"],
                    "amount": COSTED_TOTAL,
                    "sources": [
                        {"source": "general_budget", "amount": "300000.00"},
                        {"source": "lottery_welfare_fund", "amount": "68406.00"},
                    ],
                },
            )
            assert response.status_code == 201, response.text
        return budget

    async def submitted_budget(self, projects: int = 1) -> dict[str, Any]:
        budget = await self.budget(projects)
        submitted = await self.client.post(
            f"{self.base}/budgets/{budget['id']}/submit",
            headers=await self.as_("civil_affairs_approver"),
        )
        return json_of(submitted)

    async def approved_budget(self, projects: int = 1) -> dict[str, Any]:
        budget = await self.submitted_budget(projects)
        decided = await self.client.post(
            f"{self.base}/budgets/{budget['id']}/decision",
            headers=await self.as_("finance_approver"),
            json={"outcome": "approved", "comment": "同意"},
        )
        return json_of(decided)
