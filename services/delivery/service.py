"""What later contexts (the archive) use of delivery. Each step keeps its own block; other
contexts import this module only, and nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery.evaluation_models import Evaluation

# --- third-party evaluation --------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationBrief:
    """An evaluation as the project's file records it."""

    id: uuid.UUID
    contract_id: uuid.UUID
    evaluator_id: uuid.UUID
    kind: str
    status: str
    total: str | None
    grade: str | None
    report_document_id: uuid.UUID | None
    confirmed_at: datetime | None


async def evaluations_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[EvaluationBrief]:
    """Every evaluation of the contract, oldest first (the final one, then its follow-up)."""
    rows = await session.scalars(
        select(Evaluation)
        .where(Evaluation.tenant_id == tenant, Evaluation.contract_id == contract_id)
        .order_by(Evaluation.created_at, Evaluation.id)
    )
    return [
        EvaluationBrief(
            id=e.id,
            contract_id=e.contract_id,
            evaluator_id=e.evaluator_id,
            kind=e.kind,
            status=e.status,
            total=f"{e.total:f}" if e.total is not None else None,
            grade=e.grade,
            report_document_id=e.report_document_id,
            confirmed_at=e.confirmed_at,
        )
        for e in rows
    ]
