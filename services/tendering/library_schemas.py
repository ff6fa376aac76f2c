"""Bodies of the expert library's routes and of the committee's replacement and external
draws."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.types import Line
from services.tendering.schemas import Title


class Absence(StrEnum):
    declined = "declined"  # 拒绝参加
    absent = "absent"  # 未到场


class ReplacementIn(msgspec.Struct, forbid_unknown_fields=True):
    """An expert who declined or did not come, replaced by a new draw."""

    user_id: uuid.UUID
    reason: Absence


class ExternalDrawIn(msgspec.Struct, forbid_unknown_fields=True):
    """The result of the province's own expert-draw system, recorded by the buyer."""

    system: Title
    record_number: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
    # Who ran the draw in that system, and when.
    operator: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
    drawn_at: datetime
    expert_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=50)]
    speciality: Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]
    buyer_representative_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10)] = []


class LibrarySettingIn(msgspec.Struct, forbid_unknown_fields=True):
    external_draws: bool
    external_system: Title | None = None


class LibrarySettingOut(msgspec.Struct):
    tenant: str
    external_draws: bool
    external_system: str | None


class DrawOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    speciality: str | None
    seed: str | None
    pool: list[uuid.UUID]
    drawn: list[uuid.UUID]
    appointed: list[uuid.UUID]
    replaced_user_id: uuid.UUID | None
    replaced_reason: str | None
    consent_by: str | None
    consent_document: str | None
    external_system: str | None
    external_record_number: str | None
    external_operator: str | None
    external_drawn_at: datetime | None
    recorded_at: datetime
