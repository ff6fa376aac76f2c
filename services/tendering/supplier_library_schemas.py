"""Bodies of the province's supplier library routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.types import Text
from services.planning.service import ProgrammeArea

Reason = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]


class EntryStatus(StrEnum):
    active = "active"  # drawn while valid
    suspended = "suspended"  # 暂停: not drawn until made active again
    removed = "removed"  # 清退: out of the library; admit it again to bring it back


class EntryIn(msgspec.Struct, forbid_unknown_fields=True):
    """A provider admitted to the province's library, for the programme areas it serves."""

    provider_id: uuid.UUID
    categories: Annotated[list[ProgrammeArea], msgspec.Meta(min_length=1, max_length=5)]
    admitted_on: date
    valid_until: date


class EntryStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: EntryStatus
    # Required when suspending or removing: the provider and the audit are told why.
    reason: Reason | None = None


class EntryOut(msgspec.Struct):
    provider_id: uuid.UUID
    provider_name: str
    categories: list[ProgrammeArea]
    admitted_on: date
    valid_until: date
    status: EntryStatus
    reason: str | None
    updated_at: datetime
