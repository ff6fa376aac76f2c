"""Third-party evaluation through the API: evaluation organisations signed up in 深圳 (so not
registered where they evaluate), a signed contract of 广州, and the steps of an evaluation."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from stdnum.cn import ric

from services.delivery import tasks as delivery_tasks
from services.kit.db import PLATFORM_TENANT, transaction
from services.kit.jobs import JobContext
from tests.support.client import Client, Headers, Login, json_of
from tests.support.contracts import Deal, single_source_deal
from tests.support.database import Sessions
from tests.support.demo import ROLE_LOGINS, SZ
from tests.support.documents import pdf, upload
from tests.support.providers import NewProvider, sign_up
from tests.support.tendering import Tenderer

PASSWORD = "Evaluate2026pass"
# Points of each dimension (their maxima: 10, 10, 15, 20, 10, 10, 15, 10).
GOOD = {
    "management_process": "9",
    "management_outcome": "8.5",
    "effect_process": "12",
    "effect_outcome": "17",
    "funds_process": "8",
    "funds_outcome": "8.5",
    "social_benefit": "13",
    "economic_benefit": "9",
}  # 85: 良好
FAILING = {
    "management_process": "5",
    "management_outcome": "5",
    "effect_process": "8",
    "effect_outcome": "10",
    "funds_process": "5",
    "funds_outcome": "4",
    "social_benefit": "8",
    "economic_benefit": "5",
}  # 50: 不合格


def resident_id() -> str:
    """A valid 居民身份证号码 never seen before."""
    body = f"110105{random.randrange(1960, 2000)}0{random.randrange(1, 10)}1{random.randrange(10)}"
    body += f"{random.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18


@dataclass
class Evaluator:
    provider: NewProvider

    @property
    def id(self) -> str:
        return self.provider.id

    @property
    def admin(self) -> Headers:
        return self.provider.admin


async def new_evaluator(client: Client, login: Login, *, marked: bool = True) -> Evaluator:
    """An evaluation organisation of 深圳 (a 民办非企业单位), marked by the platform admin."""
    provider = await sign_up(
        client,
        login,
        PASSWORD,
        name=f"评估测试社会工作评估中心{uuid.uuid4().hex[:8]}",
        admin_name="评估机构管理员",
        prefix="evaluator",
        city=SZ,
    )
    if marked:
        await mark(client, login, provider.id)
    return Evaluator(provider)


async def mark(client: Client, login: Login, provider_id: str, is_evaluator: bool = True) -> Any:
    response = await client.put(
        f"/v1/platform/providers/{provider_id}/evaluator",
        headers=await login(ROLE_LOGINS["platform_admin"]),
        json={"is_evaluator": is_evaluator, "note": "民政部门登记的业务范围含社会工作评估"},
    )
    return json_of(response)


@dataclass
class Engagement:
    """A signed contract of one city and the evaluations of it."""

    deal: Deal

    @property
    def client(self) -> Client:
        return self.deal.client

    @property
    def base(self) -> str:
        return f"/v1/tenants/{self.deal.gz.city}/evaluations"

    async def officer(self) -> Headers:
        return await self.deal.gz.as_("civil_affairs_officer")

    async def approver(self) -> Headers:
        return await self.deal.gz.as_("civil_affairs_approver")

    async def engage(self, evaluator_id: str, **more: Any) -> httpx.Response:
        return await self.client.post(
            self.base,
            headers=await self.officer(),
            json={"contract_id": self.deal.contract["id"], "evaluator_id": evaluator_id, **more},
        )

    async def engaged(self, evaluator: Evaluator, **more: Any) -> dict[str, Any]:
        return json_of(await self.engage(evaluator.id, **more), 201)

    async def report(self, evaluation_id: str, headers: Headers) -> str:
        """The evaluator uploads its evaluation report: the document's id."""
        response = await upload(
            self.client,
            headers,
            pdf(b"evaluation report " + uuid.uuid4().bytes),
            object_type="evaluation",
            object_id=evaluation_id,
            filename="第三方评估报告.pdf",
            tenant=self.deal.gz.city,
        )
        return str(json_of(response, 201)["id"])

    async def score(
        self, evaluation_id: str, headers: Headers, scores: dict[str, str], report: str | None
    ) -> httpx.Response:
        return await self.client.put(
            f"{self.base}/{evaluation_id}/scores",
            headers=headers,
            json={
                "scores": scores,
                "comments": "项目管理规范，服务成效明显，资金使用合规。",
                "report_document_id": report,
            },
        )

    async def graded(
        self, evaluator: Evaluator, scores: dict[str, str], **more: Any
    ) -> dict[str, Any]:
        """Engaged, scored with a report, submitted and confirmed by civil affairs' approver."""
        evaluation = await self.engaged(evaluator, **more)
        return await self.graded_again(evaluation["id"], evaluator, scores)

    async def graded_again(
        self, evaluation_id: str, evaluator: Evaluator, scores: dict[str, str]
    ) -> dict[str, Any]:
        report = await self.report(evaluation_id, evaluator.admin)
        json_of(await self.score(evaluation_id, evaluator.admin, scores, report))
        json_of(
            await self.client.post(
                f"{self.base}/{evaluation_id}/submission", headers=evaluator.admin
            )
        )
        confirmed = await self.client.post(
            f"{self.base}/{evaluation_id}/confirmation", headers=await self.approver(), json={}
        )
        return json_of(confirmed)


async def uscc(admin_db: asyncpg.Connection, provider_id: str) -> str:
    found = await admin_db.fetchval(
        "SELECT uscc FROM providers WHERE id = $1", uuid.UUID(provider_id)
    )
    return str(found)


async def signed_engagement(gz: Tenderer) -> Engagement:
    deal = await single_source_deal(gz)
    await deal.signed()
    return Engagement(deal)


async def sweep(sessionmaker: Sessions) -> None:
    """The chronograph's evaluation sweep, across every region, as one tick runs it."""
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        await delivery_tasks.evaluation_sweep(
            JobContext(session, PLATFORM_TENANT, f"sweep-{uuid.uuid4()}", None), {}
        )
