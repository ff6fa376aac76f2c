"""Bodies of the progress reports API. People served are counts by target group and place,
never names (个人信息保护法 art. 28); money is a string of 元 with at most two decimals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.money import Money
from services.kit.types import DivisionCode, Line, Text

Label = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
Prose = Annotated[Text, msgspec.Meta(min_length=1, max_length=20000)]
Note = Annotated[Text, msgspec.Meta(max_length=2000)]
Count = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
# Hours and target values: an exact decimal as a string ("120.5").
Amount = Annotated[
    str,
    msgspec.Meta(pattern=r"^\d{1,9}(\.\d{1,2})?$", description="a decimal, at most 2 places"),
]


class ScheduleKind(StrEnum):
    monthly = "monthly"  # 按月报告: each calendar month of the service period
    quarterly = "quarterly"  # 按季度报告: each calendar quarter of the service period
    milestones = "milestones"  # 按节点报告: periods ending on named milestone dates


class MilestoneIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Label
    ends_on: date


class ScheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    """Civil affairs sets how the provider reports on a signed contract. Each period's report
    is due ``due_days`` days after the period ends (counted from the day after, to 24:00
    Asia/Shanghai of the last day; a last day on a rest day moves to the next working day)."""

    kind: ScheduleKind
    due_days: Annotated[int, msgspec.Meta(ge=0, le=60)] = 10
    # Only with kind=milestones: the dates the periods end on, in order.
    milestones: Annotated[list[MilestoneIn], msgspec.Meta(max_length=36)] = []


class PeriodOut(msgspec.Struct):
    seq: int
    label: str
    starts_on: date
    ends_on: date
    due_at: datetime
    report_id: uuid.UUID | None
    report_status: str | None


class ScheduleOut(msgspec.Struct):
    contract_id: uuid.UUID
    kind: ScheduleKind
    due_days: int
    updated_at: datetime
    updated_by: uuid.UUID
    periods: list[PeriodOut]


class StaffLevel(StrEnum):
    """Who gave the hours: the social workers' 职业水平, assistants, volunteers."""

    senior_social_worker = "senior_social_worker"  # 高级社会工作师
    social_worker = "social_worker"  # 社会工作师（中级）
    assistant_social_worker = "assistant_social_worker"  # 助理社会工作师（初级）
    uncertified = "uncertified"  # 未取得职业水平证书的工作人员（助理）
    volunteer = "volunteer"  # 志愿者


STAFF_LEVEL_NAMES = {
    StaffLevel.senior_social_worker: "高级社会工作师",
    StaffLevel.social_worker: "社会工作师（中级）",
    StaffLevel.assistant_social_worker: "助理社会工作师（初级）",
    StaffLevel.uncertified: "未取得职业水平证书的工作人员",
    StaffLevel.volunteer: "志愿者",
}


class ActivityIn(msgspec.Struct, forbid_unknown_fields=True):
    held_on: date
    title: Label
    participants: Count


class ServedIn(msgspec.Struct, forbid_unknown_fields=True):
    """How many people of one target group were served in one county (and street): a count."""

    target_group: Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]
    county_code: DivisionCode
    count: Count
    street: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)] | None = None


class HoursIn(msgspec.Struct, forbid_unknown_fields=True):
    staff_level: StaffLevel
    hours: Amount


class ProgressIn(msgspec.Struct, forbid_unknown_fields=True):
    """Progress against one target of the contract, named by its place in the contract's
    list (from 1)."""

    target_index: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    actual_value: Amount
    note: Note | None = None


class FundsIn(msgspec.Struct, forbid_unknown_fields=True):
    """What was spent in the period on one line of the project's cost accounting (成本核算),
    named by its line number."""

    cost_line_no: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    spent: Money
    note: Note | None = None


class ReportContent(msgspec.Struct, forbid_unknown_fields=True):
    activities: Annotated[list[ActivityIn], msgspec.Meta(max_length=500)] = []
    served: Annotated[list[ServedIn], msgspec.Meta(max_length=500)] = []
    hours: Annotated[list[HoursIn], msgspec.Meta(max_length=10)] = []
    progress: Annotated[list[ProgressIn], msgspec.Meta(max_length=200)] = []
    funds: Annotated[list[FundsIn], msgspec.Meta(max_length=200)] = []
    problems: Prose | None = None


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    """The provider drafts its report on one period of the schedule."""

    period_seq: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    content: ReportContent


class ReportStatus(StrEnum):
    draft = "draft"  # 草稿
    submitted = "submitted"  # 已提交（或补正后重新提交）
    accepted = "accepted"  # 已通过
    returned = "returned"  # 已退回补正


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    comment: Annotated[Text, msgspec.Meta(min_length=1, max_length=4000)]


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    comment: Annotated[Text, msgspec.Meta(max_length=4000)] | None = None


class CommentOut(msgspec.Struct):
    id: uuid.UUID
    kind: str  # accepted | returned | remark
    body: str
    author_id: uuid.UUID
    created_at: datetime


class ReportPeriodOut(msgspec.Struct):
    seq: int
    label: str
    starts_on: date
    ends_on: date
    due_at: datetime


class ReportSummaryOut(msgspec.Struct):
    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    period: ReportPeriodOut | None
    status: ReportStatus
    late: bool
    submissions: int
    submitted_at: datetime | None
    reviewed_at: datetime | None


class TargetProgressOut(msgspec.Struct):
    target_index: int
    target_name: str | None
    actual_value: str
    note: str | None


class FundsOut(msgspec.Struct):
    cost_line_no: int
    description: str | None
    spent: Money
    note: str | None


class ReportOut(msgspec.Struct):
    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    period: ReportPeriodOut | None
    status: ReportStatus
    late: bool
    submissions: int
    activities: list[ActivityIn]
    served: list[ServedIn]
    hours: list[HoursIn]
    progress: list[TargetProgressOut]
    funds: list[FundsOut]
    problems: str | None
    created_at: datetime
    created_by: uuid.UUID
    updated_at: datetime
    submitted_at: datetime | None
    submitted_by: uuid.UUID | None
    reviewed_at: datetime | None
    reviewed_by: uuid.UUID | None
    comments: list[CommentOut]
