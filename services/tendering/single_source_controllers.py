"""HTTP routes of a single-source notice's objections: the buyer's supplementary justification
(补充论证, 财政部令第74号 art. 40) and the package finance decides on."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.tendering import justification, views
from services.tendering.schemas import JustificationIn, JustificationPackage, ProcurementOut

ONE = "/{procurement_id:uuid}"


class SingleSourceController(Controller):
    path = f"{TENANT_PATH}/procurements"
    tags = ["tendering"]

    @post(
        f"{ONE}/supplementary-justification",
        opt={"permission": "procurement:write"},
        status_code=HTTP_200_OK,
    )
    async def justify(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[JustificationIn],
    ) -> ProcurementOut:
        """补充论证: after the notice, whether its objections hold. Upheld ends the single
        source; not upheld sends it to finance with the objections and the opinion."""
        procurement = await justification.justify(session, actor, procurement_id, data)
        return await views.procurement(session, procurement, with_transitions=True)

    @get(f"{ONE}/supplementary-justification", opt={"permission": "procurement:read"})
    async def read(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> JustificationPackage:
        """The single-source notice, its objections and their justification, together."""
        return await justification.package(session, actor, procurement_id)
