"""Inspections as the API shows them to the government readers of the region."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import inspections
from services.delivery.inspection_models import Inspection, InspectionFinding
from services.delivery.inspection_schemas import (
    Bureau,
    FindingOut,
    InspectionOut,
    Manner,
    Scope,
    Severity,
)


def inspection(i: Inspection, found: list[InspectionFinding]) -> InspectionOut:
    return InspectionOut(
        id=i.id,
        contract_id=i.contract_id,
        provider_id=i.provider_id,
        bureau=Bureau(i.bureau),
        manner=Manner(i.manner),
        inspected_on=i.inspected_on,
        place=i.place,
        inspectors=list(i.inspectors),
        scope=[Scope(s) for s in i.scope],
        findings=[
            FindingOut(
                seq=f.seq,
                text=f.text,
                severity=Severity(f.severity),
                rectification_id=f.rectification_id,
            )
            for f in found
        ],
        notes=i.notes,
        recorded_by=i.recorded_by,
        recorded_at=i.recorded_at,
    )


async def one(session: AsyncSession, i: Inspection) -> InspectionOut:
    found = await inspections.findings(session, i.tenant_id, [i.id])
    return inspection(i, found[i.id])


async def many(session: AsyncSession, tenant: str, rows: list[Inspection]) -> list[InspectionOut]:
    found = await inspections.findings(session, tenant, [i.id for i in rows])
    return [inspection(i, found[i.id]) for i in rows]
