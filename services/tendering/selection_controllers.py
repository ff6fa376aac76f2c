"""HTTP routes of the supplier selection: the buyer's recorded draw (or a negotiation's written
recommendations), and its record for those who read the procurement."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.tendering import selection
from services.tendering.selection_schemas import SelectionIn, SelectionOut

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
