"""HTTP routes of the review after a tender's opening: the buyer's qualification review, the
committee's compliance review, and who reads the verdicts."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from services.kit.authz.enforcer import Authorizer
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.tendering import review
from services.tendering.schemas import ReviewIn, ReviewOut

ONE = "/{procurement_id:uuid}"


class ReviewController(Controller):
    path = f"{TENANT_PATH}/procurements"
    tags = ["tendering"]

    @post(
        f"{ONE}/qualification-review",
        opt={"permission": "review:qualify"},
        status_code=HTTP_200_OK,
    )
    async def qualify(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewIn],
    ) -> ReviewOut:
        """资格审查: the buyer's verdict on every opened bid, an invalid one with its reason."""
        await review.qualify(session, actor, procurement_id, data.verdicts)
        return await review.read(session, actor, procurement_id, sees_all=True)

    @post(
        f"{ONE}/compliance-review",
        # A drawn expert sits on this procurement's committee only (a role on the object).
        opt={"permission": "evaluation:take_part", "object": ("procurement", "procurement_id")},
        status_code=HTTP_200_OK,
    )
    async def comply(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewIn],
    ) -> ReviewOut:
        """符合性审查: the committee's verdict on every qualified bid, recorded by a member."""
        await review.comply(session, actor, procurement_id, data.verdicts)
        return await review.read(session, actor, procurement_id, sees_all=True)

    @get(
        f"{ONE}/review",
        opt={"permission": "review:read", "object": ("procurement", "procurement_id")},
    )
    async def read(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
    ) -> ReviewOut:
        """The verdicts: all of them for the buyer, finance and the committee; a bidder's own."""
        authorizer: Authorizer = request.app.state.authorizer
        sees_all = authorizer.allowed(actor.user_id, actor.tenant, "procurement:read")
        return await review.read(session, actor, procurement_id, sees_all)
