"""Response bodies of third-party evaluation, built from rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import evaluations
from services.delivery.evaluation_models import Evaluation
from services.delivery.evaluation_rules import GRADE_NAMES
from services.delivery.evaluation_schemas import (
    EvaluationKind,
    EvaluationOut,
    EvaluationStatus,
)
from services.planning.service import EvaluationGrade
from services.tenancy import service as tenancy


async def evaluation(session: AsyncSession, row: Evaluation) -> EvaluationOut:
    provider = await tenancy.get_provider(session, row.provider_id)
    evaluator = await tenancy.get_provider(session, row.evaluator_id)
    grade = EvaluationGrade(row.grade) if row.grade else None
    return EvaluationOut(
        id=row.id,
        tenant_id=row.tenant_id,
        contract_id=row.contract_id,
        contract_title=row.contract_title,
        project_id=row.project_id,
        provider_id=row.provider_id,
        provider_name=provider.name,
        evaluator_id=row.evaluator_id,
        evaluator_name=evaluator.name,
        kind=EvaluationKind(row.kind),
        parent_id=row.parent_id,
        follow_up_months=row.follow_up_months,
        follow_up_due_at=row.follow_up_due_at,
        follow_up_id=await evaluations.follow_up_of(session, row),
        status=EvaluationStatus(row.status),
        scores=dict(row.scores),
        total=f"{row.total:f}" if row.total is not None else None,
        grade=grade,
        grade_name=GRADE_NAMES[grade] if grade else None,
        comments=row.comments,
        report_document_id=row.report_document_id,
        return_note=row.return_note,
        submitted_at=row.submitted_at,
        confirmed_at=row.confirmed_at,
        created_at=row.created_at,
    )


async def evaluations_out(session: AsyncSession, rows: Sequence[Evaluation]) -> list[EvaluationOut]:
    return [await evaluation(session, row) for row in rows]
