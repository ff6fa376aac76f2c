"""A realistic planning year for the demo cities, made through the planning services.

Per city: needs declared by 妇联, 团委 and 残联 (one returned and revised, one still waiting for
review, one still a draft), projects built from them plus one of civil affairs' own, each
assessed, costed and targeted, and the 2027 budget — submitted, then approved by finance with
one line cut. Runs once per city: a city that has a budget already is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity import service as identity
from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.money import to_cents
from services.planning import budgets, declarations, projects
from services.planning.models import Budget
from services.planning.schemas import (
    AssessmentIn,
    BudgetDecision,
    BudgetOutcome,
    CostCategory,
    CostLineIn,
    DeclarationContent,
    DeclarationCreate,
    FundingSource,
    LineCut,
    ProgrammeArea,
    ProjectCreate,
    SourceIn,
    StaffLevel,
    TargetDimension,
    TargetGroup,
    TargetIn,
)

YEAR = 2027
COUNTIES = {"440100": ("440106", "440111"), "440300": ("440304", "440306")}


@dataclass(frozen=True)
class Need:
    department: str  # the declaring user's login prefix
    title: str
    area: ProgrammeArea
    groups: tuple[TargetGroup, ...]
    beneficiaries: int
    amount: str
    why: str


NEEDS = [
    Need(
        "partner-department",
        "留守妇女儿童关爱与家庭支持服务",
        ProgrammeArea.rural_left_behind,
        (TargetGroup.left_behind_children, TargetGroup.left_behind_women),
        260,
        "420000.00",
        "城郊村居留守儿童和妇女约800人，缺少课后看护、心理支持与家庭教育指导。",
    ),
    Need(
        "youth-league",
        "社区青少年成长支持与偏差行为预防",
        ProgrammeArea.special_groups,
        (TargetGroup.at_risk_youth,),
        180,
        "360000.00",
        "辖区闲散及有不良行为青少年约150人，需要个案跟进、小组辅导与就业衔接。",
    ),
    Need(
        "disabled-federation",
        "残疾人家庭康复与照护者喘息服务",
        ProgrammeArea.elderly_disabled_care,
        (TargetGroup.disabled, TargetGroup.families),
        120,
        "380000.00",
        "重度残疾人家庭照护压力大，照护者缺少喘息与技能支持。",
    ),
]
# Still in the pipeline when the seed is done: one waiting for review, one a draft.
WAITING = Need(
    "partner-department",
    "困境儿童家庭教育指导服务",
    ProgrammeArea.special_groups,
    (TargetGroup.families,),
    90,
    "150000.00",
    "困境儿童家庭监护能力薄弱，需开展家庭教育指导。",
)
DRAFT = Need(
    "partner-department",
    "社区妇女就业能力提升小组",
    ProgrammeArea.urban_migrants,
    (TargetGroup.migrants,),
    60,
    "80000.00",
    "草稿：待补充调研数据。",
)


def _content(need: Need, county: str) -> dict[str, Any]:
    """What the department declares for a need served in ``county``."""
    return {
        "title": need.title,
        "programme_area": need.area,
        "target_groups": list(need.groups),
        "county_code": county,
        "estimated_beneficiaries": need.beneficiaries,
        "requested_amount": need.amount,
        "justification": need.why,
        "street": None,
    }


def _costs(staff_months: int, activities: int, management: str) -> list[CostLineIn]:
    return [
        CostLineIn(
            CostCategory.staff,
            "社会工作师",
            str(staff_months),
            "人·月",
            "8500.00",
            StaffLevel.social_worker,
        ),
        CostLineIn(
            CostCategory.staff,
            "助理社会工作师",
            str(staff_months),
            "人·月",
            "6500.00",
            StaffLevel.assistant_social_worker,
        ),
        CostLineIn(CostCategory.activities, "小组工作与社区活动", str(activities), "场", "1200.00"),
        CostLineIn(CostCategory.materials, "活动物资与宣传材料", "1", "项", "15000.00"),
        CostLineIn(CostCategory.training, "专业督导与培训", "12", "次", "1500.00"),
        CostLineIn(CostCategory.management_fee, "项目管理费", "1", "项", management),
        CostLineIn(CostCategory.evaluation_fee, "第三方评估费", "1", "项", "10000.00"),
    ]


def _targets(people: int) -> list[TargetIn]:
    return [
        TargetIn(TargetDimension.quantity, "直接服务对象", "人", str(people)),
        TargetIn(TargetDimension.scale, "覆盖社区（村居）", "个", "6"),
        TargetIn(TargetDimension.quality, "服务对象满意度", "%", "90"),
        TargetIn(TargetDimension.effect, "个案目标达成率", "%", "80"),
    ]


async def seed_planning(
    sessionmaker: async_sessionmaker[AsyncSession], city: str, name: str
) -> None:
    async with transaction(sessionmaker, city) as session:
        if await session.scalar(select(Budget.id).where(Budget.tenant_id == city).limit(1)):
            return
        slug = {"440100": "gz", "440300": "sz"}[city]
        officer = await _actor(session, city, f"civil-affairs-officer@{slug}.demo.gov.cn")
        approver = await _actor(session, city, f"civil-affairs-approver@{slug}.demo.gov.cn")
        finance = await _actor(session, city, f"finance-approver@{slug}.demo.gov.cn")
        county, other_county = COUNTIES[city]

        accepted = []
        for index, need in enumerate(NEEDS):
            partner = await _actor(session, city, f"{need.department}@{slug}.demo.gov.cn")
            content = _content(need, county if index % 2 == 0 else other_county)
            declaration = await declarations.create(
                session, partner, DeclarationCreate(**content, fiscal_year=YEAR)
            )
            await declarations.submit(session, partner, declaration.id)
            if need.department == "youth-league":
                await declarations.decide(
                    session,
                    officer,
                    declaration.id,
                    False,
                    "请补充服务对象的摸底数据和服务场地安排",
                )
                content["justification"] = (
                    need.why + "已完成摸底：在册重点青少年152人，场地由街道团工委提供。"
                )
                await declarations.revise(
                    session, partner, declaration.id, DeclarationContent(**content)
                )
                await declarations.submit(session, partner, declaration.id)
            await declarations.decide(session, officer, declaration.id, True, "需求明确，予以受理")
            accepted.append((need, declaration.id))

        women = await _actor(session, city, f"{WAITING.department}@{slug}.demo.gov.cn")
        waiting = await declarations.create(
            session, women, DeclarationCreate(**_content(WAITING, county), fiscal_year=YEAR)
        )
        await declarations.submit(session, women, waiting.id)
        await declarations.create(
            session, women, DeclarationCreate(**_content(DRAFT, other_county), fiscal_year=YEAR)
        )

        library = []
        for index, (need, declaration_id) in enumerate(accepted):
            project = await projects.create(
                session,
                officer,
                ProjectCreate(
                    fiscal_year=YEAR,
                    title=f"{name}{need.title}项目",
                    programme_area=need.area,
                    target_groups=list(need.groups),
                    county_code=county if index % 2 == 0 else other_county,
                    estimated_beneficiaries=need.beneficiaries,
                    rationale=need.why,
                    declaration_ids=[declaration_id],
                ),
            )
            library.append(project)
        own = await projects.create(
            session,
            officer,
            ProjectCreate(
                fiscal_year=YEAR,
                title=f"{name}长者居家社会工作服务项目",
                programme_area=ProgrammeArea.elderly_disabled_care,
                target_groups=[TargetGroup.elderly],
                county_code=county,
                estimated_beneficiaries=300,
                rationale="独居、空巢老人增多，居家探访与社会支持网络建设需求迫切。",
            ),
        )
        library.append(own)
        for index, project in enumerate(library):
            await projects.set_assessment(
                session,
                officer,
                project.id,
                AssessmentIn(
                    survey_method="入户问卷、焦点小组与部门座谈",
                    survey_period=f"{YEAR - 1}年9月—10月",
                    sample_size=200 + 40 * index,
                    findings="服务对象需求集中在日常照护、情绪支持与社会参与。",
                    conclusion="建议以项目方式购买专业社会工作服务，服务周期12个月。",
                ),
            )
            await projects.set_cost_lines(
                session,
                officer,
                project.id,
                _costs(12 + 6 * (index % 2), 30 + 10 * index, "20000.00"),
            )
            await projects.set_targets(
                session, officer, project.id, _targets(project.estimated_beneficiaries)
            )

        budget = await budgets.create(
            session, officer, YEAR, f"{name}{YEAR}年度政府购买社会工作服务预算"
        )
        lines = []
        for index, project in enumerate(library):
            amount = project.estimated_amount
            lottery = to_cents(amount * 3 / 10)
            sources = [
                SourceIn(FundingSource.general_budget, str(amount - lottery)),
                SourceIn(FundingSource.lottery_welfare_fund, str(lottery)),
            ]
            if index == 3:
                sources = [SourceIn(FundingSource.lottery_welfare_fund, str(amount))]
            lines.append(
                await budgets.add_line(
                    session, officer, budget.id, project.id, str(amount), sources
                )
            )
        await budgets.submit(session, approver, budget.id)
        cut = lines[2]
        cut_sources = await budgets.sources_of(session, cut)
        cut_amount = cut.requested_amount - 30000
        await budgets.decide(
            session,
            finance,
            budget.id,
            BudgetDecision(
                outcome=BudgetOutcome.approved,
                comment="同意。请严格按照批复金额组织采购。",
                cuts=[
                    LineCut(
                        line_id=cut.id,
                        approved_amount=str(cut_amount),
                        reason="活动场次偏多，核减活动费3万元",
                        sources=[
                            SourceIn(
                                FundingSource.general_budget,
                                str(cut_sources[FundingSource.general_budget.value] - 30000),
                            ),
                            SourceIn(
                                FundingSource.lottery_welfare_fund,
                                str(cut_sources[FundingSource.lottery_welfare_fund.value]),
                            ),
                        ],
                    )
                ],
            ),
        )


async def _actor(session: AsyncSession, city: str, login: str) -> Actor:
    user = await identity.find_user(session, login)
    assert user is not None, login
    return Actor(user.id, city, "demo-seed")
