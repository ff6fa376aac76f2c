"""检查: civil affairs, or finance for the money, inspects a signed contract's delivery.

An inspection is announced (明查) or unannounced (暗访), on a day not after today, at a place,
by named inspectors, over a scope: service delivery, task completion, use of funds (过程监管,
196号 三(五)). Civil affairs inspects any of these; finance (财政部门, which supervises the
money) the use of funds only. Which bureau inspected is the server's decision, from the
recorder's roles; that bureau checks the rectifications its findings order. Each finding has a
severity and may order rectification by a last day (services.delivery.rectifications).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.delivery import rectifications
from services.delivery.inspection_models import Inspection, InspectionFinding
from services.delivery.inspection_schemas import Bureau, InspectionIn, Scope
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import Conflict, Forbidden, InvalidField, NotFound


class ContractNotInForce(Conflict):
    code = "contract_not_signed"
    title = "Only a signed contract is inspected"


class ScopeNotYours(Forbidden):
    code = "inspection_scope_not_yours"
    title = "Finance inspects the use of funds only"


def _check(data: InspectionIn, bureau: Bureau, signed_on: date | None) -> None:
    if len(set(data.scope)) != len(data.scope):
        raise InvalidField("names a scope twice", field="scope")
    if bureau is Bureau.finance and set(data.scope) != {Scope.use_of_funds}:
        raise ScopeNotYours("Finance records inspections of the use of funds (资金使用) only.")
    today = workdays.local_date(datetime.now(UTC))
    if data.inspected_on > today:
        raise InvalidField("cannot be after today", field="inspected_on")
    if signed_on is not None and data.inspected_on < signed_on:
        raise InvalidField("cannot be before the contract was signed", field="inspected_on")
    for index, finding in enumerate(data.findings):
        order = finding.rectification
        if order is not None and order.due_on < today:
            raise InvalidField(
                "the last day of a rectification cannot be in the past",
                field=f"findings[{index}].rectification.due_on",
            )


async def record_inspection(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: InspectionIn, bureau: Bureau
) -> Inspection:
    """Records the inspection and its findings; each finding that orders rectification opens
    one, and the provider is told of it."""
    contract = await contracts.contract_brief(session, actor.tenant, contract_id)
    if contract is None:
        raise NotFound("No such contract.")
    signed_on = workdays.local_date(contract.signed_at) if contract.signed_at else None
    _check(data, bureau, signed_on)
    if contract.status is not contracts.ContractStatus.signed:
        raise ContractNotInForce(f"The contract is {contract.status}; only a signed one is.")
    inspection = Inspection(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        contract_id=contract.id,
        provider_id=contract.provider_id,
        bureau=bureau.value,
        manner=data.manner.value,
        inspected_on=data.inspected_on,
        place=data.place,
        inspectors=list(data.inspectors),
        scope=[s.value for s in data.scope],
        notes=data.notes,
        recorded_by=actor.user_id,
        recorded_at=datetime.now(UTC),
    )
    session.add(inspection)
    await session.flush()
    ordered: list[uuid.UUID] = []
    for seq, finding in enumerate(data.findings, start=1):
        rectification_id = None
        if finding.rectification is not None:
            made = await rectifications.order(
                session,
                actor,
                contract_id=contract.id,
                source_kind=rectifications.SourceKind.inspection,
                source_id=inspection.id,
                finding=finding.text,
                required_action=finding.rectification.required_action,
                due_on=finding.rectification.due_on,
                due_field=f"findings[{seq - 1}].rectification.due_on",
            )
            rectification_id = made.id
            ordered.append(made.id)
        session.add(
            InspectionFinding(
                tenant_id=actor.tenant,
                inspection_id=inspection.id,
                seq=seq,
                text=finding.text,
                severity=finding.severity.value,
                rectification_id=rectification_id,
            )
        )
    await session.flush()
    await record(
        session,
        actor,
        "inspection.recorded",
        "inspection",
        inspection.id,
        after={
            "contract_id": contract.id,
            "bureau": bureau.value,
            "manner": data.manner.value,
            "inspected_on": data.inspected_on,
            "scope": inspection.scope,
            "findings": len(data.findings),
            "rectifications": ordered,
        },
    )
    return inspection


async def get(session: AsyncSession, tenant: str, inspection_id: uuid.UUID) -> Inspection:
    found = await session.scalar(
        select(Inspection).where(Inspection.tenant_id == tenant, Inspection.id == inspection_id)
    )
    if found is None:
        raise NotFound("No such inspection.")
    return found


async def of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[Inspection]:
    """The contract's inspections, oldest first."""
    rows = await session.scalars(
        select(Inspection)
        .where(Inspection.tenant_id == tenant, Inspection.contract_id == contract_id)
        .order_by(Inspection.inspected_on, Inspection.recorded_at, Inspection.id)
    )
    return list(rows)


async def findings(
    session: AsyncSession, tenant: str, inspection_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[InspectionFinding]]:
    """The findings of each inspection, in order."""
    found: dict[uuid.UUID, list[InspectionFinding]] = {i: [] for i in inspection_ids}
    if not inspection_ids:
        return found
    rows = await session.scalars(
        select(InspectionFinding)
        .where(
            InspectionFinding.tenant_id == tenant,
            InspectionFinding.inspection_id.in_(inspection_ids),
        )
        .order_by(InspectionFinding.inspection_id, InspectionFinding.seq)
    )
    for row in rows:
        found[row.inspection_id].append(row)
    return found
