"""HTTP routes of third-party evaluation under ``/v1/tenants/{tenant}/evaluations``, the
region's choice of evaluation organisations, and an evaluator's engagements in every region
at ``/v1/me/evaluations``.

Civil affairs engages, returns and (its approver) confirms; the evaluator's users (its
provider's administrator and staff) read and score their own engagements, its administrator
submits them.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from services.delivery import evaluation_attachments as _attachments  # noqa: F401  (documents)
from services.delivery import evaluation_views as views
from services.delivery import evaluations
from services.delivery.evaluation_schemas import (
    ConfirmIn,
    EngageIn,
    EvaluationOrganisationOut,
    EvaluationOut,
    ReturnIn,
    ScoresIn,
)
from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.tenancy import service as tenancy

ONE = "/{evaluation_id:uuid}"


class EvaluationController(Controller):
    path = f"{TENANT_PATH}/evaluations"
    tags = ["delivery"]

    @post("/", opt={"permission": "third_party_evaluation:engage"}, status_code=201)
    async def engage(
        self, session: Session, actor: CurrentActor, data: JSONBody[EngageIn]
    ) -> EvaluationOut:
        """委托第三方评估 of a signed contract. Refused (409 ``evaluator_tied``) when the
        evaluator is the provider itself, either declared the other, both declared the same
        organisation, or they share a principal person."""
        return await views.evaluation(session, await evaluations.engage(session, actor, data))

    @get("/", opt={"permission": "third_party_evaluation:read"})
    async def list(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[EvaluationOut]:
        """The region's evaluations, newest first; an evaluator's users see their own."""
        rows = await evaluations.list_(session, actor, contract_id, limit, offset)
        return Page(items=await views.evaluations_out(session, rows), limit=limit, offset=offset)

    @get(ONE, opt={"permission": "third_party_evaluation:read"})
    async def read(
        self, session: Session, actor: CurrentActor, evaluation_id: FromPath[uuid.UUID]
    ) -> EvaluationOut:
        return await views.evaluation(session, await evaluations.get(session, actor, evaluation_id))

    @put(f"{ONE}/scores", opt={"permission": "third_party_evaluation:score"})
    async def scores(
        self,
        session: Session,
        actor: CurrentActor,
        evaluation_id: FromPath[uuid.UUID],
        data: JSONBody[ScoresIn],
    ) -> EvaluationOut:
        """The evaluator's score sheet, comments and report (a document attached to this
        evaluation), kept until it submits."""
        row = await evaluations.save_scores(session, actor, evaluation_id, data)
        return await views.evaluation(session, row)

    @post(
        f"{ONE}/submission",
        opt={"permission": "third_party_evaluation:submit"},
        status_code=HTTP_200_OK,
    )
    async def submit(
        self, session: Session, actor: CurrentActor, evaluation_id: FromPath[uuid.UUID]
    ) -> EvaluationOut:
        """Submit: the total and the grade (优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格) follow."""
        return await views.evaluation(
            session, await evaluations.submit(session, actor, evaluation_id)
        )

    @post(
        f"{ONE}/confirmation",
        opt={"permission": "third_party_evaluation:confirm"},
        status_code=HTTP_200_OK,
    )
    async def confirm(
        self,
        session: Session,
        actor: CurrentActor,
        evaluation_id: FromPath[uuid.UUID],
        data: JSONBody[ConfirmIn],
    ) -> EvaluationOut:
        """确认: the grade becomes a credit fact of the provider and the project's latest."""
        row = await evaluations.confirm(session, actor, evaluation_id, data.note)
        return await views.evaluation(session, row)

    @post(
        f"{ONE}/return",
        opt={"permission": "third_party_evaluation:engage"},
        status_code=HTTP_200_OK,
    )
    async def return_(
        self,
        session: Session,
        actor: CurrentActor,
        evaluation_id: FromPath[uuid.UUID],
        data: JSONBody[ReturnIn],
    ) -> EvaluationOut:
        """退回 a submitted result to the evaluator, with the reason."""
        row = await evaluations.return_(session, actor, evaluation_id, data.note)
        return await views.evaluation(session, row)


class EvaluationOrganisationController(Controller):
    path = f"{TENANT_PATH}/evaluation-organisations"
    tags = ["delivery"]

    @get("/", opt={"permission": "third_party_evaluation:engage"})
    async def list(self, session: Session) -> list[EvaluationOrganisationOut]:
        """Every evaluation organisation on the platform, registered here or not."""
        return [
            EvaluationOrganisationOut(
                id=p.id, uscc=p.uscc, name=p.name, evaluator_since=p.evaluator_since
            )
            for p in await tenancy.evaluators(session)
        ]


class MyEvaluationsController(Controller):
    path = "/v1/me/evaluations"
    tags = ["delivery"]

    @get("/", opt={"permission": "third_party_evaluation:read_own"})
    async def list(self, session: Session, actor: CurrentActor) -> list[EvaluationOut]:
        """The evaluator's engagements in every region, newest first."""
        if actor.provider_id is None:
            raise NotFound("You do not act for a provider.")
        return await views.evaluations_out(
            session, await evaluations.of_evaluator(session, actor.provider_id)
        )
