"""HTTP routes of the supplier selection: an invited tender's prequalification, the buyer's
recorded draw (or a negotiation's written recommendations), and its record for those who read
the procurement."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.tendering import prequalification, selection
from services.tendering.selection_models import PrequalificationApplication
from services.tendering.selection_schemas import (
    ApplicationOut,
    ApplicationReviewIn,
    PrequalificationNoticeIn,
    PrequalificationOut,
    SelectionIn,
    SelectionOut,
)

ONE = "/{procurement_id:uuid}"


class SupplierSelectionController(Controller):
    path = f"{TENANT_PATH}/procurements"
    tags = ["tendering"]

    @post(
        f"{ONE}/supplier-selection",
        opt={"permission": "procurement:write"},
        status_code=HTTP_201_CREATED,
    )
    async def select(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[SelectionIn],
    ) -> SelectionOut:
        """Choose an invited tender's or a negotiation's suppliers: a random draw from a pool
        (the region's library or the buyer's written recommendations, at least twice the number
        drawn) before two witnesses, with a seed the server records; or, for a negotiation,
        every supplier the buyer and the experts recommend in writing (the buyer at most half).
        Once, before publication; the invitations go out with the publication."""
        made = await selection.select_suppliers(session, actor, procurement_id, data)
        return await selection.out(session, made)

    @get(f"{ONE}/supplier-selection", opt={"permission": "procurement:read"})
    async def read(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> SelectionOut:
        """The draw's record: pool (in the order drawn from), seed, witnesses, invitees, time.
        ``random.Random(seed).sample(pool, draw)`` gives the invitees again."""
        return await selection.read(session, actor, procurement_id)


def _application(row: PrequalificationApplication) -> ApplicationOut:
    return ApplicationOut(
        provider_id=row.provider_id,
        applied_at=row.applied_at,
        qualified=row.qualified,
        reason=row.reason,
        reviewed_at=row.reviewed_at,
    )


class PrequalificationController(Controller):
    path = f"{TENANT_PATH}/procurements"
    tags = ["tendering"]

    @post(
        f"{ONE}/prequalification-notice",
        opt={"permission": "procurement:write"},
        status_code=HTTP_201_CREATED,
    )
    async def publish(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[PrequalificationNoticeIn],
    ) -> PrequalificationOut:
        """资格预审公告: an invited tender's notice, providers answering it by its deadline (at
        least 5 working days on); the qualified form the pool of its draw."""
        made = await prequalification.publish_notice(session, actor, procurement_id, data)
        return PrequalificationOut(
            procurement_id=made.procurement_id,
            notice_id=made.notice_id,
            published_at=made.published_at,
            applications_deadline=made.applications_deadline,
        )

    @post(
        f"{ONE}/prequalification-applications",
        opt={"permission": "bid:submit"},
        status_code=HTTP_201_CREATED,
    )
    async def apply(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> ApplicationOut:
        """A provider registered here answers the notice, by its deadline, once."""
        return _application(await prequalification.apply(session, actor, procurement_id))

    @post(
        f"{ONE}/prequalification-applications/{{provider_id:uuid}}/review",
        opt={"permission": "procurement:write"},
        status_code=HTTP_200_OK,
    )
    async def review(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        provider_id: FromPath[uuid.UUID],
        data: JSONBody[ApplicationReviewIn],
    ) -> ApplicationOut:
        """The buyer's verdict on one application (a refusal with its reason), before the
        draw."""
        row = await prequalification.review(session, actor, procurement_id, provider_id, data)
        return _application(row)

    @get(f"{ONE}/prequalification-applications", opt={"permission": "procurement:read"})
    async def applications(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> list[ApplicationOut]:
        """Every answer to the notice with its verdict, for the buyer and finance."""
        rows = await prequalification.applications(session, actor, procurement_id)
        return [_application(row) for row in rows]
