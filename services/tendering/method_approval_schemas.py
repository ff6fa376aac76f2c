"""Bodies of the approving region's method-approval routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import msgspec

from services.tendering.schemas import Method, MethodReason, RegionOut, Status


class RequestStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    refused = "refused"
    # The county's procurement stopped waiting without a decision (cancelled).
    withdrawn = "withdrawn"


class ProposedProviderOut(msgspec.Struct):
    name: str
    uscc: str


class MethodApprovalOut(msgspec.Struct):
    id: uuid.UUID
    # The region that decides (this tenant) and the county that asks.
    tenant_id: str
    county: RegionOut
    procurement_id: uuid.UUID
    title: str
    method: Method
    method_reason: MethodReason | None
    method_justification: str | None
    budget_amount: str
    ceiling_price: str
    proposed_providers: list[ProposedProviderOut]
    notice_published_at: datetime | None
    # A single source's notice has run its time from this moment.
    approvable_from: datetime | None
    requested_at: datetime
    status: RequestStatus
    note: str | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    # Read now from the county, through the narrow path: its procurement's status and the
    # objections to a single-source notice still unanswered.
    procurement_status: Status | None
    open_objections: int
