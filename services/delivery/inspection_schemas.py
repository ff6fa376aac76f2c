"""Bodies of the inspections API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.types import Line, Text

Prose = Annotated[Text, msgspec.Meta(min_length=1, max_length=20000)]
Name = Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
Place = Annotated[Line, msgspec.Meta(min_length=1, max_length=500)]


class Bureau(StrEnum):
    civil_affairs = "civil_affairs"  # 民政部门
    finance = "finance"  # 财政部门: the use of funds only


class Manner(StrEnum):
    announced = "announced"  # 明查
    unannounced = "unannounced"  # 暗访


class Scope(StrEnum):
    """What the process supervision (过程监管, 196号 三(五)) looks at."""

    service_delivery = "service_delivery"  # 服务提供
    task_completion = "task_completion"  # 任务完成
    use_of_funds = "use_of_funds"  # 资金使用


class Severity(StrEnum):
    minor = "minor"  # 一般
    major = "major"  # 较重
    serious = "serious"  # 严重


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    """Rectification ordered by a finding: what to do, by the end (24:00 Asia/Shanghai) of
    ``due_on``, which is today or later."""

    required_action: Prose
    due_on: date


class FindingIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Prose
    severity: Severity
    rectification: OrderIn | None = None


class InspectionIn(msgspec.Struct, forbid_unknown_fields=True):
    manner: Manner
    # The day of the inspection: not after today.
    inspected_on: date
    place: Place
    inspectors: Annotated[list[Name], msgspec.Meta(min_length=1, max_length=20)]
    scope: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=3)]
    findings: Annotated[list[FindingIn], msgspec.Meta(max_length=50)] = []
    # Internal to the inspecting bureaus; the provider never reads it.
    notes: Prose | None = None


class FindingOut(msgspec.Struct):
    seq: int
    text: str
    severity: Severity
    rectification_id: uuid.UUID | None


class InspectionOut(msgspec.Struct):
    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    bureau: Bureau
    manner: Manner
    inspected_on: date
    place: str
    inspectors: list[str]
    scope: list[Scope]
    findings: list[FindingOut]
    notes: str | None
    recorded_by: uuid.UUID | None
    recorded_at: datetime


class InspectionsOut(msgspec.Struct):
    contract_id: uuid.UUID
    items: list[InspectionOut]
