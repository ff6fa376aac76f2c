"""HTTP routes of the approving region's finance: a county's non-open method that reaches the
open-tender threshold is approved here (approval_authority, method_approvals)."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.money import text
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.tendering import method_approvals
from services.tendering.method_approval_models import MethodApprovalRequest
from services.tendering.method_approval_schemas import (
    MethodApprovalOut,
    ProposedProviderOut,
    RequestStatus,
)
from services.tendering.schemas import (
    ApprovalDecision,
    Method,
    MethodReason,
    RegionOut,
    Status,
)

ONE = "/{request_id:uuid}"


async def out(session: AsyncSession, request: MethodApprovalRequest) -> MethodApprovalOut:
    found = await method_approvals.state(session, request.id)
    return MethodApprovalOut(
        id=request.id,
        tenant_id=request.tenant_id,
        county=RegionOut(code=request.county_code, name=request.county_name),
        procurement_id=request.procurement_id,
        title=request.title,
        method=Method(request.method),
        method_reason=MethodReason(request.method_reason) if request.method_reason else None,
        method_justification=request.method_justification,
        budget_amount=text(request.budget_amount),
        ceiling_price=text(request.ceiling_price),
        proposed_providers=[
            ProposedProviderOut(name=p["name"], uscc=p["uscc"]) for p in request.proposed_providers
        ],
        notice_published_at=request.notice_published_at,
        approvable_from=request.approvable_from,
        requested_at=request.requested_at,
        status=RequestStatus(request.status),
        note=request.note,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        procurement_status=Status(found.procurement_status) if found else None,
        open_objections=found.open_objections if found else 0,
    )


class MethodApprovalController(Controller):
    path = f"{TENANT_PATH}/method-approvals"
    tags = ["tendering"]

    @get("/", opt={"permission": "method_approval:read"})
    async def list_requests(
        self,
        session: Session,
        actor: CurrentActor,
        status: FromQuery[RequestStatus | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[MethodApprovalOut]:
        """The requests of the regions under this one whose non-open method reaches the
        open-tender threshold (政府采购法 art. 27): pending and decided, newest first."""
        rows = await method_approvals.list_requests(
            session, actor.tenant, status.value if status else None, limit, offset
        )
        return Page(items=[await out(session, r) for r in rows], limit=limit, offset=offset)

    @get(ONE, opt={"permission": "method_approval:read"})
    async def read(
        self, session: Session, actor: CurrentActor, request_id: FromPath[uuid.UUID]
    ) -> MethodApprovalOut:
        """One request, with its procurement's status and unanswered objections read now."""
        return await out(session, await method_approvals.get(session, actor, request_id))

    @post(
        f"{ONE}/decision",
        opt={"permission": "method_approval:decide"},
        status_code=HTTP_200_OK,
    )
    async def decide(
        self,
        session: Session,
        actor: CurrentActor,
        request_id: FromPath[uuid.UUID],
        data: JSONBody[ApprovalDecision],
    ) -> MethodApprovalOut:
        """Approve the county's method, or refuse it with a ``note`` (its procurement goes
        back to the draft). A single source only after its notice ran its time with every
        objection answered. The county's procurement follows shortly (a job in the county)."""
        request = await method_approvals.decide(session, actor, request_id, data.approve, data.note)
        return await out(session, request)
