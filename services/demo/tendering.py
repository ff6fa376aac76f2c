"""A procurement under way in each demo city: an open tender published on the first approved
budget line, with its notice on /v1/notices; and the province's demo expert in the province's
expert library, from which every city draws. Runs once per city."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity import service as identity
from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.money import text
from services.kit.settings import Settings
from services.planning import service as planning
from services.planning.models import Budget, BudgetLine
from services.tendering import library, procurements
from services.tendering.models import Expert, Procurement
from services.tendering.schemas import Criterion, ExpertIn, ProcurementCreate

SLUGS = {"440100": "gz", "440300": "sz"}
PROVINCE = "440000"
# The province's finance bureau keeps the library; its demo expert (both seeded with the
# regions, services.demo.tenants).
PROVINCE_FINANCE = "finance-officer@gd.demo.gov.cn"
PROVINCE_EXPERT = "expert@gd.demo.gov.cn"


async def _library_expert(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessionmaker, PROVINCE) as session:
        finance = await _actor(session, PROVINCE, PROVINCE_FINANCE)
        expert = await identity.find_user(session, PROVINCE_EXPERT)
        assert expert is not None
        if await session.get(Expert, (PROVINCE, expert.id)) is not None:
            return
        await library.register_expert(
            session,
            finance,
            ExpertIn(
                user_id=expert.id, specialities=["social_work"], employer="广东省社会工作协会"
            ),
        )


async def seed_tendering(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, city: str, name: str
) -> None:
    await _library_expert(sessionmaker)
    async with transaction(sessionmaker, city) as session:
        if await session.scalar(
            select(Procurement.id).where(Procurement.tenant_id == city).limit(1)
        ):
            return
        line_id = await session.scalar(
            select(BudgetLine.id)
            .join(
                Budget,
                (Budget.tenant_id == BudgetLine.tenant_id) & (Budget.id == BudgetLine.budget_id),
            )
            .where(BudgetLine.tenant_id == city, Budget.status == "approved")
            .order_by(BudgetLine.requested_amount.desc(), BudgetLine.id)
            .limit(1)
        )
        if line_id is None:
            return
        slug = SLUGS[city]
        officer = await _actor(session, city, f"civil-affairs-officer@{slug}.demo.gov.cn")
        line = await planning.get_line(session, city, line_id)
        amount = line.line.approved_amount or line.line.requested_amount
        procurement = await procurements.create(
            session,
            settings,
            officer,
            ProcurementCreate(
                budget_line_id=line_id,
                title=line.project_title,
                requirements="服务期12个月；配备持证社会工作者；按季度提交服务报告并接受第三方评估。",
                budget_amount=text(amount),
                ceiling_price=text(amount),
                criteria=[
                    Criterion(name="服务方案", weight=45),
                    Criterion(name="团队与经验", weight=25),
                    Criterion(name="价格", weight=30, price=True),
                ],
                bid_deadline=datetime.now(UTC) + timedelta(days=30),
                bid_security="0",
                qualification_criteria=["依法登记的社会服务机构", "近三年无重大违法记录"],
            ),
        )
        await procurements.publish(session, officer, procurement.id, None)


async def _actor(session: AsyncSession, city: str, login: str) -> Actor:
    user = await identity.find_user(session, login)
    assert user is not None, login
    return Actor(user.id, city, "demo-seed")
