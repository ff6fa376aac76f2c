"""Rectifications as the API shows them: to the region's government readers and to the
provider ordered to act (the inspection that ordered one appears without its notes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import rectifications
from services.delivery.inspection_models import Inspection, InspectionFinding
from services.delivery.inspection_schemas import Bureau, Manner, Scope, Severity
from services.delivery.rectification_models import Rectification
from services.delivery.rectification_schemas import (
    DocumentRef,
    EntryKind,
    EntryOut,
    RectificationOut,
    SourceInspectionOut,
)
from services.delivery.rectifications import RectificationStatus, SourceKind


def is_overdue(r: Rectification, now: datetime) -> bool:
    """Open and past 24:00 Asia/Shanghai of its last day; an answered one waits on the check."""
    return r.status == RectificationStatus.open.value and now > r.due_at


async def _source(session: AsyncSession, r: Rectification) -> SourceInspectionOut | None:
    if r.source_kind != SourceKind.inspection.value:
        return None
    found = await session.scalar(
        select(Inspection).where(Inspection.tenant_id == r.tenant_id, Inspection.id == r.source_id)
    )
    if found is None:
        return None
    severity = await session.scalar(
        select(InspectionFinding.severity).where(
            InspectionFinding.tenant_id == r.tenant_id,
            InspectionFinding.inspection_id == found.id,
            InspectionFinding.rectification_id == r.id,
        )
    )
    return SourceInspectionOut(
        id=found.id,
        bureau=Bureau(found.bureau),
        manner=Manner(found.manner),
        inspected_on=found.inspected_on,
        scope=[Scope(s) for s in found.scope],
        severity=Severity(severity) if severity else None,
    )


async def one(session: AsyncSession, r: Rectification) -> RectificationOut:
    steps = await rectifications.entries(session, r)
    return RectificationOut(
        id=r.id,
        contract_id=r.contract_id,
        provider_id=r.provider_id,
        source_kind=SourceKind(r.source_kind),
        source_id=r.source_id,
        inspection=await _source(session, r),
        checked_by=await rectifications.checked_by(session, r),
        finding=r.finding,
        required_action=r.required_action,
        due_on=r.due_on,
        due_at=r.due_at,
        overdue=is_overdue(r, datetime.now(UTC)),
        status=RectificationStatus(r.status),
        reopened=r.reopened,
        ordered_by=r.ordered_by,
        ordered_at=r.ordered_at,
        closed_at=r.closed_at,
        closed_by=r.closed_by,
        close_note=r.close_note,
        entries=[
            EntryOut(
                seq=e.seq,
                kind=EntryKind(e.kind),
                text=e.text,
                user_id=e.user_id,
                at=e.at,
                documents=[
                    DocumentRef(
                        document_id=uuid.UUID(d["document_id"]),
                        version=d["version"],
                        sha256=d["sha256"],
                    )
                    for d in e.documents or []
                ],
            )
            for e in steps
        ],
    )
