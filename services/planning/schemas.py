"""Request and response bodies of the planning API, and the words of its domain.

Money travels as a JSON string of 元 with at most 2 decimals ("1200000.00"): never a JSON
number, which clients parse as a binary float.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from litestar.params import QueryParameter

from services.kit.money import MONEY_PATTERN, Money
from services.kit.types import DivisionCode, Line, Text

Quantity = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$",
        description="a decimal number as a string, at most 2 decimals",
    ),
]
# A filter on an amount, in the query string: the same form as Money.
AmountQuery = Annotated[
    str | None, QueryParameter(pattern=MONEY_PATTERN, description='元, e.g. "120000.00"')
]
FiscalYear = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Title = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
Prose = Annotated[Text, msgspec.Meta(min_length=1, max_length=20000)]
Comment = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]
Street = Annotated[Line, msgspec.Meta(max_length=200)]
Unit = Annotated[Line, msgspec.Meta(min_length=1, max_length=20)]


class ProgrammeArea(StrEnum):
    """The five plans of section 三(三) of 民发〔2012〕196号."""

    urban_migrants = "urban_migrants"  # 城市流动人口社会融入计划
    rural_left_behind = "rural_left_behind"  # 农村留守人员社会保护计划
    elderly_disabled_care = "elderly_disabled_care"  # 老年人、残疾人社会照顾计划
    special_groups = "special_groups"  # 特殊群体社会关爱计划
    disaster_recovery = "disaster_recovery"  # 受灾群众生活重建计划


PROGRAMME_AREA_NAMES = {
    ProgrammeArea.urban_migrants: "城市流动人口社会融入计划",
    ProgrammeArea.rural_left_behind: "农村留守人员社会保护计划",
    ProgrammeArea.elderly_disabled_care: "老年人、残疾人社会照顾计划",
    ProgrammeArea.special_groups: "特殊群体社会关爱计划",
    ProgrammeArea.disaster_recovery: "受灾群众生活重建计划",
}


class TargetGroup(StrEnum):
    migrants = "migrants"  # 流动人口
    left_behind_children = "left_behind_children"  # 留守儿童
    left_behind_women = "left_behind_women"  # 留守妇女
    left_behind_elderly = "left_behind_elderly"  # 留守老人
    elderly = "elderly"  # 老年人
    disabled = "disabled"  # 残疾人
    drug_users = "drug_users"  # 吸毒人员
    at_risk_youth = "at_risk_youth"  # 社区青少年、不良行为青少年
    people_with_hiv = "people_with_hiv"  # 艾滋病患者
    mental_illness = "mental_illness"  # 精神障碍患者
    vagrants = "vagrants"  # 流浪乞讨人员
    community_correction = "community_correction"  # 社区服刑人员
    prisoners_and_released = "prisoners_and_released"  # 服刑及刑满释放人员
    disaster_victims = "disaster_victims"  # 受灾群众
    families = "families"  # 家庭
    other = "other"


TARGET_GROUP_NAMES = {
    TargetGroup.migrants: "流动人口",
    TargetGroup.left_behind_children: "留守儿童",
    TargetGroup.left_behind_women: "留守妇女",
    TargetGroup.left_behind_elderly: "留守老人",
    TargetGroup.elderly: "老年人",
    TargetGroup.disabled: "残疾人",
    TargetGroup.drug_users: "吸毒人员",
    TargetGroup.at_risk_youth: "社区青少年、不良行为青少年",
    TargetGroup.people_with_hiv: "艾滋病患者",
    TargetGroup.mental_illness: "精神障碍患者",
    TargetGroup.vagrants: "流浪乞讨人员",
    TargetGroup.community_correction: "社区服刑人员",
    TargetGroup.prisoners_and_released: "服刑及刑满释放人员",
    TargetGroup.disaster_victims: "受灾群众",
    TargetGroup.families: "家庭",
    TargetGroup.other: "其他",
}


TargetGroups = Annotated[list[TargetGroup], msgspec.Meta(min_length=1, max_length=16)]


class DeclarationStatus(StrEnum):
    draft = "draft"  # 草稿 (also a returned declaration being revised)
    submitted = "submitted"  # 已提交，待民政部门审核
    accepted = "accepted"  # 已受理
    returned = "returned"  # 已退回，待修改
    withdrawn = "withdrawn"  # 已撤回


class ProjectStatus(StrEnum):
    candidate = "candidate"  # 入库备选
    budgeted = "budgeted"  # 已列入预算
    in_procurement = "in_procurement"  # 采购中
    contracted = "contracted"  # 已签约
    completed = "completed"  # 已结项
    withdrawn = "withdrawn"  # 已撤销


class ProjectOrigin(StrEnum):
    declarations = "declarations"  # 来自需求申报
    initiative = "initiative"  # 民政部门自行立项


class CostCategory(StrEnum):
    staff = "staff"  # 人员费用（社会工作者）
    activities = "activities"  # 活动费
    materials = "materials"  # 物资、材料费
    training = "training"  # 培训、督导费
    travel = "travel"  # 交通费
    venue = "venue"  # 场地费
    management_fee = "management_fee"  # 管理费
    evaluation_fee = "evaluation_fee"  # 评估费
    other = "other"


class StaffLevel(StrEnum):
    """职业水平 of the social workers a staff line pays for."""

    senior_social_worker = "senior_social_worker"  # 高级社会工作师
    social_worker = "social_worker"  # 社会工作师
    assistant_social_worker = "assistant_social_worker"  # 助理社会工作师
    uncertified = "uncertified"  # 未取得职业水平证书的工作人员


class TargetDimension(StrEnum):
    quantity = "quantity"  # 数量
    scale = "scale"  # 规模
    quality = "quality"  # 质量
    effect = "effect"  # 效果


class BudgetStatus(StrEnum):
    draft = "draft"  # 编制中
    submitted = "submitted"  # 已报送财政部门
    returned = "returned"  # 财政部门退回
    approved = "approved"  # 已批复


class FundingSource(StrEnum):
    general_budget = "general_budget"  # 一般公共预算
    lottery_welfare_fund = "lottery_welfare_fund"  # 福利彩票公益金
    central_special_fund = "central_special_fund"  # 中央财政专项资金
    social_funds = "social_funds"  # 社会资金


# Said in the open data's funders and the statistics' downloads.
FUNDING_SOURCE_NAMES = {
    FundingSource.general_budget: "一般公共预算",
    FundingSource.lottery_welfare_fund: "福利彩票公益金",
    FundingSource.central_special_fund: "中央财政专项资金",
    FundingSource.social_funds: "社会资金",
}


class BudgetOutcome(StrEnum):
    approved = "approved"
    returned = "returned"


class CommitmentPurpose(StrEnum):
    procurement = "procurement"
    contract = "contract"
    payment = "payment"


# --- needs declarations -------------------------------------------------------------------------


class DeclarationContent(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    programme_area: ProgrammeArea
    target_groups: TargetGroups
    county_code: DivisionCode
    estimated_beneficiaries: Annotated[int, msgspec.Meta(ge=1, le=100_000_000)]
    requested_amount: Money
    justification: Prose
    street: Street | None = None


class DeclarationCreate(DeclarationContent, kw_only=True, forbid_unknown_fields=True):
    fiscal_year: FiscalYear
    # Needed only by someone who works for several partner departments here.
    organisation_id: uuid.UUID | None = None


class ReviewComment(msgspec.Struct, forbid_unknown_fields=True):
    comment: Comment | None = None


class ReturnComment(msgspec.Struct, forbid_unknown_fields=True):
    comment: Comment


class DeclarationVersionOut(msgspec.Struct):
    version: int
    title: str
    programme_area: ProgrammeArea
    target_groups: list[TargetGroup]
    county_code: str
    street: str | None
    estimated_beneficiaries: int
    requested_amount: str
    justification: str
    created_at: datetime
    submitted_at: datetime | None
    decision: str | None
    decision_comment: str | None
    decided_at: datetime | None


class DeclarationOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    organisation_id: uuid.UUID
    fiscal_year: int
    status: DeclarationStatus
    version: int
    current: DeclarationVersionOut
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    project_id: uuid.UUID | None = None
    # Every version, oldest first; only on the single-declaration read.
    versions: list[DeclarationVersionOut] | None = None


# --- projects --------------------------------------------------------------------------------


class ProjectCreate(msgspec.Struct, forbid_unknown_fields=True):
    fiscal_year: FiscalYear
    title: Title
    programme_area: ProgrammeArea
    target_groups: TargetGroups
    county_code: DivisionCode
    estimated_beneficiaries: Annotated[int, msgspec.Meta(ge=1, le=100_000_000)]
    rationale: Prose
    service_months: Annotated[int, msgspec.Meta(ge=1, le=60)] = 12
    street: Street | None = None
    # Accepted declarations this project answers; none for civil affairs' own initiative.
    declaration_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)] = []


class ProjectUpdate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | None = None
    programme_area: ProgrammeArea | None = None
    target_groups: TargetGroups | None = None
    county_code: DivisionCode | None = None
    street: Street | None = None
    estimated_beneficiaries: Annotated[int, msgspec.Meta(ge=1, le=100_000_000)] | None = None
    rationale: Prose | None = None
    service_months: Annotated[int, msgspec.Meta(ge=1, le=60)] | None = None


class AssessmentIn(msgspec.Struct, forbid_unknown_fields=True):
    survey_method: Prose
    survey_period: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
    findings: Prose
    conclusion: Prose
    sample_size: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] | None = None


class AssessmentOut(msgspec.Struct):
    id: uuid.UUID
    project_id: uuid.UUID
    survey_method: str
    survey_period: str
    sample_size: int | None
    findings: str
    conclusion: str
    assessed_by: uuid.UUID
    assessed_at: datetime


class CostLineIn(msgspec.Struct, forbid_unknown_fields=True):
    category: CostCategory
    description: Title
    quantity: Quantity
    unit: Unit
    unit_cost: Money
    staff_level: StaffLevel | None = None


class CostLinesIn(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[list[CostLineIn], msgspec.Meta(min_length=1, max_length=200)]


class CostLineOut(msgspec.Struct):
    line_no: int
    category: CostCategory
    description: str
    staff_level: StaffLevel | None
    quantity: str
    unit: str
    unit_cost: str
    amount: str


class TargetIn(msgspec.Struct, forbid_unknown_fields=True):
    dimension: TargetDimension
    name: Title
    unit: Unit
    target_value: Quantity


class TargetsIn(msgspec.Struct, forbid_unknown_fields=True):
    targets: Annotated[list[TargetIn], msgspec.Meta(min_length=1, max_length=100)]


class TargetOut(msgspec.Struct):
    line_no: int
    dimension: TargetDimension
    name: str
    unit: str
    target_value: str


class WithdrawIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Comment


class EvaluationGrade(StrEnum):
    """第三方评估等级, by the published thresholds of the total score (README)."""

    excellent = "excellent"  # 优秀
    good = "good"  # 良好
    pass_ = "pass"  # 合格
    fail = "fail"  # 不合格


class ProjectOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    fiscal_year: int
    title: str
    programme_area: ProgrammeArea
    target_groups: list[TargetGroup]
    county_code: str
    street: str | None
    estimated_beneficiaries: int
    rationale: str
    service_months: int
    status: ProjectStatus
    origin: ProjectOrigin
    estimated_amount: str
    withdrawn_reason: str | None
    created_at: datetime
    updated_at: datetime
    declaration_ids: list[uuid.UUID]
    organisation_ids: list[uuid.UUID]
    # The latest confirmed third-party evaluation (第三方评估) of the project's contract, for
    # the budget review of its renewal; never shown to an evaluation committee.
    evaluation_grade: EvaluationGrade | None = None
    evaluation_graded_on: date | None = None
    evaluation_id: uuid.UUID | None = None


class ProjectDetail(ProjectOut):
    assessment: AssessmentOut | None = None
    cost_lines: list[CostLineOut] = []
    targets: list[TargetOut] = []


# --- budgets -----------------------------------------------------------------------------------


class BudgetCreate(msgspec.Struct, forbid_unknown_fields=True):
    fiscal_year: FiscalYear
    title: Title


class SourceIn(msgspec.Struct, forbid_unknown_fields=True):
    source: FundingSource
    amount: Money


Sources = Annotated[list[SourceIn], msgspec.Meta(min_length=1, max_length=4)]


class LineCreate(msgspec.Struct, forbid_unknown_fields=True):
    project_id: uuid.UUID
    amount: Money
    sources: Sources


class LineUpdate(msgspec.Struct, forbid_unknown_fields=True):
    amount: Money
    sources: Sources


class LineCut(msgspec.Struct, forbid_unknown_fields=True):
    line_id: uuid.UUID
    approved_amount: Money
    reason: Comment
    # How the cut falls on the sources; may be left out when the line has one source.
    sources: Annotated[list[SourceIn], msgspec.Meta(max_length=4)] | None = None


class BudgetDecision(msgspec.Struct, forbid_unknown_fields=True):
    outcome: BudgetOutcome
    comment: Comment | None = None
    cuts: Annotated[list[LineCut], msgspec.Meta(max_length=500)] = []


class SourceOut(msgspec.Struct):
    source: FundingSource
    requested_amount: str
    approved_amount: str | None


class LineOut(msgspec.Struct):
    id: uuid.UUID
    budget_id: uuid.UUID
    project_id: uuid.UUID
    project_title: str
    requested_amount: str
    approved_amount: str | None
    cut_reason: str | None
    committed_amount: str
    available_amount: str
    sources: list[SourceOut]
    fiscal_year: int
    budget_status: BudgetStatus
    # The latest confirmed third-party evaluation grade of the project (a continuing service
    # renewed in this budget): what the budget review weighs.
    project_evaluation_grade: EvaluationGrade | None = None


class BudgetOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    fiscal_year: int
    title: str
    status: BudgetStatus
    submissions: int
    requested_total: str
    approved_total: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_comment: str | None
    created_at: datetime
    updated_at: datetime
    lines: list[LineOut] | None = None


class CommitmentOut(msgspec.Struct):
    id: uuid.UUID
    line_id: uuid.UUID
    amount: str
    purpose: CommitmentPurpose
    reference_type: str
    reference_id: uuid.UUID
    created_at: datetime
    released_at: datetime | None


class LineDetail(LineOut):
    commitments: list[CommitmentOut] = []
