"""Drawing a procurement's committee from the province's expert library.

实施条例 art. 39 and 财政部令第87号 art. 48: experts are drawn at random from the library of
a finance department at provincial level. The draw reads the library of the bound region's
province through ``library.pool`` only. Never in the pool: an expert unavailable on the day
of the draw (Asia/Shanghai), one tied to a bidder (a declared affiliation by provider or
USCC, an avoidance record, the same employer, or an account of the bidder itself), and the
buyer's representatives. The pool is ordered by user id and sampled with
``random.Random(seed)``; the seed and pool are recorded, so anyone can redo the draw.

The buyer's representatives are at most one third of the committee (87号令 art. 47). The
buyer chooses experts itself only for a technically complex project whose speciality the
library cannot supply, with its 主管预算单位's consent recorded (art. 48); a technically
complex negotiation group includes a legal expert (74号令 art. 7), drawn from the library's
``law`` speciality. An expert who declines or does not come is replaced by a new recorded
draw. A province that draws in a system of its own has the buyer record that draw's result.

Each seated expert holds ``committee_expert`` on the procurement only (an object role): the
scores routes accept it, nothing else does, and a replaced expert loses it.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import service as identity
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField
from services.kit.workdays import local_date
from services.notifications import service as notifications
from services.tenancy import service as tenancy
from services.tendering import (
    bids,
    consultation,
    evaluation,
    events,
    library,
    procurements,
    rules,
)
from services.tendering.errors import ExpertConflicted, NotEnoughExperts, WrongState
from services.tendering.library import LibraryExpert
from services.tendering.library_models import CommitteeDraw
from services.tendering.library_schemas import ExternalDrawIn, ReplacementIn
from services.tendering.models import Bid, CommitteeMember, Procurement
from services.tendering.schemas import CommitteeIn, Method, MethodReason, Status

LEGAL = "law"  # the library's speciality of legal experts
RANDOM, REPLACEMENT, EXTERNAL = "random", "replacement", "external"
OBJECT = "procurement"


class AppointmentRefused(InvalidField):
    code = "expert_appointment_refused"
    title = "The buyer may not choose this committee's experts"


class Ties:
    """The bidders of a procurement, as an expert may be tied to them."""

    def __init__(self) -> None:
        self.providers: set[uuid.UUID] = set()
        self.names: set[str] = set()
        self.usccs: set[str] = set()

    @classmethod
    async def of(cls, session: AsyncSession, live: Sequence[Bid]) -> Ties:
        ties = cls()
        for provider_id in {bid.provider_id for bid in live}:
            provider = await tenancy.get_provider(session, provider_id)
            ties.providers.add(provider_id)
            ties.names.add(provider.name)
            ties.usccs.add(provider.uscc)
        return ties

    async def binds(self, session: AsyncSession, expert: LibraryExpert) -> bool:
        if (
            self.providers & (expert.affiliated_provider_ids | expert.avoided)
            or self.usccs & expert.affiliated_usccs
            or expert.employer in self.names
        ):
            return True
        return await self.binds_account(session, expert.user_id)

    async def binds_account(self, session: AsyncSession, user_id: uuid.UUID) -> bool:
        users = await identity.users_by_ids(session, [user_id])
        return any(user.provider_id in self.providers for user in users)


def _check_size(
    legal: rules.LegalRules, procurement: Procurement, experts: int, representatives: int
) -> None:
    size = experts + representatives
    # 87号令 art. 47: 采购人代表 at most one third of the committee (experts at least 2/3).
    if representatives * 3 > size:
        raise rules.LegalRuleBroken(
            f"The buyer's representatives are at most one third of the committee: "
            f"{representatives} of {size} is too many (财政部令第87号 art. 47).",
            rule="committee_min_expert_share",
            field="buyer_representative_ids",
        )
    # A consultation group (磋商小组, 财库〔2014〕214号 art. 14) is sized as a negotiation group.
    if Method(procurement.method) in consultation.GROUPED:
        rules.check_negotiation_group(
            legal, size, experts, procurement.budget_amount, field="experts"
        )
    else:
        rules.check_committee(
            legal,
            size,
            experts,
            procurement.budget_amount,
            field="experts",
            complex_or_wide_impact=procurement.technically_complex
            or procurement.wide_social_impact,
        )


async def _representatives(
    session: AsyncSession, actor: Actor, ids: Iterable[uuid.UUID], field: str
) -> list[uuid.UUID]:
    representatives = list(dict.fromkeys(ids))
    buyers = set(
        await tenancy.holders(
            session, actor.tenant, (Role.civil_affairs_officer, Role.civil_affairs_approver)
        )
    )
    for index, user_id in enumerate(representatives):
        if user_id not in buyers:
            raise InvalidField("is not a civil-affairs user here", field=f"{field}[{index}]")
    return representatives


async def _open_for_a_committee(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> Procurement:
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    # Drawn once the bids are open: the committee also reviews their compliance (review.py).
    if procurement.status not in (
        Status.qualification_review,
        Status.compliance_review,
        Status.evaluation,
        Status.negotiating,
    ):
        raise WrongState(
            f"A committee is drawn for opened bids; the procurement is {procurement.status}."
        )
    if await evaluation.members(session, procurement):
        raise WrongState("The committee has been drawn already.")
    return procurement


def _technically_complex(procurement: Procurement) -> bool:
    # The buyer's flag on the procurement is the one source; a negotiation chosen because the
    # project is technically complex is so already.
    return (
        procurement.technically_complex
        or procurement.method_reason == MethodReason.technically_complex
    )


async def _eligible(
    session: AsyncSession,
    experts: Sequence[LibraryExpert],
    speciality: str,
    ties: Ties,
    excluded: set[uuid.UUID],
) -> list[LibraryExpert]:
    today = local_date(datetime.now(UTC))
    return sorted(
        [
            e
            for e in experts
            if speciality in e.specialities
            and e.user_id not in excluded
            and not e.unavailable_on(today)
            and not await ties.binds(session, e)
        ],
        key=lambda e: str(e.user_id),
    )


async def _seat(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    experts: Sequence[uuid.UUID],
    representatives: Sequence[uuid.UUID],
) -> list[CommitteeMember]:
    seats = [
        CommitteeMember(
            tenant_id=actor.tenant, procurement_id=procurement.id, user_id=u, kind=evaluation.EXPERT
        )
        for u in experts
    ] + [
        CommitteeMember(
            tenant_id=actor.tenant, procurement_id=procurement.id, user_id=u, kind=evaluation.BUYER
        )
        for u in representatives
    ]
    session.add_all(seats)
    await session.flush()
    for user_id in experts:
        await tenancy.grant_on_object(
            session,
            actor,
            user_id=user_id,
            role=Role.committee_expert,
            object_kind=OBJECT,
            object_id=procurement.id,
        )
    await notifications.notify(
        session,
        actor,
        event_type=events.COMMITTEE_SEAT.name,
        recipients=[seat.user_id for seat in seats],
        context=await procurements.context(session, actor, procurement),
        tenant=actor.tenant,
    )
    return seats


async def _not_external(session: AsyncSession) -> None:
    system = await library.external_system(session)
    if system is not None:
        raise WrongState(
            f"The province draws its experts in {system}: record that draw's result instead."
        )


def _sample(rng: random.Random, pool: Sequence[LibraryExpert], n: int) -> list[LibraryExpert]:
    # Reproducible from the recorded seed on purpose; the seed itself comes from `secrets`.
    return rng.sample(list(pool), n)


async def draw_committee(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, body: CommitteeIn
) -> tuple[Procurement, list[CommitteeMember]]:
    procurement = await _open_for_a_committee(session, actor, procurement_id)
    await _not_external(session)
    legal = await rules.rules_for(session, actor.tenant)
    representatives = await _representatives(
        session, actor, body.buyer_representative_ids, "buyer_representative_ids"
    )
    _check_size(legal, procurement, body.experts, len(representatives))
    ties = await Ties.of(session, await bids.live_bids(session, procurement))
    library_experts = await library.pool(session)
    in_library = {e.user_id: e for e in library_experts}
    complex_ = _technically_complex(procurement)
    # 74号令 art. 7 and 214号 art. 14 alike: a legal expert in a technically complex group.
    needs_lawyer = complex_ and Method(procurement.method) in consultation.GROUPED

    appointed = list(dict.fromkeys(body.appointed_expert_ids))
    if appointed:
        if not complex_:
            raise AppointmentRefused(
                "only a procurement marked technically complex may have experts the buyer "
                "chooses (财政部令第87号 art. 48)",
                field="appointed_expert_ids",
            )
        if body.consent is None:
            raise AppointmentRefused(
                "the 主管预算单位's consent (who, document number) is needed", field="consent"
            )
    for index, user_id in enumerate(appointed):
        field = f"appointed_expert_ids[{index}]"
        users = await identity.users_by_ids(session, [user_id])
        # A provider's account never judges; a representative holds a seat already.
        if user_id in representatives or not users or users[0].provider_id is not None:
            raise InvalidField("is not an expert who may sit here", field=field)
        expert = in_library.get(user_id)
        tied = (
            await ties.binds(session, expert)
            if expert
            else await ties.binds_account(session, user_id)
        )
        if tied:
            raise ExpertConflicted(
                "is tied to a bidder (affiliation, avoidance or employer) and may not evaluate",
                field=field,
                rule="conflict_of_interest",
            )

    excluded = set(representatives) | set(appointed)
    lawyers: list[LibraryExpert] = []
    has_lawyer = any(LEGAL in in_library[u].specialities for u in appointed if u in in_library)
    if needs_lawyer and not has_lawyer:
        lawyers = await _eligible(session, library_experts, LEGAL, ties, excluded)
        if not lawyers:
            raise NotEnoughExperts(
                "A technically complex negotiation group includes a legal expert; the "
                "library has none eligible."
            )
    candidates = await _eligible(
        session, library_experts, body.speciality, ties, excluded | {e.user_id for e in lawyers}
    )
    to_draw = body.experts - len(appointed) - (1 if lawyers else 0)
    if to_draw < 0:
        raise InvalidField("more appointed experts than seats", field="appointed_expert_ids")
    if appointed and len(candidates) >= body.experts - (1 if lawyers else 0):
        # Art. 48: choosing is allowed only where a random draw cannot fill the seats.
        raise AppointmentRefused(
            f"the library has {len(candidates)} eligible experts in '{body.speciality}': "
            "they are drawn at random",
            field="appointed_expert_ids",
        )
    # The server draws the seed: the client never chooses who sits; it is recorded to redo.
    seed = secrets.token_hex(16)
    rng = random.Random(seed)  # noqa: S311 - reproducible on purpose, see _sample
    lawyer = _sample(rng, lawyers, 1) if lawyers else []
    # The lawyer's pick comes first; without one, the draw is sample(pool, n) on the seed.
    candidates = [e for e in candidates if e.user_id not in {x.user_id for x in lawyer}]
    if len(candidates) < to_draw:
        raise NotEnoughExperts(
            f"{len(candidates)} eligible experts in '{body.speciality}', {to_draw} needed"
        )
    drawn = _sample(rng, candidates, to_draw)
    chosen = appointed + [e.user_id for e in lawyer] + [e.user_id for e in drawn]
    seats = await _seat(session, actor, procurement, chosen, representatives)
    procurement.committee_seed = seed
    session.add(
        CommitteeDraw(
            tenant_id=actor.tenant,
            procurement_id=procurement.id,
            kind=RANDOM,
            speciality=body.speciality,
            seed=seed,
            pool=[e.user_id for e in candidates],
            drawn=[e.user_id for e in drawn],
            appointed=appointed,
            consent_by=body.consent.by if appointed and body.consent else None,
            consent_document=body.consent.document_number if appointed and body.consent else None,
            recorded_by=actor.user_id,
        )
    )
    if lawyer:
        session.add(
            CommitteeDraw(
                tenant_id=actor.tenant,
                procurement_id=procurement.id,
                kind=RANDOM,
                speciality=LEGAL,
                seed=seed,
                pool=[e.user_id for e in lawyers],
                drawn=[e.user_id for e in lawyer],
                appointed=[],
                recorded_by=actor.user_id,
            )
        )
    await session.flush()
    await record(
        session,
        actor,
        "committee.drawn",
        "procurement",
        procurement.id,
        after={
            "seed": seed,
            "speciality": body.speciality,
            "pool": [str(e.user_id) for e in candidates],
            "drawn": [str(e.user_id) for e in drawn],
            "legal_pool": [str(e.user_id) for e in lawyers],
            "legal_drawn": [str(e.user_id) for e in lawyer],
            "appointed": [str(u) for u in appointed],
            "consent": (
                {"by": body.consent.by, "document_number": body.consent.document_number}
                if appointed and body.consent
                else None
            ),
            "buyer_representatives": [str(u) for u in representatives],
        },
    )
    return procurement, seats


async def draws_of(session: AsyncSession, procurement: Procurement) -> list[CommitteeDraw]:
    rows = await session.scalars(
        select(CommitteeDraw)
        .where(
            CommitteeDraw.tenant_id == procurement.tenant_id,
            CommitteeDraw.procurement_id == procurement.id,
        )
        .order_by(CommitteeDraw.recorded_at, CommitteeDraw.id)
    )
    return list(rows.all())


async def replace(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, body: ReplacementIn
) -> tuple[Procurement, list[CommitteeMember]]:
    """An expert who declined or did not come gives up the seat; a new draw fills it."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status not in (
        Status.qualification_review,
        Status.compliance_review,
        Status.evaluation,
        Status.negotiating,
    ):
        raise WrongState(f"The procurement is {procurement.status}; its committee is settled.")
    seats = await evaluation.members(session, procurement)
    seat = next(
        (s for s in seats if s.user_id == body.user_id and s.kind == evaluation.EXPERT), None
    )
    if seat is None:
        raise InvalidField("is not an expert on this committee", field="user_id")
    if seat.scores_submitted_at is not None:
        raise WrongState("The expert has scored already: the seat is taken.")
    await _not_external(session)
    history = await draws_of(session, procurement)
    speciality = next(
        (d.speciality for d in history if body.user_id in d.drawn and d.speciality),
        next((d.speciality for d in history if d.speciality), None),
    )
    if speciality is None:
        raise WrongState("The committee has no recorded draw to replace from.")
    ties = await Ties.of(session, await bids.live_bids(session, procurement))
    # Never again anyone who sat or was replaced on this committee.
    excluded = {s.user_id for s in seats} | {
        d.replaced_user_id for d in history if d.replaced_user_id is not None
    }
    candidates = await _eligible(session, await library.pool(session), speciality, ties, excluded)
    if not candidates:
        raise NotEnoughExperts(f"No eligible expert in '{speciality}' is left to draw.")
    # The server draws the seed: the client never chooses who sits; it is recorded to redo.
    seed = secrets.token_hex(16)
    (new,) = _sample(random.Random(seed), candidates, 1)  # noqa: S311 - reproducible
    await session.delete(seat)
    await session.flush()
    await tenancy.revoke_on_object(
        session,
        actor,
        user_id=body.user_id,
        role=Role.committee_expert,
        object_kind=OBJECT,
        object_id=procurement.id,
    )
    await _seat(session, actor, procurement, [new.user_id], [])
    session.add(
        CommitteeDraw(
            tenant_id=actor.tenant,
            procurement_id=procurement.id,
            kind=REPLACEMENT,
            speciality=speciality,
            seed=seed,
            pool=[e.user_id for e in candidates],
            drawn=[new.user_id],
            appointed=[],
            replaced_user_id=body.user_id,
            replaced_reason=body.reason.value,
            recorded_by=actor.user_id,
        )
    )
    await session.flush()
    await record(
        session,
        actor,
        "committee.replaced",
        "procurement",
        procurement.id,
        before={"expert": str(body.user_id), "reason": body.reason.value},
        after={
            "seed": seed,
            "speciality": speciality,
            "pool": [str(e.user_id) for e in candidates],
            "drawn": str(new.user_id),
        },
    )
    return procurement, await evaluation.members(session, procurement)


async def record_external(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, body: ExternalDrawIn
) -> tuple[Procurement, list[CommitteeMember]]:
    """The province's own draw system drew the experts: the buyer records its result."""
    procurement = await _open_for_a_committee(session, actor, procurement_id)
    if await library.external_system(session) is None:
        raise WrongState(
            "The province draws its experts on this platform: draw the committee here."
        )
    if body.drawn_at.tzinfo is None:
        raise InvalidField("needs a timezone offset", field="drawn_at")
    if body.drawn_at > datetime.now(UTC):
        raise InvalidField("is in the future", field="drawn_at")
    legal = await rules.rules_for(session, actor.tenant)
    experts = list(dict.fromkeys(body.expert_ids))
    representatives = await _representatives(
        session, actor, body.buyer_representative_ids, "buyer_representative_ids"
    )
    _check_size(legal, procurement, len(experts), len(representatives))
    ties = await Ties.of(session, await bids.live_bids(session, procurement))
    in_library = {e.user_id: e for e in await library.pool(session)}
    for index, user_id in enumerate(experts):
        expert = in_library.get(user_id)
        if expert is None or user_id in representatives:
            raise InvalidField(
                "is not in the province's expert library", field=f"expert_ids[{index}]"
            )
        if await ties.binds(session, expert):
            raise ExpertConflicted(
                "is tied to a bidder (affiliation, avoidance or employer) and may not evaluate",
                field=f"expert_ids[{index}]",
                rule="conflict_of_interest",
            )
    seats = await _seat(session, actor, procurement, experts, representatives)
    session.add(
        CommitteeDraw(
            tenant_id=actor.tenant,
            procurement_id=procurement.id,
            kind=EXTERNAL,
            speciality=body.speciality,
            pool=[],
            drawn=experts,
            appointed=[],
            external_system=body.system,
            external_record_number=body.record_number,
            external_drawn_at=body.drawn_at,
            external_operator=body.operator,
            recorded_by=actor.user_id,
        )
    )
    await session.flush()
    await record(
        session,
        actor,
        "committee.external_draw_recorded",
        "procurement",
        procurement.id,
        after={
            "system": body.system,
            "record_number": body.record_number,
            "operator": body.operator,
            "drawn_at": body.drawn_at.isoformat(),
            "experts": [str(u) for u in experts],
            "buyer_representatives": [str(u) for u in representatives],
        },
    )
    return procurement, seats
