"""HTTP routes of the procurement stage.

``/v1/tenants/{tenant}/procurements…`` for the buyer, finance, providers and committees;
``/v1/notices`` for everyone, signed in or not, across every region.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from services.kit.audit import Actor
from services.kit.authz.enforcer import Authorizer
from services.kit.errors import Conflict, NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.kit.settings import Settings
from services.kit.types import SearchQuery, TenantQuery
from services.tenancy import service as tenancy
from services.tendering import attachments as _attachments  # noqa: F401  (registers document checks)
from services.tendering import (
    award_notice,
    bids,
    challenges,
    drafts,
    draws,
    enquiries,
    evaluation,
    negotiation,
    notices,
    procurements,
    rules,
    views,
)
from services.tendering.models import Procurement
from services.tendering.schemas import (
    AnswerIn,
    ApprovalDecision,
    BidIn,
    BidOut,
    BidSecurityOut,
    ChallengeAnswer,
    ChallengeIn,
    ChallengeOut,
    CommitteeIn,
    CommitteeOut,
    ConcludeIn,
    DraftUpdate,
    EnquiryIn,
    EnquiryOut,
    ExclusionIn,
    ExclusionOut,
    MemberOut,
    Method,
    NegotiationOut,
    NoticeKind,
    NoticeOut,
    OfferIn,
    OfferOut,
    Overrides,
    ProcurementCreate,
    ProcurementOut,
    PublishIn,
    ReceivedEnquiryOut,
    ReportOut,
    RoundIn,
    RoundOut,
    RulesOut,
    ScoresIn,
    SecurityReturnIn,
    Status,
    WithdrawReason,
)

P = f"{TENANT_PATH}/procurements"
ONE = "/{procurement_id:uuid}"


class BidsSealed(Conflict):
    code = "bids_sealed"
    title = "Bids are sealed until the opening"


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _allowed(request: Request[Any, Any, Any], actor: Actor, permission: str) -> bool:
    authorizer: Authorizer = request.app.state.authorizer
    return authorizer.allowed(actor.user_id, actor.tenant, permission)


class ProcurementController(Controller):
    path = P
    tags = ["tendering"]

    @post("/", opt={"permission": "procurement:write"}, status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        data: JSONBody[ProcurementCreate],
    ) -> ProcurementOut:
        """A draft procurement from an approved budget line; its budget is committed."""
        procurement = await procurements.create(session, _settings(request), actor, data)
        return await views.procurement(session, procurement, with_transitions=True)

    @get("/", opt={"permission": "procurement:read"})
    async def list_procurements(
        self,
        session: Session,
        actor: CurrentActor,
        status: FromQuery[Status | None] = None,
        method: FromQuery[Method | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[ProcurementOut]:
        rows = await procurements.list_procurements(
            session, actor.tenant, status, method, limit, offset
        )
        return Page(
            items=[await views.procurement(session, p) for p in rows], limit=limit, offset=offset
        )

    @get(ONE, opt={"permission": "procurement:read"})
    async def read(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> ProcurementOut:
        """A procurement with every transition of its status."""
        procurement = await procurements.get(session, actor, procurement_id)
        return await views.procurement(session, procurement, with_transitions=True)

    @patch(ONE, opt={"permission": "procurement:write"})
    async def update_draft(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[DraftUpdate],
    ) -> ProcurementOut:
        """Change a draft: title, requirements, deadlines (checked as at creation) and its marks
        as technically complex or of wide social impact (87号令 art. 47). 409 once it is no
        longer a draft; the method, budget line and amounts never change."""
        procurement = await drafts.update(session, actor, procurement_id, data)
        return await views.procurement(session, procurement, with_transitions=True)

    @post(
        f"{ONE}/submit-for-approval",
        opt={"permission": "procurement:write"},
        status_code=HTTP_200_OK,
    )
    async def submit_for_approval(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> ProcurementOut:
        """Invited tender and negotiation: ask finance to approve the method."""
        procurement = await procurements.submit_for_approval(session, actor, procurement_id)
        return await views.procurement(session, procurement)

    @post(
        f"{ONE}/single-source-notice",
        opt={"permission": "procurement:write"},
        status_code=HTTP_200_OK,
    )
    async def single_source_notice(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> ProcurementOut:
        """单一来源公示: publish the proposed provider; finance approves after the legal time."""
        procurement = await procurements.publish_single_source_notice(
            session, actor, procurement_id
        )
        return await views.procurement(session, procurement)

    @post(f"{ONE}/approval", opt={"permission": "procurement:approve"}, status_code=HTTP_200_OK)
    async def approval(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ApprovalDecision],
    ) -> ProcurementOut:
        """Finance approves the method, or sends the procurement back to its draft."""
        procurement = await procurements.decide_approval(
            session, actor, procurement_id, data.approve, data.note
        )
        return await views.procurement(session, procurement, with_transitions=True)

    @post(f"{ONE}/publish", opt={"permission": "procurement:write"}, status_code=HTTP_200_OK)
    async def publish(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[PublishIn],
    ) -> ProcurementOut:
        """采购公告: issue the documents; bids are taken until the deadline."""
        procurement = await procurements.publish(session, actor, procurement_id, data.issued_at)
        return await views.procurement(session, procurement)

    @post(f"{ONE}/cancel", opt={"permission": "procurement:cancel"}, status_code=HTTP_200_OK)
    async def cancel(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[WithdrawReason],
    ) -> ProcurementOut:
        procurement = await procurements.cancel(session, actor, procurement_id, data.reason)
        return await views.procurement(session, procurement)

    @get(f"{ONE}/bids", opt={"permission": "procurement:read"})
    async def list_bids(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> list[BidOut]:
        """The bids with their prices — only once they are opened."""
        procurement = await procurements.get(session, actor, procurement_id)
        if procurement.status in (
            Status.draft,
            Status.awaiting_approval,
            Status.approved,
            Status.single_source_notice,
            Status.tendering,
        ):
            raise BidsSealed("Nobody sees who has bid, or for how much, before the opening.")
        live = await bids.live_bids(session, procurement)
        return [
            views.bid(b, (await tenancy.get_provider(session, b.provider_id)).name) for b in live
        ]

    @post(f"{ONE}/committee", opt={"permission": "procurement:write"}, status_code=201)
    async def draw(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[CommitteeIn],
    ) -> CommitteeOut:
        """Draw the evaluation committee from the province's expert library (the seed is
        recorded)."""
        procurement, seats = await draws.draw_committee(session, actor, procurement_id, data)
        return committee_out(procurement, seats)

    @get(f"{ONE}/committee", opt={"permission": "procurement:read"})
    async def committee(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> CommitteeOut:
        procurement = await procurements.get(session, actor, procurement_id)
        return committee_out(procurement, await evaluation.members(session, procurement))

    @get(f"{ONE}/report", opt={"permission": "procurement:read"})
    async def report(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> ReportOut:
        """The committee's ranking, once every member has scored."""
        procurement = await procurements.get(session, actor, procurement_id)
        return await evaluation.report(session, actor, procurement)

    @post(f"{ONE}/award", opt={"permission": "procurement:award"}, status_code=HTTP_200_OK)
    async def award(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> ProcurementOut:
        """Confirm the committee's recommended winner."""
        procurement = await evaluation.confirm(session, actor, procurement_id)
        return await views.procurement(session, procurement)

    @post(f"{ONE}/result", opt={"permission": "procurement:write"}, status_code=HTTP_200_OK)
    async def result(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> ProcurementOut:
        """结果公告: publish the result; the challenge period starts."""
        procurement = await evaluation.publish_result(session, actor, procurement_id)
        return await views.procurement(session, procurement)

    @get(f"{ONE}/bid-securities", opt={"permission": "bid_security:read"})
    async def bid_securities(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> list[BidSecurityOut]:
        """The bid securities owed back after the award notice, with their due dates
        (财政部令第87号 art. 38), and those returned."""
        procurement = await procurements.get(session, actor, procurement_id)
        return [views.bid_security(s) for s in await award_notice.securities(session, procurement)]

    @post(
        f"{ONE}/bid-securities/{{bid_id:uuid}}/return",
        opt={"permission": "bid_security:write"},
        status_code=HTTP_200_OK,
    )
    async def return_bid_security(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        bid_id: FromPath[uuid.UUID],
        data: JSONBody[SecurityReturnIn],
    ) -> BidSecurityOut:
        """Record that a bid security went back; its bidder is told."""
        security = await award_notice.record_return(
            session, actor, procurement_id, bid_id, data.note
        )
        return views.bid_security(security)

    @post(
        f"{ONE}/enquiries/{{enquiry_id:uuid}}/answer",
        opt={"permission": "procurement:write"},
        status_code=HTTP_200_OK,
    )
    async def answer(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        enquiry_id: FromPath[uuid.UUID],
        data: JSONBody[AnswerIn],
    ) -> EnquiryOut:
        """Answer publicly; a change that affects bids late moves the deadline."""
        enquiry = await enquiries.answer(
            session, actor, procurement_id, enquiry_id, data.answer, data.affects_bids
        )
        return views.enquiry(enquiry)

    @post(
        f"{ONE}/challenges/{{challenge_id:uuid}}/answer",
        opt={"permission": "procurement:award"},
        status_code=HTTP_200_OK,
    )
    async def answer_challenge(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        challenge_id: FromPath[uuid.UUID],
        data: JSONBody[ChallengeAnswer],
    ) -> ChallengeOut:
        challenge = await challenges.answer(
            session, actor, procurement_id, challenge_id, data.outcome, data.answer
        )
        return views.challenge(challenge)

    # --- negotiation: rounds, offers, the final offers ---

    @post(f"{ONE}/rounds", opt={"permission": "procurement:write"}, status_code=201)
    async def open_round(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[RoundIn],
    ) -> RoundOut:
        """Open the next negotiation round (``final`` asks for final offers); for a single
        source, the first round starts the negotiation."""
        held = await negotiation.open_round(session, actor, procurement_id, data.final, data.note)
        return views.round_out(held)

    @get(f"{ONE}/negotiation", opt={"permission": "procurement:read"})
    async def negotiation_record(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> NegotiationOut:
        """Every round and every offer made in it."""
        procurement = await procurements.get(session, actor, procurement_id)
        return NegotiationOut(
            procurement_id=procurement.id,
            rounds=[views.round_out(r) for r in await negotiation.rounds(session, procurement)],
            offers=[views.offer(o) for o in await negotiation.offers(session, procurement)],
            exclusions=[
                views.exclusion(e) for e in await negotiation.exclusions(session, procurement)
            ],
        )

    @post(f"{ONE}/exclusions", opt={"permission": "procurement:write"}, status_code=201)
    async def exclude(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ExclusionIn],
    ) -> ExclusionOut:
        """The negotiation group's finding that a supplier does not meet the requirements."""
        made = await negotiation.exclude(
            session, actor, procurement_id, data.provider_id, data.reason
        )
        return views.exclusion(made)

    @post(
        f"{ONE}/conclude-negotiation",
        opt={"permission": "procurement:write"},
        status_code=HTTP_200_OK,
    )
    async def conclude_negotiation(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ConcludeIn],
    ) -> ProcurementOut:
        """Close on the final offers: the lowest is recommended for the award."""
        procurement = await negotiation.conclude(session, actor, procurement_id, data.minutes)
        return await views.procurement(session, procurement, with_transitions=True)

    @post(f"{ONE}/offers", opt={"permission": "bid:submit"}, status_code=201)
    async def offer(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[OfferIn],
    ) -> OfferOut:
        """Your offer in the current round (a later one in the same round replaces it)."""
        made = await negotiation.submit_offer(
            session, actor, procurement_id, data.price, data.terms
        )
        return views.offer(made)

    @get(f"{ONE}/my-offers", opt={"permission": "bid:submit"})
    async def my_offers(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> list[OfferOut]:
        procurement = await procurements.get(session, actor, procurement_id)
        rows = await negotiation.offers(session, procurement, actor.provider_id)
        return [views.offer(o) for o in rows]

    # --- what a provider does: ask, bid, challenge ---

    @post(f"{ONE}/enquiries", opt={"permission": "bid:submit"}, status_code=201)
    async def ask(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[EnquiryIn],
    ) -> EnquiryOut:
        enquiry = await enquiries.ask(session, actor, procurement_id, data.question)
        return views.enquiry(enquiry, mine=True)

    @post(f"{ONE}/bids", opt={"permission": "bid:submit"}, status_code=201)
    async def submit(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[BidIn],
    ) -> BidOut:
        """Submit a sealed bid; the answer carries its receipt hash. Attach the bid's documents
        to ``object_type=bid`` (without ``sealed_until``): the server seals them until the
        procurement's opening, and takes them until the bid deadline."""
        bid, _ = await bids.submit(session, _settings(request), actor, procurement_id, data.price)
        return views.bid(bid)

    @put(f"{ONE}/bids/{{bid_id:uuid}}", opt={"permission": "bid:submit"})
    async def replace(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        bid_id: FromPath[uuid.UUID],
        data: JSONBody[BidIn],
    ) -> BidOut:
        bid, _ = await bids.replace(
            session, _settings(request), actor, procurement_id, bid_id, data.price
        )
        return views.bid(bid)

    @post(
        f"{ONE}/bids/{{bid_id:uuid}}/withdraw",
        opt={"permission": "bid:submit"},
        status_code=HTTP_200_OK,
    )
    async def withdraw(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        bid_id: FromPath[uuid.UUID],
    ) -> BidOut:
        return views.bid(await bids.withdraw(session, actor, procurement_id, bid_id))

    @get(f"{ONE}/my-bids", opt={"permission": "bid:submit"})
    async def mine(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> list[BidOut]:
        """Your own bids in this procurement, withdrawn ones included."""
        return [views.bid(b) for b in await bids.own_bids(session, actor, procurement_id)]

    @post(f"{ONE}/challenges", opt={"permission": "bid:submit"}, status_code=201)
    async def challenge(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ChallengeIn],
    ) -> ChallengeOut:
        """质疑: within 7 working days after the result notice's publication ends."""
        return views.challenge(await challenges.file(session, actor, procurement_id, data.grounds))

    @get(f"{ONE}/challenges", opt={"permission": "challenge:read"})
    async def list_challenges(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> list[ChallengeOut]:
        """The buyer sees every challenge; a provider its own."""
        procurement = await procurements.get(session, actor, procurement_id)
        rows = await challenges.of_procurement(session, procurement, actor.provider_id)
        return [views.challenge(c) for c in rows]

    # --- what a committee member does ---

    # A drawn expert holds committee_expert on this procurement only (``draws``).
    @post(
        f"{ONE}/scores",
        opt={"permission": "evaluation:take_part", "object": ("procurement", "procurement_id")},
        status_code=HTTP_200_OK,
    )
    async def score(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ScoresIn],
    ) -> ReportOut:
        """Your scores of every bid on every scored criterion, submitted once."""
        procurement = await evaluation.submit_scores(session, actor, procurement_id, data.scores)
        return await evaluation.report(session, actor, procurement)

    @get(
        f"{ONE}/scores",
        opt={"permission": "evaluation:take_part", "object": ("procurement", "procurement_id")},
    )
    async def scores(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
    ) -> list[dict[str, str]]:
        """Your own scores; everyone's once every member has submitted."""
        procurement = await procurements.get(session, actor, procurement_id)
        rows = await evaluation.scores_visible_to(
            session, actor, procurement, _allowed(request, actor, "procurement:read")
        )
        return [
            {
                "member": str(s.user_id),
                "bid_id": str(s.bid_id),
                "criterion": s.criterion,
                "score": f"{s.score:f}",
            }
            for s in rows
        ]

    @get(f"{ONE}/enquiries/all", opt={"permission": "enquiry:read"})
    async def received_enquiries(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> list[ReceivedEnquiryOut]:
        """Every enquiry (or, for a single source, objection), answered or not, with when its
        answer is due. Who asked an enquiry is not shown; an objector is named."""
        procurement = await procurements.get(session, actor, procurement_id)
        return await enquiries.received(session, procurement)

    # --- for anyone: answered enquiries, never who asked ---

    @get(f"{ONE}/enquiries", opt={"public": True})
    async def answered_enquiries(
        self, session: Session, tenant: FromPath[str], procurement_id: FromPath[uuid.UUID]
    ) -> list[EnquiryOut]:
        procurement = await procurements.find(session, tenant, procurement_id)
        if procurement is None:
            raise NotFound("No such procurement.")
        rows = await enquiries.of_procurement(session, procurement)
        return [views.enquiry(e) for e in rows if e.answered_at is not None]


def committee_out(procurement: Procurement, seats: list[Any]) -> CommitteeOut:
    return CommitteeOut(
        procurement_id=procurement.id,
        seed=procurement.committee_seed,
        members=[
            MemberOut(
                user_id=s.user_id, kind=s.kind, scores_submitted=s.scores_submitted_at is not None
            )
            for s in seats
        ],
    )


class NoticeController(Controller):
    """Public notices of every region, for anyone."""

    path = "/v1/notices"
    tags = ["notices"]

    @get("/", opt={"public": True})
    async def search(
        self,
        session: Session,
        tenant: TenantQuery = None,
        kind: FromQuery[NoticeKind | None] = None,
        q: SearchQuery = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[NoticeOut]:
        """Notices newest first; ``tenant`` for one region, ``kind=tender`` for open
        opportunities, ``q`` to search titles and text."""
        rows = await notices.search(
            session,
            tenant=tenant,
            kind=kind,
            query=q.strip()[:100] if q else None,
            limit=limit,
            offset=offset,
        )
        return Page(items=[views.notice(n) for n in rows], limit=limit, offset=offset)

    @get("/{notice_id:uuid}", opt={"public": True})
    async def read(self, session: Session, notice_id: FromPath[uuid.UUID]) -> NoticeOut:
        found = await notices.get(session, notice_id)
        if found is None:
            raise NotFound("No such notice.")
        return views.notice(found)


class TenderingRulesController(Controller):
    path = f"{TENANT_PATH}/tendering-rules"
    tags = ["tendering"]

    @get("/", opt={"permission": "tendering_rules:read"})
    async def read(self, session: Session, actor: CurrentActor) -> RulesOut:
        """The legal rules in force here: each with the national default and its source."""
        return await rules.view(session, actor.tenant)

    @put("/", opt={"permission": "tendering_rules:write"})
    async def replace(
        self, session: Session, actor: CurrentActor, data: JSONBody[Overrides]
    ) -> RulesOut:
        """Replace the region's overrides as a whole; each may only tighten the law."""
        await rules.set_overrides(session, actor, dict(data))
        return await rules.view(session, actor.tenant)
