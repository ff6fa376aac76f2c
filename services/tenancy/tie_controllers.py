"""HTTP routes of evaluation organisations and ties: the platform administrator marks a
provider as an evaluation organisation; a provider's administrator declares its affiliations
and principal persons at ``/v1/me/provider/...``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from services.kit.guard import CurrentActor, Session
from services.kit.settings import Settings
from services.tenancy import providers, ties
from services.tenancy.models import Provider, ProviderAffiliation, ProviderPerson
from services.tenancy.schemas import (
    AffiliationIn,
    AffiliationOut,
    EvaluatorFlagIn,
    EvaluatorOut,
    PersonIn,
    PersonOut,
    PersonRole,
    Relation,
    TiesOut,
)


def evaluator_out(provider: Provider) -> EvaluatorOut:
    return EvaluatorOut(
        id=provider.id,
        uscc=provider.uscc,
        name=provider.name,
        is_evaluator=provider.is_evaluator,
        evaluator_since=provider.evaluator_since,
    )


def affiliation_out(row: ProviderAffiliation) -> AffiliationOut:
    return AffiliationOut(
        id=row.id,
        related_uscc=row.related_uscc,
        related_name=row.related_name,
        relation=Relation(row.relation),
        created_at=row.created_at,
    )


def person_out(row: ProviderPerson) -> PersonOut:
    return PersonOut(
        id=row.id,
        role=PersonRole(row.role),
        name=row.name,
        id_masked=row.id_masked,
        created_at=row.created_at,
    )


class EvaluatorFlagController(Controller):
    path = "/v1/platform/providers"
    tags = ["platform"]

    @put("/{provider_id:uuid}/evaluator", opt={"permission": "provider_evaluator:manage"})
    async def set_evaluator(
        self,
        session: Session,
        actor: CurrentActor,
        provider_id: FromPath[uuid.UUID],
        data: JSONBody[EvaluatorFlagIn],
    ) -> EvaluatorOut:
        """Mark (or unmark) a provider as a 第三方评估机构, saying on what evidence."""
        provider = await ties.set_evaluator(
            session, actor, provider_id, data.is_evaluator, data.note
        )
        return evaluator_out(provider)


class ProviderTiesController(Controller):
    path = "/v1/me/provider"
    tags = ["providers"]

    @get("/ties", opt={"permission": "provider_ties:read"})
    async def read(self, session: Session, actor: CurrentActor) -> TiesOut:
        """The provider's evaluation-organisation status, declared affiliations and principal
        persons (ID numbers masked)."""
        provider = await providers.get_provider(session, ties.own_provider(actor))
        return TiesOut(
            provider_id=provider.id,
            is_evaluator=provider.is_evaluator,
            evaluator_since=provider.evaluator_since,
            affiliations=[
                affiliation_out(a) for a in await ties.affiliations(session, provider.id)
            ],
            persons=[person_out(p) for p in await ties.persons(session, provider.id)],
        )

    @post("/affiliations", opt={"permission": "provider_ties:declare"})
    async def declare_affiliation(
        self, session: Session, actor: CurrentActor, data: JSONBody[AffiliationIn]
    ) -> AffiliationOut:
        """Declare an affiliated organisation by its 统一社会信用代码."""
        return affiliation_out(await ties.declare_affiliation(session, actor, data))

    @delete(
        "/affiliations/{affiliation_id:uuid}",
        opt={"permission": "provider_ties:declare"},
        status_code=HTTP_200_OK,
    )
    async def withdraw_affiliation(
        self, session: Session, actor: CurrentActor, affiliation_id: FromPath[uuid.UUID]
    ) -> dict[str, str]:
        await ties.withdraw_affiliation(session, actor, affiliation_id)
        return {"withdrawn": str(affiliation_id)}

    @post("/persons", opt={"permission": "provider_ties:declare"})
    async def declare_person(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        data: JSONBody[PersonIn],
    ) -> PersonOut:
        """Declare a principal person; the ID number is kept only as a keyed hash and a
        masked form."""
        settings: Settings = request.app.state.settings
        return person_out(await ties.declare_person(session, settings, actor, data))

    @delete(
        "/persons/{person_id:uuid}",
        opt={"permission": "provider_ties:declare"},
        status_code=HTTP_200_OK,
    )
    async def withdraw_person(
        self, session: Session, actor: CurrentActor, person_id: FromPath[uuid.UUID]
    ) -> dict[str, str]:
        await ties.withdraw_person(session, actor, person_id)
        return {"withdrawn": str(person_id)}
