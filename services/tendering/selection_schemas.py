"""Bodies of the supplier selection: the pool's source, its recommendations, the draw."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.types import Line, Text
from services.planning.service import ProgrammeArea

Reason = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]
Name = Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]


class PoolSource(StrEnum):
    # Providers that answered the prequalification notice (资格预审公告) and were found
    # qualified (87号令 art. 14); the pool needs no more than the number drawn.
    prequalification = "prequalification"
    # The province's supplier library (87号令 art. 14): its entries active and valid today in
    # the programme area the buyer names, registered and approved here, not barred today.
    library = "library"
    # Written recommendations (书面推荐): the buyer's for an invited tender; the buyer's and the
    # experts' for a negotiation (74号令 art. 12), the buyer's share at most half.
    recommendations = "recommendations"
    # A negotiation's public notice (74号令 art. 12): its tender notice invites every provider
    # registered here; no pool, no draw. Fewer than three responses fail it at the opening.
    notice = "notice"


class SelectionSource(StrEnum):
    """Where a recorded selection's invitees came from: a pool the buyer chose (PoolSource), or
    a failed open tender's two valid bidders, whom its continuation invites (74号令 art. 27;
    continuation.py) — never a source the buyer picks here."""

    prequalification = PoolSource.prequalification.value
    library = PoolSource.library.value
    recommendations = PoolSource.recommendations.value
    notice = PoolSource.notice.value
    continuation = "continuation"


class Recommender(StrEnum):
    buyer = "buyer"
    expert = "expert"


class RecommendationIn(msgspec.Struct, forbid_unknown_fields=True):
    """One written recommendation: who recommends whom and why, with its papers."""

    provider_id: uuid.UUID
    by: Recommender
    # The person who signed the recommendation (the buyer's officer, or the expert).
    recommender: Name
    reason: Reason
    document_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=20)] = []


class SelectionIn(msgspec.Struct, forbid_unknown_fields=True):
    source: PoolSource
    # How many suppliers the draw invites; none for a negotiation's recommendations (all of
    # them are invited).
    draw: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = None
    # At least two of the buyer's staff witness the draw (87号令 art. 14).
    witness_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10)] = []
    recommendations: Annotated[list[RecommendationIn], msgspec.Meta(max_length=200)] = []
    # A library draw's programme area: the pool is the province's entries admitted for it.
    category: ProgrammeArea | None = None


class WitnessOut(msgspec.Struct):
    user_id: uuid.UUID
    name: str


class RecommendationOut(msgspec.Struct):
    provider_id: uuid.UUID
    by: Recommender
    recommender: str
    reason: str
    document_ids: list[uuid.UUID]


class SelectionOut(msgspec.Struct):
    """The draw's record: redo ``random.Random(seed).sample(pool, draw)`` to check it."""

    procurement_id: uuid.UUID
    source: SelectionSource
    draw: int | None
    category: ProgrammeArea | None
    seed: str | None
    pool: list[uuid.UUID]
    invited: list[uuid.UUID]
    witnesses: list[WitnessOut]
    recommendations: list[RecommendationOut]
    made_by: uuid.UUID
    made_at: datetime


class PrequalificationNoticeIn(msgspec.Struct, forbid_unknown_fields=True):
    # Until when providers answer; at least 5 working days after the notice (87号令 art. 14).
    applications_deadline: datetime


class PrequalificationOut(msgspec.Struct):
    procurement_id: uuid.UUID
    notice_id: uuid.UUID
    published_at: datetime
    applications_deadline: datetime


class ApplicationReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    qualified: bool
    # Required when not qualified: the provider is told why.
    reason: Reason | None = None


class ApplicationOut(msgspec.Struct):
    provider_id: uuid.UUID
    applied_at: datetime
    qualified: bool | None
    reason: str | None
    reviewed_at: datetime | None
