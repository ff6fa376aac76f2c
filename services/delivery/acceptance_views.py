"""API shapes of acceptances. What anyone who reaches an acceptance sees names no member:
the panel is counts by role; names are in ``panel`` only, for the buyer."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import acceptance_panel, acceptance_signing
from services.delivery.acceptance_models import (
    Acceptance,
    AcceptanceMember,
    AcceptanceOpinion,
    AcceptanceSignature,
)
from services.delivery.acceptance_schemas import (
    AcceptanceOut,
    AcceptanceStatus,
    FindingOut,
    MemberKind,
    MemberOut,
    OpinionOut,
    PanelMemberOut,
    PanelOut,
    PanelSummary,
    Party,
    Result,
    ScoreOut,
    SignatureOut,
    StandardOut,
    StandardSource,
    StandardTally,
)


def opinion_out(o: AcceptanceOpinion) -> OpinionOut:
    return OpinionOut(
        opinion=o.opinion,
        scores=[
            ScoreOut(seq=s["seq"], passed=s["passed"], score=s["score"], comment=s["comment"])
            for s in o.scores
        ],
        recorded_at=o.recorded_at,
    )


def signature_out(s: AcceptanceSignature) -> SignatureOut:
    return SignatureOut(
        party=Party(s.party),
        user_id=s.user_id,
        document_id=s.document_id,
        version=s.version,
        sha256=s.sha256,
        signed_at=s.signed_at,
    )


def _tallies(
    acceptance: Acceptance, recorded: dict[uuid.UUID, AcceptanceOpinion]
) -> list[StandardTally]:
    tallies: list[StandardTally] = []
    for standard in acceptance.standards:
        scores = [
            s for o in recorded.values() for s in o.scores if int(s["seq"]) == standard["seq"]
        ]
        mean = (
            f"{(Decimal(sum(s['score'] for s in scores)) / len(scores)).quantize(Decimal('0.1'))}"
            if scores
            else None
        )
        tallies.append(
            StandardTally(
                seq=standard["seq"],
                passed=sum(1 for s in scores if s["passed"]),
                failed=sum(1 for s in scores if not s["passed"]),
                mean_score=mean,
            )
        )
    return tallies


async def acceptance(
    session: AsyncSession, a: Acceptance, viewer: uuid.UUID | None
) -> AcceptanceOut:
    seated = await acceptance_panel.members(session, a)
    recorded = await acceptance_panel.opinions(session, a)
    mine = recorded.get(viewer) if viewer is not None else None
    return AcceptanceOut(
        id=a.id,
        contract_id=a.contract_id,
        provider_id=a.provider_id,
        round=a.round,
        status=AcceptanceStatus(a.status),
        method=a.method,
        planned_on=a.planned_on,
        standards=[
            StandardOut(
                seq=s["seq"],
                source=StandardSource(s["source"]),
                name=s["name"],
                requirement=s["requirement"],
            )
            for s in a.standards
        ],
        panel=PanelSummary(
            buyer=sum(1 for m in seated if m.kind == MemberKind.buyer.value),
            recipient=sum(1 for m in seated if m.kind == MemberKind.recipient.value),
            third_party=sum(1 for m in seated if m.kind == MemberKind.third_party.value),
            recorded=sum(1 for m in seated if m.user_id in recorded),
        ),
        # Each member judges on their own: the tallies show once the panel has concluded
        # (the buyer reads the opinions before that in ``panel``).
        tallies=[] if a.status == AcceptanceStatus.open.value else _tallies(a, recorded),
        created_at=a.created_at,
        result=None if a.result is None else Result(a.result),
        findings=None
        if a.findings is None
        else [FindingOut(seq=f["seq"], passed=f["passed"], reason=f["reason"]) for f in a.findings],
        summary=a.summary,
        rectify_within_days=a.rectify_within_days,
        concluded_at=a.concluded_at,
        signatures=[signature_out(s) for s in await acceptance_signing.signatures(session, a)],
        signed_sha256=a.signed_sha256,
        signed_at=a.signed_at,
        notice_id=a.notice_id,
        breach_liability=a.breach_liability,
        my_opinion=None if mine is None else opinion_out(mine),
    )


def member_out(
    m: AcceptanceMember, recorded: bool, one_time_password: str | None = None
) -> MemberOut:
    return MemberOut(
        user_id=m.user_id,
        kind=MemberKind(m.kind),
        display_name=m.display_name,
        recorded=recorded,
        added_at=m.added_at,
        one_time_password=one_time_password,
    )


def panel(
    a: Acceptance, seated: list[AcceptanceMember], recorded: dict[uuid.UUID, AcceptanceOpinion]
) -> PanelOut:
    return PanelOut(
        acceptance_id=a.id,
        members=[
            PanelMemberOut(
                user_id=m.user_id,
                kind=MemberKind(m.kind),
                display_name=m.display_name,
                added_at=m.added_at,
                opinion=opinion_out(recorded[m.user_id]) if m.user_id in recorded else None,
            )
            for m in seated
        ],
    )
