"""HTTP routes of credit: a region's disqualification records under
``/v1/tenants/{tenant}/disqualifications``, the bars on a provider in the region, and a
provider's own record across regions at ``/v1/me/disqualifications``."""

from __future__ import annotations

import uuid
from datetime import date

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from services.credit import attachments as _attachments  # noqa: F401  (registers document checks)
from services.credit import disqualifications, reader, repository, rules
from services.credit import service as credit
from services.credit import views as out
from services.credit.schemas import (
    DecisionIn,
    DisqualificationCreate,
    DisqualificationOut,
    OwnRecordOut,
    ProviderBarsOut,
    RejectIn,
    RevokeIn,
    Status,
)
from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page


class DisqualificationController(Controller):
    path = f"{TENANT_PATH}/disqualifications"
    tags = ["credit"]

    @post("/", opt={"permission": "disqualification:record"}, status_code=201)
    async def create(
        self, session: Session, actor: CurrentActor, data: JSONBody[DisqualificationCreate]
    ) -> DisqualificationOut:
        """登记: record a provider's disqualification (1–3 years); an approver confirms it.
        ``national`` scope only from a province-level region."""
        row = await disqualifications.create(session, actor, data)
        return await out.disqualification(session, row)

    @get("/", opt={"permission": "disqualification:read"})
    async def list(
        self,
        session: Session,
        actor: CurrentActor,
        status: FromQuery[Status | None] = None,
        provider_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[DisqualificationOut]:
        """This region's own records, newest first. Other regions' are never listed here."""
        rows = await repository.list_(
            session, actor.tenant, status.value if status else None, provider_id, limit, offset
        )
        return Page(items=await out.disqualifications(session, rows), limit=limit, offset=offset)

    @get("/{disqualification_id:uuid}", opt={"permission": "disqualification:read"})
    async def read(
        self, session: Session, actor: CurrentActor, disqualification_id: FromPath[uuid.UUID]
    ) -> DisqualificationOut:
        row = await disqualifications.get(session, actor, disqualification_id)
        return await out.disqualification(session, row)

    @post(
        "/{disqualification_id:uuid}/confirm",
        opt={"permission": "disqualification:decide"},
        status_code=HTTP_200_OK,
    )
    async def confirm(
        self,
        session: Session,
        actor: CurrentActor,
        disqualification_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
    ) -> DisqualificationOut:
        """确认 (not by the recorder): the bar applies from ``starts_on``."""
        row = await disqualifications.confirm(session, actor, disqualification_id, data.note)
        return await out.disqualification(session, row)

    @post(
        "/{disqualification_id:uuid}/reject",
        opt={"permission": "disqualification:decide"},
        status_code=HTTP_200_OK,
    )
    async def reject(
        self,
        session: Session,
        actor: CurrentActor,
        disqualification_id: FromPath[uuid.UUID],
        data: JSONBody[RejectIn],
    ) -> DisqualificationOut:
        """不予确认 (not by the recorder), with the reason."""
        row = await disqualifications.reject(session, actor, disqualification_id, data.note)
        return await out.disqualification(session, row)

    @post(
        "/{disqualification_id:uuid}/revoke",
        opt={"permission": "disqualification:decide"},
        status_code=HTTP_200_OK,
    )
    async def revoke(
        self,
        session: Session,
        actor: CurrentActor,
        disqualification_id: FromPath[uuid.UUID],
        data: JSONBody[RevokeIn],
    ) -> DisqualificationOut:
        """撤销 a confirmed record, with the reason; it bars no more from now."""
        row = await disqualifications.revoke(session, actor, disqualification_id, data.reason)
        return await out.disqualification(session, row)


class ProviderBarsController(Controller):
    path = f"{TENANT_PATH}/provider-bars"
    tags = ["credit"]

    @get("/{provider_id:uuid}", opt={"permission": "disqualification:read"})
    async def read(
        self,
        session: Session,
        actor: CurrentActor,
        provider_id: FromPath[uuid.UUID],
        on_day: FromQuery[date | None] = None,
    ) -> ProviderBarsOut:
        """Whether a provider is barred in this region (today in China, or ``on_day``), by
        whichever region's record: the recording region, scope and period of each bar."""
        day = on_day or rules.today()
        found = await credit.bars(session, provider_id, actor.tenant, day)
        return ProviderBarsOut(
            provider_id=provider_id,
            tenant=actor.tenant,
            on_day=day,
            barred=bool(found),
            bars=[out.bar(bar) for bar in found],
        )


class MyDisqualificationsController(Controller):
    path = "/v1/me/disqualifications"
    tags = ["credit"]

    @get("/", opt={"permission": "disqualification:read_own"})
    async def list(self, session: Session, actor: CurrentActor) -> list[OwnRecordOut]:
        """The provider's own confirmed disqualifications in every region, with the reasons
        recorded, longest-lasting first (those over are kept, ``in_force`` false)."""
        if actor.provider_id is None:
            raise NotFound("You do not act for a provider.")
        return await out.own_record(session, await reader.record(session, actor.provider_id))
