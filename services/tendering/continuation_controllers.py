"""HTTP route of a failed open tender's continuation by negotiation (74号令 art. 27)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.settings import Settings
from services.tendering import continuation, views
from services.tendering.schemas import ContinuationIn, ProcurementOut


class ContinuationController(Controller):
    path = f"{TENANT_PATH}/procurements"
    tags = ["tendering"]

    @post(
        "/{procurement_id:uuid}/continuation",
        opt={"permission": "procurement:write"},
        status_code=HTTP_201_CREATED,
    )
    async def continue_(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ContinuationIn],
    ) -> ProcurementOut:
        """Go on by competitive negotiation with the two valid bidders of a failed open tender
        at or above the open-tender threshold (74号令 art. 27; 87号令 art. 43(2), the buyer
        declaring its documents and procedure sound): a new draft from the same budget line,
        its money committed again, the tender's requirements and criteria, the two invited.
        Finance approves it before publication. Once per failed tender."""
        settings: Settings = request.app.state.settings
        made = await continuation.continue_by_negotiation(
            session, settings, actor, procurement_id, data
        )
        return await views.procurement(session, made, with_transitions=True)
