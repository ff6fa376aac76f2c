"""Contracts as the API shows them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import repository
from services.contracts.models import Contract, Signature, Suspension
from services.contracts.schemas import (
    ContractOut,
    ContractStatus,
    InstalmentOut,
    Party,
    SecurityForm,
    SignatureOut,
    SuspensionOut,
    TargetOut,
    YearShareOut,
)
from services.kit import workdays
from services.kit.money import text


async def contract(session: AsyncSession, c: Contract) -> ContractOut:
    instalments = await repository.instalments(session, c)
    now = datetime.now(UTC)
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
        sign_by_provisional=workdays.is_provisional_moment(c.sign_by),
        buyer_organisation_id=c.buyer_organisation_id,
        buyer_name=c.buyer_name,
        provider_name=c.provider_name,
        provider_uscc=c.provider_uscc,
        county_code=c.county_code,
        target_groups=list(c.target_groups),
        beneficiaries=c.beneficiaries,
        targets=[TargetOut(**t) for t in c.targets],
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
        security_return_terms=c.security_return_terms,
        security_form=SecurityForm(c.security_form) if c.security_form else None,
        security_reference=c.security_reference,
        security_received_on=c.security_received_on,
        security_returned_on=c.security_returned_on,
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
        year_shares=[
            YearShareOut(
                fiscal_year=y.fiscal_year,
                amount=text(y.amount),
                line_id=y.line_id,
                commitment_id=y.commitment_id,
            )
            for y in await repository.year_shares(session, c)
        ],
        signatures=[signature(s) for s in await repository.signatures(session, c)],
        suspensions=[suspension(s, now) for s in await repository.suspensions(session, c)],
        signed_at=c.signed_at,
        signed_document_id=c.signed_document_id,
        signed_sha256=c.signed_sha256,
        publish_by=c.publish_by,
        published_at=c.published_at,
        file_by=c.file_by,
        filed_at=c.filed_at,
        publish_by_provisional=_provisional(c.publish_by),
        file_by_provisional=_provisional(c.file_by),
        ended_at=c.ended_at,
        end_reason=c.end_reason,
        created_at=c.created_at,
        updated_at=c.updated_at,
        supplementary_total=text(c.supplementary_total),
        value=text(c.price + c.supplementary_total),
    )


def signature(s: Signature) -> SignatureOut:
    return SignatureOut(
        party=Party(s.party),
        user_id=s.user_id,
        document_id=s.document_id,
        version=s.version,
        sha256=s.sha256,
        signed_at=s.signed_at,
    )


def suspension(s: Suspension, now: datetime) -> SuspensionOut:
    return SuspensionOut(
        id=s.id,
        ordered_by=Party(s.ordered_by),
        reason=s.reason,
        challenge_id=s.challenge_id,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        lifted_at=s.lifted_at,
        lift_reason=s.lift_reason,
        in_force=repository.in_force(s, now),
    )


def _provisional(moment: datetime | None) -> bool:
    return moment is not None and workdays.is_provisional_moment(moment)
