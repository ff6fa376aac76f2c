"""HTTP routes of rectifications (整改): a contract's at
``/v1/tenants/{tenant}/contracts/{contract_id}/rectifications`` and one at
``/v1/tenants/{tenant}/rectifications/{rectification_id}`` with its steps.

Civil affairs and finance read them; the contract's own provider reads its own (a query
filter: another provider finds nothing) and its administrator answers, with documents it
attached to the rectification (object kind ``rectification``). The bureau that ordered one
closes or reopens it.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from services.contracts import service as contracts
from services.delivery import inspection_attachments as _attachments  # noqa: F401  (registers kinds)
from services.delivery import rectification_views, rectifications
from services.delivery.rectification_models import Rectification
from services.delivery.rectification_schemas import (
    AnswerIn,
    CloseIn,
    RectificationOut,
    RectificationsOut,
    ReopenIn,
)
from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session

ONE = "/{rectification_id:uuid}"


async def _readable(session: Session, actor: Actor, rectification_id: uuid.UUID) -> Rectification:
    """The region's rectification; a provider's user only one its provider must answer."""
    return await rectifications.get(
        session, actor.tenant, rectification_id, provider_id=actor.provider_id
    )


class ContractRectificationController(Controller):
    path = f"{TENANT_PATH}/contracts/{{contract_id:uuid}}/rectifications"
    tags = ["delivery"]

    @get("/", opt={"permission": "rectification:read"})
    async def list_rectifications(
        self, session: Session, actor: CurrentActor, contract_id: FromPath[uuid.UUID]
    ) -> RectificationsOut:
        """The contract's rectifications, oldest first, each with its history and whether it
        is overdue; the contract's own provider reads them too."""
        contract = await contracts.contract_brief(session, actor.tenant, contract_id)
        if contract is None or (
            actor.provider_id is not None and contract.provider_id != actor.provider_id
        ):
            raise NotFound("No such contract.")
        rows = await rectifications.of_contract(session, actor.tenant, contract_id)
        return RectificationsOut(
            contract_id=contract_id,
            items=[await rectification_views.one(session, r) for r in rows],
        )


class RectificationController(Controller):
    path = f"{TENANT_PATH}/rectifications"
    tags = ["delivery"]

    @get(ONE, opt={"permission": "rectification:read"})
    async def read(
        self, session: Session, actor: CurrentActor, rectification_id: FromPath[uuid.UUID]
    ) -> RectificationOut:
        """A rectification: the finding, what to do by when (24:00 Asia/Shanghai of
        ``due_on``), whether it is overdue, who checks it, and every answer and check."""
        found = await _readable(session, actor, rectification_id)
        return await rectification_views.one(session, found)

    @post(f"{ONE}/answer", opt={"permission": "rectification:answer"}, status_code=200)
    async def answer(
        self,
        session: Session,
        actor: CurrentActor,
        rectification_id: FromPath[uuid.UUID],
        data: JSONBody[AnswerIn],
    ) -> RectificationOut:
        """The provider says what it did, with documents it attached to this rectification;
        an open one becomes answered and the checking bureau is told. A late answer is
        still taken."""
        done = await rectifications.answer(
            session, actor, rectification_id, data.text, list(data.document_ids)
        )
        return await rectification_views.one(session, done)

    @post(f"{ONE}/close", opt={"permission": "rectification:check"}, status_code=200)
    async def close(
        self,
        session: Session,
        actor: CurrentActor,
        rectification_id: FromPath[uuid.UUID],
        data: JSONBody[CloseIn],
    ) -> RectificationOut:
        """The bureau that ordered it finds the answer puts it right (销号)."""
        done = await rectifications.close(session, actor, rectification_id, data.note)
        return await rectification_views.one(session, done)

    @post(f"{ONE}/reopen", opt={"permission": "rectification:check"}, status_code=200)
    async def reopen(
        self,
        session: Session,
        actor: CurrentActor,
        rectification_id: FromPath[uuid.UUID],
        data: JSONBody[ReopenIn],
    ) -> RectificationOut:
        """The answer does not put it right: open again, with the reason and, if need be, a
        new last day (today or later); the provider is told."""
        done = await rectifications.reopen(
            session, actor, rectification_id, data.reason, data.due_on
        )
        return await rectification_views.one(session, done)
