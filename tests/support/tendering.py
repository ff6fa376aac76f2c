"""Tendering through the API, by the roles that do it; and the clock, moved in the database.

Legal periods run for weeks. Tests create procurements with lawful dates, then move the
recorded moments back in time with the schema owner's connection (``admin_db``) — the
same as if the weeks had passed — so that deadlines fall seconds away.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient
from stdnum.cn import uscc

from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.settings import Settings
from services.tendering import opening
from tests.support.accounts import unique_email
from tests.support.client import Login
from tests.support.demo import GZ, city_login
from tests.support.planning import Planner

Client = AsyncTestClient[Litestar]
PASSWORD = "Tender2026pass"
CRITERIA = [
    {"name": "服务方案", "weight": 50},
    {"name": "团队与经验", "weight": 20},
    {"name": "价格", "weight": 30, "price": True},
]


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def procurement_body(line_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "budget_line_id": line_id,
        "title": f"流动儿童关爱服务采购{uuid.uuid4().hex[:6]}",
        "requirements": "为辖区流动儿童提供课后托管、学业辅导与家庭支持服务，服务期12个月。",
        "budget_amount": "360000.00",
        "ceiling_price": "350000.00",
        "bid_security": "7000.00",
        "criteria": CRITERIA,
        "bid_deadline": later(days=25),
        "qualification_criteria": ["具有独立承担民事责任的能力", "近三年无重大违法记录"],
    }
    body.update(changes)
    return body


@dataclass
class Bidder:
    provider_id: str
    headers: dict[str, str]
    name: str


@dataclass
class Tenderer:
    """One city's buyer, finance, providers and experts, acting through the API."""

    client: Client
    login: Login
    admin_db: asyncpg.Connection
    city: str = GZ
    planner: Planner = field(init=False)

    def __post_init__(self) -> None:
        self.planner = Planner(self.client, self.login, self.city)

    @property
    def base(self) -> str:
        return f"/v1/tenants/{self.city}/procurements"

    async def as_(self, role: str) -> dict[str, str]:
        return await self.login(city_login(role, self.city))

    async def line(self) -> str:
        budget = await self.planner.approved_budget()
        return str(budget["lines"][0]["id"])

    async def create(self, **changes: Any) -> dict[str, Any]:
        line = changes.pop("budget_line_id", None) or await self.line()
        response = await self.client.post(
            self.base,
            headers=await self.as_("civil_affairs_officer"),
            json=procurement_body(line, **changes),
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def published(self, **changes: Any) -> dict[str, Any]:
        procurement = await self.create(**changes)
        response = await self.client.post(
            f"{self.base}/{procurement['id']}/publish",
            headers=await self.as_("civil_affairs_officer"),
            json={},
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def closing_in(self, procurement_id: str, seconds: float) -> datetime:
        """As if the weeks had passed: the documents went out 25 days ago and bids close in
        ``seconds`` (the opening at the same moment). Make the bidders first: only the bids
        themselves should have to fit in those seconds, on a loaded machine too."""
        deadline = datetime.now(UTC) + timedelta(seconds=seconds)
        await self.admin_db.execute(
            "UPDATE procurements SET bid_deadline = $3::timestamptz, opening_at = $3::timestamptz,"
            " documents_issued_at = $3::timestamptz - interval '25 days'"
            " WHERE tenant_id = $1 AND id = $2",
            self.city,
            uuid.UUID(procurement_id),
            deadline,
        )
        return deadline

    async def bidder(self, name: str | None = None) -> Bidder:
        """A new provider, registered and approved here."""
        kind = random.choice("12")
        body = f"5{kind}{self.city}MJ{random.randrange(10**7):07d}"
        code = body + uscc.calc_check_digit(body)
        login = unique_email("bidder")
        name = name or f"测试社工服务中心{uuid.uuid4().hex[:6]}"
        response = await self.client.post(
            "/v1/providers",
            json={
                "uscc": code,
                "name": name,
                "admin_login": login,
                "admin_name": "投标管理员",
                "admin_password": PASSWORD,
            },
        )
        assert response.status_code == 201, response.text
        provider_id = response.json()["id"]
        headers = await self.login(login, PASSWORD)
        applied = await self.client.post(
            f"/v1/tenants/{self.city}/provider-registrations", headers=headers, json={}
        )
        assert applied.status_code == 201, applied.text
        approved = await self.client.post(
            f"/v1/tenants/{self.city}/provider-registrations/{applied.json()['id']}/approve",
            headers=await self.as_("civil_affairs_approver"),
            json={"note": "准予登记"},
        )
        assert approved.status_code == 200, approved.text
        return Bidder(provider_id, headers, name)

    async def register(self, bidder: Bidder) -> None:
        """Register a provider of another region here as well."""
        applied = await self.client.post(
            f"/v1/tenants/{self.city}/provider-registrations", headers=bidder.headers, json={}
        )
        assert applied.status_code == 201, applied.text
        approved = await self.client.post(
            f"/v1/tenants/{self.city}/provider-registrations/{applied.json()['id']}/approve",
            headers=await self.as_("civil_affairs_approver"),
            json={"note": "准予登记"},
        )
        assert approved.status_code == 200, approved.text

    async def bid(self, procurement_id: str, bidder: Bidder, price: str) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.base}/{procurement_id}/bids", headers=bidder.headers, json={"price": price}
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def open_now(
        self, sessionmaker: Any, settings: Settings, procurement_id: str, deadline: datetime
    ) -> None:
        """What the chronograph's job does at the opening time."""
        await asyncio.sleep(max((deadline - datetime.now(UTC)).total_seconds(), 0) + 0.3)
        async with transaction(sessionmaker, self.city) as session:
            acted = await opening.open_bids(
                session, settings, Actor(None, self.city, "test-opening"), uuid.UUID(procurement_id)
            )
        assert acted

    async def expert(
        self,
        employer: str = "某某大学社会工作系",
        affiliated: list[str] | None = None,
        speciality: str = "social_work",
    ) -> tuple[str, dict[str, str]]:
        """A new expert account in the region's pool."""
        login = unique_email("expert")
        admin = await self.as_("tenant_admin")
        created = await self.client.post(
            f"/v1/tenants/{self.city}/users",
            headers=admin,
            json={"login": login, "display_name": "评审专家", "password": PASSWORD},
        )
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        granted = await self.client.post(
            f"/v1/tenants/{self.city}/memberships",
            headers=admin,
            json={"login": login, "role": "expert"},
        )
        assert granted.status_code == 201, granted.text
        pooled = await self.client.put(
            f"/v1/tenants/{self.city}/experts/{user_id}",
            headers=admin,
            json={
                "user_id": user_id,
                "specialities": [speciality],
                "employer": employer,
                "affiliated_provider_ids": affiliated or [],
            },
        )
        assert pooled.status_code == 200, pooled.text
        return user_id, await self.login(login, PASSWORD)
