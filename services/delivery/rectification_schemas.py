"""Bodies of the rectifications API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.delivery.inspection_schemas import Bureau, Manner, Prose, Scope, Severity
from services.delivery.rectifications import RectificationStatus, SourceKind


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    """What the provider did, with documents it attached to this rectification."""

    text: Prose
    document_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=20)] = []


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Prose


class ReopenIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the answer did not put it right; a new last day if the provider needs one."""

    reason: Prose
    due_on: date | None = None


class EntryKind(StrEnum):
    answer = "answer"
    reopen = "reopen"
    close = "close"


class DocumentRef(msgspec.Struct):
    document_id: uuid.UUID
    version: int
    sha256: str


class EntryOut(msgspec.Struct):
    seq: int
    kind: EntryKind
    text: str
    user_id: uuid.UUID | None
    at: datetime
    documents: list[DocumentRef]


class SourceInspectionOut(msgspec.Struct):
    """The inspection whose finding ordered it, as the provider may see it (no notes)."""

    id: uuid.UUID
    bureau: Bureau
    manner: Manner
    inspected_on: date
    scope: list[Scope]
    severity: Severity | None


class RectificationOut(msgspec.Struct):
    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    source_kind: SourceKind
    source_id: uuid.UUID
    inspection: SourceInspectionOut | None
    # Who checks the answer: the inspecting bureau; civil affairs for an acceptance.
    checked_by: Bureau
    finding: str
    required_action: str
    due_on: date
    # The end of the last day: 24:00 Asia/Shanghai of due_on.
    due_at: datetime
    # Open and past its deadline.
    overdue: bool
    status: RectificationStatus
    reopened: int
    ordered_by: uuid.UUID | None
    ordered_at: datetime
    closed_at: datetime | None
    closed_by: uuid.UUID | None
    close_note: str | None
    entries: list[EntryOut]


class RectificationsOut(msgspec.Struct):
    contract_id: uuid.UUID
    items: list[RectificationOut]
