"""Request and response bodies of the credit API, and its words.

Dates are calendar days in China (Asia/Shanghai) as ISO strings, "2027-03-01". ``ends_on`` is
the first day the provider may take part again (the period is ``[starts_on, ends_on)``);
``last_day`` in responses is the last day it may not, which is what people say and write.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.types import Line, Text

DEFAULT_LEGAL_BASIS = "《中华人民共和国政府采购法》第七十七条"

Reason = Annotated[Text, msgspec.Meta(min_length=1, max_length=5000)]
LegalBasis = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
Note = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]


class Scope(StrEnum):
    """Where a disqualification applies, from the region that recorded it."""

    tenant = "tenant"  # 本地区
    province = "province"  # 本省（自治区、直辖市）
    national = "national"  # 全国


SCOPE_NAMES = {
    Scope.tenant: "本地区",
    Scope.province: "本省（自治区、直辖市）",
    Scope.national: "全国",
}


class Ground(StrEnum):
    """Which bar a record is: procurements choose in their documents which ones disqualify."""

    # 政府采购法 art. 77: a ban from all government procurement; every procurement applies it.
    art77 = "art77"
    # 民发〔2012〕196号 三(五): civil affairs' disqualification of a social-work provider for
    # poor performance; a procurement applies it where its documents say so (on by default).
    regional_disqualification = "regional_disqualification"


class Status(StrEnum):
    proposed = "proposed"  # 已登记，待审核
    confirmed = "confirmed"  # 已确认（生效）
    rejected = "rejected"  # 未予确认
    revoked = "revoked"  # 已撤销


class DisqualificationCreate(msgspec.Struct, forbid_unknown_fields=True):
    provider_id: uuid.UUID
    scope: Scope
    starts_on: date
    ends_on: date
    reason: Reason
    legal_basis: LegalBasis = DEFAULT_LEGAL_BASIS
    ground: Ground = Ground.art77


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note | None = None


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Note


class DisqualificationOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    provider_id: uuid.UUID
    provider_name: str
    provider_uscc: str
    scope: Scope
    starts_on: date
    ends_on: date
    last_day: date
    reason: str
    legal_basis: str
    status: Status
    ground: Ground
    # Confirmed, and today within its period.
    in_force: bool
    recorded_by: uuid.UUID
    created_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str | None
    revoked_by: uuid.UUID | None
    revoked_at: datetime | None
    revoked_reason: str | None


class _RecordTerms(msgspec.Struct):
    """What every view of a confirmed record starts with: which record, the region that
    recorded it, how far it reaches and its period."""

    disqualification_id: uuid.UUID
    source_tenant: str
    source_name: str
    scope: Scope
    starts_on: date
    ends_on: date
    last_day: date


class BarOut(_RecordTerms):
    """A confirmed disqualification in force in the region asked about: where it was
    recorded, how far it reaches, when it ends. The recording region's reasons stay there."""

    ground: Ground


class ProviderBarsOut(msgspec.Struct):
    provider_id: uuid.UUID
    tenant: str
    on_day: date
    barred: bool
    bars: list[BarOut]


class OwnRecordOut(_RecordTerms):
    """One of the provider's own confirmed disqualifications, in whichever region."""

    in_force: bool
    reason: str
    legal_basis: str
    confirmed_at: datetime | None
