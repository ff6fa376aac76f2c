"""Amendments as the API shows them: the current version's terms, every version, every
signature."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import amendment_repository
from services.contracts.amendment_models import Amendment, AmendmentSignature, AmendmentVersion
from services.contracts.schemas import (
    AmendmentGround,
    AmendmentKind,
    AmendmentOut,
    AmendmentSignatureOut,
    AmendmentStatus,
    AmendmentVersionOut,
    Party,
)
from services.kit.money import text


async def amendment(session: AsyncSession, a: Amendment) -> AmendmentOut:
    versions = [version(v) for v in await amendment_repository.versions(session, a)]
    [current] = [v for v in versions if v.version == a.version]
    return AmendmentOut(
        id=a.id,
        contract_id=a.contract_id,
        kind=AmendmentKind(a.kind),
        status=AmendmentStatus(a.status),
        version=a.version,
        reason=current.reason,
        ground=current.ground,
        amount=current.amount,
        effective_on=current.effective_on,
        description=current.description,
        document_id=current.document_id,
        versions=versions,
        signatures=[signature(s) for s in await amendment_repository.signatures(session, a)],
        created_at=a.created_at,
        updated_at=a.updated_at,
        effective_at=a.effective_at,
        notice_id=a.notice_id,
        withdrawn_at=a.withdrawn_at,
        withdraw_reason=a.withdraw_reason,
    )


def version(v: AmendmentVersion) -> AmendmentVersionOut:
    return AmendmentVersionOut(
        version=v.version,
        reason=v.reason,
        ground=AmendmentGround(v.ground) if v.ground is not None else None,
        amount=text(v.amount) if v.amount is not None else None,
        effective_on=v.effective_on,
        description=v.description,
        document_id=v.document_id,
        created_by=v.created_by,
        created_at=v.created_at,
    )


def signature(s: AmendmentSignature) -> AmendmentSignatureOut:
    return AmendmentSignatureOut(
        party=Party(s.party),
        user_id=s.user_id,
        amendment_version=s.amendment_version,
        document_id=s.document_id,
        document_version=s.document_version,
        sha256=s.sha256,
        signed_at=s.signed_at,
    )
