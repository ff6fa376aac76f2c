"""Bodies of the contracts API. Money is a string of 元 with at most two decimals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.money import Money
from services.kit.types import Line, Text

Prose = Annotated[Text, msgspec.Meta(min_length=1, max_length=20000)]
Milestone = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]


class ContractStatus(StrEnum):
    drafting = "drafting"  # 起草中: drafted from the award, terms being set


class InstalmentIn(msgspec.Struct, forbid_unknown_fields=True):
    milestone: Milestone
    amount: Money
    due_on: date
    # The last payment, released by the acceptance (结项验收); at most one, the latest.
    final: bool = False


class ContractTerms(msgspec.Struct, forbid_unknown_fields=True):
    """The terms the buyer drafts, as the procurement documents and the winning bid set them
    (政府采购法 art. 46: no substantive change)."""

    scope: Prose
    quality_requirements: Prose
    breach_liability: Prose
    period_start: date
    period_end: date
    instalments: Annotated[list[InstalmentIn], msgspec.Meta(min_length=1, max_length=60)]
    # Generally one year; up to three for a continuing service whose budget is assured.
    continuing_service_reason: Prose | None = None
    performance_security: Money | None = None
    # No subcontracting without the buyer's consent (政府采购法 art. 48).
    subcontracting_allowed: bool = False


class InstalmentOut(msgspec.Struct):
    seq: int
    milestone: str
    amount: Money
    due_on: date
    final: bool


class ContractOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    procurement_id: uuid.UUID
    ocid: str
    title: str
    status: ContractStatus
    provider_id: uuid.UUID
    project_id: uuid.UUID
    budget_line_id: uuid.UUID
    price: Money
    award_notice_at: datetime
    # The last moment to sign: 30 days from the day after the award notice (政府采购法 art. 46).
    sign_by: datetime
    scope: str | None
    quality_requirements: str | None
    breach_liability: str | None
    period_start: date | None
    period_end: date | None
    continuing_service_reason: str | None
    performance_security: Money | None
    subcontracting_allowed: bool
    instalments: list[InstalmentOut]
    created_at: datetime
    updated_at: datetime
