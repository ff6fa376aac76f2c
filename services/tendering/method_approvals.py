"""A county's method approval decided by its city's finance (approval_authority).

The county files the request when it submits (``file``): a row in the approving region's
tenant written by ``file_method_approval()`` (migration 0038), holding only what the decision
needs. The approving region's finance lists and reads its requests and decides (``decide``).

How the decision reaches the county: the decided row is turned into a job bound to the
county's tenant by ``dispatch_method_decision()`` (an outbox row the relay sends), and the job
(``method_approval_tasks``) applies it through ``procurements.decide_approval`` in the
county's own session. Chosen over a function that would change the county's procurement
itself because the county's transition table, audit chain, notifications and credit check
then stay the county's code, run under its row-level security; the job's message key makes
it apply once. The checks the approving region can see (the county procurement still waits;
a single source's notice ran its time and its objections are answered) are made here, at
decision time, so that a refusal is the decider's 409/422; the county's credit bars, which only
the county's session may read, are checked again by the job.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.tenancy import service as tenancy
from services.tendering import rules
from services.tendering.errors import WrongState
from services.tendering.method_approval_models import MethodApprovalRequest
from services.tendering.models import Procurement
from services.tendering.schemas import Method, Status

FILE = text(
    "SELECT request_id, approving_region FROM file_method_approval("
    ":procurement, :title, :method, :reason, :justification, :budget, :ceiling,"
    " CAST(:providers AS jsonb), :notice_published_at, :approvable_from)"
)
STATE = text("SELECT procurement_status, open_objections FROM method_approval_state(:request)")
DISPATCH = text("SELECT dispatch_method_decision(:request)")
WITHDRAW = text("SELECT withdraw_method_approval(:procurement, :reason)")
WAITING = frozenset({Status.awaiting_approval.value, Status.single_source_notice.value})


async def file(
    session: AsyncSession,
    legal: rules.LegalRules,
    procurement: Procurement,
    provider_ids: Sequence[uuid.UUID],
    notice_published_at: datetime | None = None,
) -> uuid.UUID:
    """Write the request in the approving region (the database finds it): its id."""
    providers = []
    for provider_id in provider_ids:
        provider = await tenancy.get_provider(session, provider_id)
        providers.append({"name": provider.name, "uscc": provider.uscc})
    approvable_from = None
    if notice_published_at is not None:
        approvable_from = workdays.after_working_day_period(
            notice_published_at, legal.single_source_notice_working_days
        )
    row = (
        await session.execute(
            FILE,
            {
                "procurement": procurement.id,
                "title": procurement.title,
                "method": procurement.method,
                "reason": procurement.method_reason,
                "justification": procurement.method_justification,
                "budget": procurement.budget_amount,
                "ceiling": procurement.ceiling_price,
                "providers": json.dumps(providers, ensure_ascii=False),
                "notice_published_at": notice_published_at,
                "approvable_from": approvable_from,
            },
        )
    ).one()
    assert row.approving_region == procurement.approving_region, row
    return uuid.UUID(str(row.request_id))


# --- the approving region's side ------------------------------------------------------------


@dataclass(frozen=True)
class State:
    procurement_status: str
    open_objections: int


async def withdraw(session: AsyncSession, procurement: Procurement, reason: str | None) -> int:
    """The county's procurement stopped waiting without a decision: its pending request in
    the approving region is marked withdrawn (the database checks it no longer waits)."""
    found = await session.scalar(
        WITHDRAW, {"procurement": procurement.id, "reason": reason or "采购人已终止采购"}
    )
    return int(found or 0)


async def state(session: AsyncSession, request_id: uuid.UUID) -> State | None:
    """The county procurement's status and unanswered objections, through the narrow path."""
    row = (await session.execute(STATE, {"request": request_id})).one_or_none()
    return None if row is None else State(row.procurement_status, row.open_objections)


async def list_requests(
    session: AsyncSession, tenant: str, status: str | None, limit: int, offset: int
) -> Sequence[MethodApprovalRequest]:
    query = select(MethodApprovalRequest).where(MethodApprovalRequest.tenant_id == tenant)
    if status is not None:
        query = query.where(MethodApprovalRequest.status == status)
    query = query.order_by(MethodApprovalRequest.requested_at.desc(), MethodApprovalRequest.id)
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def get(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, lock: bool = False
) -> MethodApprovalRequest:
    query = select(MethodApprovalRequest).where(
        MethodApprovalRequest.tenant_id == actor.tenant, MethodApprovalRequest.id == request_id
    )
    if lock:
        query = query.with_for_update()
    found = (await session.scalars(query)).one_or_none()
    if found is None:
        raise NotFound("No such method approval request.")
    return found


async def decide(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, approve: bool, note: str | None
) -> MethodApprovalRequest:
    """The approving region's finance approves the county's method, or refuses it with a
    note (the county's procurement goes back to its draft); applied in the county by a job."""
    request = await get(session, actor, request_id, lock=True)
    if request.status != "pending":
        raise WrongState(f"This request was {request.status} already.")
    if not approve and not note:
        raise InvalidField("say why the method is not approved", field="note")
    now = datetime.now(UTC)
    found = await state(session, request.id)
    if found is None or found.procurement_status not in WAITING:
        status = found.procurement_status if found else "gone"
        raise WrongState(
            f"The procurement of {request.county_name} is {status}: it no longer waits for "
            "approval."
        )
    if approve and request.method == Method.single_source:
        if request.approvable_from is not None and now < request.approvable_from:
            raise rules.LegalRuleBroken(
                "A single-source purchase may be approved only after its public notice has "
                "run (single_source_notice_working_days, 财政部令第74号 art. 38): not before "
                f"{request.approvable_from.astimezone(workdays.SHANGHAI).isoformat()}.",
                rule="single_source_notice_working_days",
                field="approve",
            )
        if found.open_objections:
            raise WrongState("An objection to the single-source notice is still unanswered.")
    request.status = "approved" if approve else "refused"
    request.note = note
    request.decided_by = actor.user_id
    request.decided_at = now
    await session.flush()
    await session.execute(DISPATCH, {"request": request.id})
    await record(
        session,
        actor,
        f"method_approval.{request.status}",
        "method_approval_request",
        request.id,
        before={"status": "pending"},
        after=_summary(request),
    )
    return request


def _summary(request: MethodApprovalRequest) -> dict[str, Any]:
    return {
        "status": request.status,
        "note": request.note,
        "county_code": request.county_code,
        "procurement_id": request.procurement_id,
    }
