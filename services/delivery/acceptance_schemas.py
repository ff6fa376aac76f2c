"""Bodies of the acceptance API (结项验收)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.types import Line, Text

Prose = Annotated[Text, msgspec.Meta(min_length=1, max_length=4000)]
Reason = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]
Comment = Annotated[Text, msgspec.Meta(max_length=2000)]
Name = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
DisplayName = Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
Login = Annotated[Line, msgspec.Meta(min_length=3, max_length=254, description="mobile or email")]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$", description="lower-case hex")]
Seq = Annotated[int, msgspec.Meta(ge=1, le=1000)]
Score = Annotated[int, msgspec.Meta(ge=0, le=100)]
# A rectification period after a fail, in calendar days from the day after the report took
# effect (民法典 arts. 201, 203).
RectifyDays = Annotated[int, msgspec.Meta(ge=1, le=365)]


class AcceptanceStatus(StrEnum):
    open = "open"  # 验收中: the panel forms and records its opinions
    concluded = "concluded"  # 已出具验收书: awaiting both sides' signatures
    published = "published"  # 已公告: signed by both, published, its consequences applied


class Result(StrEnum):
    pass_ = "pass"  # 合格
    fail = "fail"  # 不合格


class MemberKind(StrEnum):
    buyer = "buyer"  # 采购人代表 (a government user of the region: civil affairs)
    recipient = "recipient"  # 服务对象代表
    third_party = "third_party"  # 第三方成员


class StandardSource(StrEnum):
    contract = "contract"  # the contract's targets and quality requirements: never removed
    buyer = "buyer"  # added by the buyer in the plan


class Party(StrEnum):
    buyer = "buyer"
    provider = "provider"


class StandardIn(msgspec.Struct, forbid_unknown_fields=True):
    """A standard the buyer adds to those the contract gives."""

    name: Name
    requirement: Prose


class PlanIn(msgspec.Struct, forbid_unknown_fields=True):
    """The acceptance plan (验收方案): the contract's targets and quality requirements are its
    standards already; the buyer may add more, the method and the day."""

    method: Prose
    planned_on: date
    standards: Annotated[list[StandardIn], msgspec.Meta(max_length=50)] = []


class StandardOut(msgspec.Struct):
    seq: int
    source: StandardSource
    name: str
    requirement: str


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    """A member of the panel, by login (an 11-digit mobile number or an email address). A
    recipient or third-party member without an account gets one, for this acceptance only."""

    kind: MemberKind
    login: Login
    display_name: DisplayName | None = None


class MemberOut(msgspec.Struct):
    user_id: uuid.UUID
    kind: MemberKind
    display_name: str
    recorded: bool
    added_at: datetime
    # Shown once, to the buyer who opened the account; only its hash is kept.
    one_time_password: str | None = None


class ScoreIn(msgspec.Struct, forbid_unknown_fields=True):
    seq: Seq
    passed: bool
    score: Score
    comment: Comment = ""


class OpinionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A member's opinion: a pass/fail and a score 0–100 for every standard of the plan."""

    opinion: Prose
    scores: Annotated[list[ScoreIn], msgspec.Meta(min_length=1, max_length=1000)]


class ScoreOut(msgspec.Struct):
    seq: int
    passed: bool
    score: int
    comment: str


class OpinionOut(msgspec.Struct):
    opinion: str
    scores: list[ScoreOut]
    recorded_at: datetime


class PanelMemberOut(msgspec.Struct):
    """A member as the buyer sees the panel: role, name and what they recorded."""

    user_id: uuid.UUID
    kind: MemberKind
    display_name: str
    added_at: datetime
    opinion: OpinionOut | None


class PanelOut(msgspec.Struct):
    acceptance_id: uuid.UUID
    members: list[PanelMemberOut]


class FindingIn(msgspec.Struct, forbid_unknown_fields=True):
    seq: Seq
    passed: bool
    reason: Reason


class ConclusionIn(msgspec.Struct, forbid_unknown_fields=True):
    """The buyer's conclusion (验收结论): pass or fail against every standard, with reasons.
    A fail names the days the provider has to put each failed standard right."""

    findings: Annotated[list[FindingIn], msgspec.Meta(min_length=1, max_length=1000)]
    summary: Prose
    rectify_within_days: RectifyDays | None = None


class FindingOut(msgspec.Struct):
    seq: int
    passed: bool
    reason: str


class StandardTally(msgspec.Struct):
    """The panel on one standard: how many passed or failed it, the mean score."""

    seq: int
    passed: int
    failed: int
    mean_score: str | None


class PanelSummary(msgspec.Struct):
    """The panel by role: counts, never names."""

    buyer: int
    recipient: int
    third_party: int
    recorded: int


class SignatureIn(msgspec.Struct, forbid_unknown_fields=True):
    """What the signer read and accepts: the report (验收书) and the SHA-256 of its current
    version, as the signer's own copy gives it."""

    document_id: uuid.UUID
    sha256: Sha256


class SignatureOut(msgspec.Struct):
    party: Party
    user_id: uuid.UUID
    document_id: uuid.UUID
    version: int
    sha256: str
    signed_at: datetime


class AcceptanceOut(msgspec.Struct):
    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    round: int
    status: AcceptanceStatus
    method: str
    planned_on: date
    standards: list[StandardOut]
    panel: PanelSummary
    # The panel on each standard, once concluded.
    tallies: list[StandardTally]
    created_at: datetime
    result: Result | None
    findings: list[FindingOut] | None
    summary: str | None
    rectify_within_days: int | None
    concluded_at: datetime | None
    signatures: list[SignatureOut]
    signed_sha256: str | None
    signed_at: datetime | None
    notice_id: uuid.UUID | None
    # Set when a re-acceptance failed: the contract's liability for breach, as it reads.
    breach_liability: str | None
    # The caller's own opinion, when the caller sits on the panel.
    my_opinion: OpinionOut | None = None
