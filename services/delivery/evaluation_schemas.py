"""Bodies of third-party evaluation (第三方评估). Scores are strings of exact decimals with at
most one decimal place, each within its dimension's maximum (``evaluation_rules``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.types import Text
from services.planning.service import EvaluationGrade

Score = Annotated[
    str,
    msgspec.Meta(pattern=r"^\d{1,2}(\.\d)?$", description="points, at most one decimal place: 8.5"),
]
Comments = Annotated[Text, msgspec.Meta(min_length=1, max_length=20000)]
Note = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]


class EvaluationKind(StrEnum):
    final = "final"  # 终期评估
    follow_up = "follow_up"  # 跟踪评估


class EvaluationStatus(StrEnum):
    engaged = "engaged"  # 已委托，评估中
    submitted = "submitted"  # 已提交，待民政部门确认
    confirmed = "confirmed"  # 已确认


class ScoreSheet(msgspec.Struct, forbid_unknown_fields=True):
    """项目管理、服务成效、资金使用 (过程 and 结果), 社会效益, 经济效益."""

    management_process: Score  # ≤ 10
    management_outcome: Score  # ≤ 10
    effect_process: Score  # ≤ 15
    effect_outcome: Score  # ≤ 20
    funds_process: Score  # ≤ 10
    funds_outcome: Score  # ≤ 10
    social_benefit: Score  # ≤ 15
    economic_benefit: Score  # ≤ 10


class EngageIn(msgspec.Struct, forbid_unknown_fields=True):
    contract_id: uuid.UUID
    # A provider marked as an evaluation organisation; no registration here is needed.
    evaluator_id: uuid.UUID
    # The follow-up evaluation this many months after the confirmation; none without.
    follow_up_months: Annotated[int, msgspec.Meta(ge=1, le=60)] | None = None


class ScoresIn(msgspec.Struct, forbid_unknown_fields=True):
    scores: ScoreSheet
    comments: Comments
    # The evaluation report (评估报告): a document attached to this evaluation.
    report_document_id: uuid.UUID | None = None


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note | None = None


class EvaluationOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    contract_id: uuid.UUID
    contract_title: str
    project_id: uuid.UUID
    provider_id: uuid.UUID
    provider_name: str
    evaluator_id: uuid.UUID
    evaluator_name: str
    kind: EvaluationKind
    parent_id: uuid.UUID | None
    follow_up_months: int | None
    follow_up_due_at: datetime | None
    follow_up_id: uuid.UUID | None
    status: EvaluationStatus
    scores: dict[str, str]
    total: str | None
    grade: EvaluationGrade | None
    grade_name: str | None
    comments: str | None
    report_document_id: uuid.UUID | None
    return_note: str | None
    submitted_at: datetime | None
    confirmed_at: datetime | None
    created_at: datetime


class EvaluationOrganisationOut(msgspec.Struct):
    id: uuid.UUID
    uscc: str
    name: str
    evaluator_since: datetime | None
