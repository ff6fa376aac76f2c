"""HTTP routes of inspections (检查): a contract's at
``/v1/tenants/{tenant}/contracts/{contract_id}/inspections`` and one at
``/v1/tenants/{tenant}/inspections/{inspection_id}``.

Civil affairs records inspections of any scope; finance of the use of funds only; both read
them. Evidence is uploaded to the documents API with object kind ``inspection``.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from services.contracts import service as contracts
from services.delivery import inspection_attachments as _attachments  # noqa: F401  (registers kinds)
from services.delivery import inspection_views, inspections
from services.delivery.inspection_schemas import Bureau, InspectionIn, InspectionOut, InspectionsOut
from services.kit.authz.enforcer import Authorizer
from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session

# Civil affairs' permission: any scope. Without it (finance), the use of funds only.
ANY_SCOPE = "delivery_inspection:write"


class ContractInspectionController(Controller):
    path = f"{TENANT_PATH}/contracts/{{contract_id:uuid}}/inspections"
    tags = ["delivery"]

    @post("/", opt={"permission": "delivery_inspection:write_funds"}, status_code=201)
    async def record(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[InspectionIn],
    ) -> InspectionOut:
        """Record an inspection (明查 or 暗访) of a signed contract with its findings; a finding
        may order rectification by a last day (today or later), and the provider is told.
        Civil affairs inspects service delivery, task completion and the use of funds; finance
        the use of funds only. The inspecting bureau checks the rectifications it orders."""
        authorizer: Authorizer = request.app.state.authorizer
        any_scope = authorizer.allowed(actor.user_id, actor.tenant, ANY_SCOPE)
        bureau = Bureau.civil_affairs if any_scope else Bureau.finance
        made = await inspections.record_inspection(session, actor, contract_id, data, bureau)
        return await inspection_views.one(session, made)

    @get("/", opt={"permission": "delivery_inspection:read"})
    async def list_inspections(
        self, session: Session, actor: CurrentActor, contract_id: FromPath[uuid.UUID]
    ) -> InspectionsOut:
        """The contract's inspections, oldest first, with their findings and notes."""
        if await contracts.contract_brief(session, actor.tenant, contract_id) is None:
            raise NotFound("No such contract.")
        rows = await inspections.of_contract(session, actor.tenant, contract_id)
        return InspectionsOut(
            contract_id=contract_id,
            items=await inspection_views.many(session, actor.tenant, rows),
        )


class InspectionController(Controller):
    path = f"{TENANT_PATH}/inspections"
    tags = ["delivery"]

    @get("/{inspection_id:uuid}", opt={"permission": "delivery_inspection:read"})
    async def read(
        self, session: Session, actor: CurrentActor, inspection_id: FromPath[uuid.UUID]
    ) -> InspectionOut:
        """An inspection with its findings, the rectifications they ordered, and notes."""
        found = await inspections.get(session, actor.tenant, inspection_id)
        return await inspection_views.one(session, found)
