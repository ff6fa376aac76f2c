"""The reads the progress-report steps share: a contract as the reader may reach it, its
schedule and periods, its reports and their comments. Every read names the tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.contracts.service import ContractBrief
from services.delivery.report_models import Report, ReportComment, ReportPeriod, ReportSchedule
from services.kit.audit import Actor
from services.kit.errors import NotFound


async def contract_for(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    projects: Sequence[uuid.UUID] | None = None,
) -> ContractBrief:
    """The contract as the actor may reach it: a provider's user only its own provider's, a
    partner department only one of ``projects``; else 404, as for another region's."""
    brief = await contracts.contract_brief(session, actor.tenant, contract_id, projects=projects)
    if brief is None or (actor.provider_id is not None and brief.provider_id != actor.provider_id):
        raise NotFound("No such contract.")
    return brief


async def schedule(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID, *, lock: bool = False
) -> ReportSchedule | None:
    query = select(ReportSchedule).where(
        ReportSchedule.tenant_id == tenant, ReportSchedule.contract_id == contract_id
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def periods(session: AsyncSession, tenant: str, contract_id: uuid.UUID) -> list[ReportPeriod]:
    rows = await session.scalars(
        select(ReportPeriod)
        .where(ReportPeriod.tenant_id == tenant, ReportPeriod.contract_id == contract_id)
        .order_by(ReportPeriod.seq)
    )
    return list(rows.all())


async def period(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID, seq: int, *, lock: bool = False
) -> ReportPeriod | None:
    query = select(ReportPeriod).where(
        ReportPeriod.tenant_id == tenant,
        ReportPeriod.contract_id == contract_id,
        ReportPeriod.seq == seq,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def reports(session: AsyncSession, tenant: str, contract_id: uuid.UUID) -> list[Report]:
    rows = await session.scalars(
        select(Report)
        .where(Report.tenant_id == tenant, Report.contract_id == contract_id)
        .order_by(Report.period_seq)
    )
    return list(rows.all())


async def report(
    session: AsyncSession,
    tenant: str,
    report_id: uuid.UUID,
    *,
    provider_id: uuid.UUID | None = None,
    lock: bool = False,
) -> Report | None:
    """A report of ``tenant``; with ``provider_id``, only that provider's."""
    query = select(Report).where(Report.tenant_id == tenant, Report.id == report_id)
    if provider_id is not None:
        query = query.where(Report.provider_id == provider_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def comments(session: AsyncSession, report: Report) -> list[ReportComment]:
    rows = await session.scalars(
        select(ReportComment)
        .where(ReportComment.tenant_id == report.tenant_id, ReportComment.report_id == report.id)
        .order_by(ReportComment.created_at, ReportComment.id)
    )
    return list(rows.all())
