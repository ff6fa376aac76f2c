"""HTTP route of the buyer's credit re-check before the award (credit_listener.recheck)."""

from __future__ import annotations

import uuid

from litestar import Controller, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.tendering import credit_listener, views
from services.tendering.schemas import ProcurementOut

ONE = "/{procurement_id:uuid}"


class CreditRecheckController(Controller):
    path = f"{TENANT_PATH}/procurements"
    tags = ["tendering"]

    @post(f"{ONE}/credit-recheck", opt={"permission": "procurement:write"}, status_code=HTTP_200_OK)
    async def recheck(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> ProcurementOut:
        """信用审查: apply the documents' credit bars now to every supplier still in; each
        barred one's bid or offer is set aside with the reason (as when a bar is announced)."""
        procurement = await credit_listener.recheck(session, actor, procurement_id)
        return await views.procurement(session, procurement)
