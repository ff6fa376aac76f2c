"""Bodies of the credit facts (信用事实) and of a disqualification prefilled from them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec

from services.credit.schemas import Ground, LegalBasis, Note, Scope

# 民发〔2012〕196号 三(五): a failed evaluation may cost the provider its eligibility for a time.
FACTS_LEGAL_BASIS = "《关于政府购买社会工作服务的指导意见》（民发〔2012〕196号）三（五）"


class FactKind(StrEnum):
    acceptance_passed = "acceptance_passed"  # 验收合格
    acceptance_failed = "acceptance_failed"  # 验收不合格
    evaluation_graded = "evaluation_graded"  # 第三方评估定级
    breach = "breach"  # 违约
    rectification_overdue = "rectification_overdue"  # 逾期未整改


class FactOut(msgspec.Struct):
    """A fact as the region that recorded it sees it (and the provider, about itself)."""

    id: uuid.UUID
    tenant_id: str
    provider_id: uuid.UUID
    kind: FactKind
    occurred_on: date
    source_kind: str
    source_id: uuid.UUID
    summary: str
    details: dict[str, Any]
    created_at: datetime


class RecordedFactOut(msgspec.Struct):
    """A fact as any region's civil affairs reads it through the narrow path: where, when,
    what — not who recorded it nor the recording region's object."""

    fact_id: uuid.UUID
    source_tenant: str
    source_name: str
    kind: FactKind
    occurred_on: date
    source_kind: str
    summary: str
    details: dict[str, Any]


class ProviderFactsOut(msgspec.Struct):
    provider_id: uuid.UUID
    provider_name: str
    provider_uscc: str
    facts: list[RecordedFactOut]


class FromFactsIn(msgspec.Struct, forbid_unknown_fields=True):
    """A disqualification prefilled with this region's facts of the provider: at least one a
    不合格 grade or a breach. The reason is composed from the facts; ``note`` adds to it."""

    provider_id: uuid.UUID
    fact_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=20)]
    scope: Scope
    starts_on: date
    ends_on: date
    note: Note | None = None
    legal_basis: LegalBasis = FACTS_LEGAL_BASIS
    ground: Ground = Ground.regional_disqualification
