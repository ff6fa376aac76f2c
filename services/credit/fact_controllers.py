"""HTTP routes of credit facts: a region's own at ``/v1/tenants/{tenant}/credit-facts``, a
provider's facts in every region through the narrow path at
``/v1/tenants/{tenant}/provider-facts/{provider_id}``, a provider's own at
``/v1/me/credit-facts``, and a disqualification prefilled from facts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from services.credit import disqualifications, facts, reader
from services.credit import views as out
from services.credit.fact_schemas import (
    FactKind,
    FactOut,
    FromFactsIn,
    ProviderFactsOut,
    RecordedFactOut,
)
from services.credit.models import CreditFact
from services.credit.schemas import DisqualificationOut
from services.kit.audit import record
from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.tenancy import service as tenancy


def fact_out(row: CreditFact) -> FactOut:
    return FactOut(
        id=row.id,
        tenant_id=row.tenant_id,
        provider_id=row.provider_id,
        kind=FactKind(row.kind),
        occurred_on=row.occurred_on,
        source_kind=row.source_kind,
        source_id=row.source_id,
        summary=row.summary,
        details=dict(row.details),
        created_at=row.created_at,
    )


def facts_out(rows: Sequence[CreditFact]) -> list[FactOut]:
    return [fact_out(row) for row in rows]


class CreditFactController(Controller):
    path = TENANT_PATH
    tags = ["credit"]

    @get("/credit-facts", opt={"permission": "credit_fact:read"})
    async def list(
        self,
        session: Session,
        actor: CurrentActor,
        provider_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[FactKind | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[FactOut]:
        """The facts this region recorded, newest first. Other regions' are never listed here."""
        rows = await facts.of_region(session, actor.tenant, provider_id, kind, limit, offset)
        return Page(items=facts_out(rows), limit=limit, offset=offset)

    @get("/provider-facts/{provider_id:uuid}", opt={"permission": "credit_fact:read"})
    async def of_provider(
        self, session: Session, actor: CurrentActor, provider_id: FromPath[uuid.UUID]
    ) -> ProviderFactsOut:
        """A provider's credit facts in every region, through the narrow path: where, when
        and what, never who recorded it. The read is logged in this region's audit chain."""
        try:
            provider = await tenancy.get_provider(session, provider_id)
        except NotFound:
            raise NotFound("No such provider.") from None
        rows = await reader.facts(session, provider_id)
        names: dict[str, str] = {}
        for row in rows:
            if row.source_tenant not in names:
                names[row.source_tenant] = (
                    await tenancy.get_tenant(session, row.source_tenant)
                ).name
        await record(
            session,
            actor,
            "credit_fact.consulted",
            "provider",
            provider_id,
            after={"facts": len(rows)},
        )
        return ProviderFactsOut(
            provider_id=provider.id,
            provider_name=provider.name,
            provider_uscc=provider.uscc,
            facts=[
                RecordedFactOut(
                    fact_id=row.fact_id,
                    source_tenant=row.source_tenant,
                    source_name=names[row.source_tenant],
                    kind=FactKind(row.kind),
                    occurred_on=row.occurred_on,
                    source_kind=row.source_kind,
                    summary=row.summary,
                    details=row.details,
                )
                for row in rows
            ],
        )

    @post(
        "/disqualifications/from-facts",
        opt={"permission": "disqualification:record"},
        status_code=201,
    )
    async def disqualify_from_facts(
        self, session: Session, actor: CurrentActor, data: JSONBody[FromFactsIn]
    ) -> DisqualificationOut:
        """登记 a disqualification prefilled with this region's facts of the provider (a
        不合格 evaluation grade or a breach among them); another approver confirms it."""
        row = await disqualifications.create_from_facts(session, actor, data)
        return await out.disqualification(session, row)


class MyCreditFactsController(Controller):
    path = "/v1/me/credit-facts"
    tags = ["credit"]

    @get("/", opt={"permission": "credit_fact:read_own"})
    async def list(self, session: Session, actor: CurrentActor) -> list[FactOut]:
        """The provider's own credit facts in every region, newest first."""
        if actor.provider_id is None:
            raise NotFound("You do not act for a provider.")
        return facts_out(await facts.own(session, actor.provider_id))
