"""HTTP routes of the province's expert library and of a committee's later draws.

``/v1/tenants/{province}/experts…`` and ``…/expert-library`` for the province's finance
bureau; ``…/procurements/{id}/committee/replacements``, ``…/committee/external`` and
``…/committee/draws`` for the buyer of a city.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.tendering import draws, library, procurements
from services.tendering.controllers import committee_out
from services.tendering.library_models import CommitteeDraw
from services.tendering.library_schemas import (
    DrawOut,
    ExternalDrawIn,
    LibrarySettingIn,
    LibrarySettingOut,
    ReplacementIn,
)
from services.tendering.schemas import CommitteeOut, ExpertIn, ExpertOut

ONE = "/procurements/{procurement_id:uuid}/committee"


class ExpertController(Controller):
    """The province's expert library, kept by its finance bureau in the province's tenant."""

    path = f"{TENANT_PATH}/experts"
    tags = ["tendering"]

    @put("/{user_id:uuid}", opt={"permission": "expert:manage"})
    async def register(
        self,
        session: Session,
        actor: CurrentActor,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[ExpertIn],
    ) -> ExpertOut:
        """Put an expert in the province's library: specialities, employer, declared ties,
        availability and avoidance records."""
        if data.user_id != user_id:
            raise NotFound("The body names another expert than the path.")
        expert = await library.register_expert(session, actor, data)
        return await library.expert_out(session, expert)

    @get("/", opt={"permission": "expert:manage"})
    async def list_experts(self, session: Session, actor: CurrentActor) -> list[ExpertOut]:
        return [
            await library.expert_out(session, e)
            for e in await library.list_experts(session, actor.tenant)
        ]


class ExpertLibraryController(Controller):
    """Whether the province draws its experts on this platform or in a system of its own."""

    path = f"{TENANT_PATH}/expert-library"
    tags = ["tendering"]

    @get("/", opt={"permission": "expert:manage"})
    async def read(self, session: Session, actor: CurrentActor) -> LibrarySettingOut:
        return await library.setting(session, actor.tenant)

    @put("/", opt={"permission": "expert:manage"})
    async def replace(
        self, session: Session, actor: CurrentActor, data: JSONBody[LibrarySettingIn]
    ) -> LibrarySettingOut:
        """Draws external (the province's own system, named) or on this platform."""
        return await library.set_setting(session, actor, data)


class CommitteeDrawController(Controller):
    """A committee's replacement draws and an external draw's result, recorded by the buyer."""

    path = TENANT_PATH
    tags = ["tendering"]

    @post(f"{ONE}/replacements", opt={"permission": "procurement:write"}, status_code=201)
    async def replace(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ReplacementIn],
    ) -> CommitteeOut:
        """An expert who declined or did not come, replaced by a new recorded draw."""
        procurement, seats = await draws.replace(session, actor, procurement_id, data)
        return committee_out(procurement, seats)

    @post(f"{ONE}/external", opt={"permission": "procurement:write"}, status_code=201)
    async def external(
        self,
        session: Session,
        actor: CurrentActor,
        procurement_id: FromPath[uuid.UUID],
        data: JSONBody[ExternalDrawIn],
    ) -> CommitteeOut:
        """The province's own draw system's result: who ran it, when, its record number."""
        procurement, seats = await draws.record_external(session, actor, procurement_id, data)
        return committee_out(procurement, seats)

    @get(f"{ONE}/draws", opt={"permission": "procurement:read"})
    async def draws(
        self, session: Session, actor: CurrentActor, procurement_id: FromPath[uuid.UUID]
    ) -> list[DrawOut]:
        """Every draw of the committee, with its seed and pool, in order."""
        procurement = await procurements.get(session, actor, procurement_id)
        return [_draw(d) for d in await draws.draws_of(session, procurement)]


def _draw(d: CommitteeDraw) -> DrawOut:
    return DrawOut(
        id=d.id,
        kind=d.kind,
        speciality=d.speciality,
        seed=d.seed,
        pool=list(d.pool),
        drawn=list(d.drawn),
        appointed=list(d.appointed),
        replaced_user_id=d.replaced_user_id,
        replaced_reason=d.replaced_reason,
        consent_by=d.consent_by,
        consent_document=d.consent_document,
        external_system=d.external_system,
        external_record_number=d.external_record_number,
        external_operator=d.external_operator,
        external_drawn_at=d.external_drawn_at,
        recorded_at=d.recorded_at,
    )
