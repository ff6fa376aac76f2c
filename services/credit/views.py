"""Response bodies built from rows and from the narrow path's answers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import reader, rules
from services.credit.models import Disqualification
from services.credit.schemas import (
    BarOut,
    DisqualificationOut,
    Ground,
    OwnRecordOut,
    Scope,
    Status,
)
from services.credit.service import Bar
from services.tenancy import service as tenancy


async def disqualifications(
    session: AsyncSession, rows: Sequence[Disqualification]
) -> list[DisqualificationOut]:
    providers = {}
    for row in rows:
        if row.provider_id not in providers:
            providers[row.provider_id] = await tenancy.get_provider(session, row.provider_id)
    day = rules.today()
    return [
        DisqualificationOut(
            id=row.id,
            tenant_id=row.tenant_id,
            provider_id=row.provider_id,
            provider_name=providers[row.provider_id].name,
            provider_uscc=providers[row.provider_id].uscc,
            scope=Scope(row.scope),
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            last_day=row.ends_on - rules.ONE_DAY,
            reason=row.reason,
            legal_basis=row.legal_basis,
            status=Status(row.status),
            ground=Ground(row.ground),
            in_force=row.status == Status.confirmed
            and rules.in_force(row.starts_on, row.ends_on, day),
            recorded_by=row.recorded_by,
            created_at=row.created_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
            revoked_by=row.revoked_by,
            revoked_at=row.revoked_at,
            revoked_reason=row.revoked_reason,
        )
        for row in rows
    ]


async def disqualification(session: AsyncSession, row: Disqualification) -> DisqualificationOut:
    return (await disqualifications(session, [row]))[0]


def bar(found: Bar) -> BarOut:
    return BarOut(
        disqualification_id=found.disqualification_id,
        source_tenant=found.source_tenant,
        source_name=found.source_name,
        scope=found.scope,
        starts_on=found.starts_on,
        ends_on=found.ends_on,
        last_day=found.last_day,
        ground=found.ground,
    )


async def own_record(session: AsyncSession, rows: Sequence[reader.RecordRow]) -> list[OwnRecordOut]:
    names: dict[str, str] = {}
    for row in rows:
        if row.source_tenant not in names:
            names[row.source_tenant] = (await tenancy.get_tenant(session, row.source_tenant)).name
    day = rules.today()
    return [
        OwnRecordOut(
            disqualification_id=row.disqualification_id,
            source_tenant=row.source_tenant,
            source_name=names[row.source_tenant],
            scope=row.scope,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            last_day=row.ends_on - rules.ONE_DAY,
            in_force=rules.in_force(row.starts_on, row.ends_on, day),
            reason=row.reason,
            legal_basis=row.legal_basis,
            confirmed_at=row.decided_at,
        )
        for row in rows
    ]
