"""Contracts as the API shows them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import repository
from services.contracts.models import Contract
from services.contracts.schemas import ContractOut, ContractStatus, InstalmentOut
from services.kit.money import text


async def contract(session: AsyncSession, c: Contract) -> ContractOut:
    instalments = await repository.instalments(session, c)
    return ContractOut(
        id=c.id,
        tenant_id=c.tenant_id,
        procurement_id=c.procurement_id,
        ocid=c.ocid,
        title=c.title,
        status=ContractStatus(c.status),
        provider_id=c.provider_id,
        project_id=c.project_id,
        budget_line_id=c.budget_line_id,
        price=text(c.price),
        award_notice_at=c.award_notice_at,
        sign_by=c.sign_by,
        scope=c.scope,
        quality_requirements=c.quality_requirements,
        breach_liability=c.breach_liability,
        period_start=c.period_start,
        period_end=c.period_end,
        continuing_service_reason=c.continuing_service_reason,
        performance_security=text(c.performance_security)
        if c.performance_security is not None
        else None,
        subcontracting_allowed=c.subcontracting_allowed,
        instalments=[
            InstalmentOut(
                seq=i.seq,
                milestone=i.milestone,
                amount=text(i.amount),
                due_on=i.due_on,
                final=i.final,
            )
            for i in instalments
        ],
        created_at=c.created_at,
        updated_at=c.updated_at,
    )
