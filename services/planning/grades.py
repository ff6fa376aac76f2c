"""The evaluation grade a project keeps: delivery records the latest confirmed third-party
evaluation (第三方评估) of the project's contract, so that the budget review of the project's
renewal sees it ("以评估结果作为后续购买的依据"). It is never a scoring criterion of a procurement
(实施条例 art. 20) nor shown to an evaluation committee (art. 41): tendering never reads it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.errors import NotFound
from services.planning import repository
from services.planning.schemas import EvaluationGrade


async def record_evaluation_grade(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    evaluation_id: uuid.UUID,
    grade: EvaluationGrade,
    graded_on: date,
) -> None:
    """Keep ``grade`` on the project unless a later one is there already (a follow-up
    confirmed before a late final one does not give way to it)."""
    project = await repository.get_project(session, actor.tenant, project_id, lock=True)
    if project is None:
        raise NotFound("No such project.")
    if project.evaluation_graded_on is not None and project.evaluation_graded_on > graded_on:
        return
    before = {
        "evaluation_grade": project.evaluation_grade,
        "evaluation_graded_on": project.evaluation_graded_on,
        "evaluation_id": project.evaluation_id,
    }
    project.evaluation_grade = grade.value
    project.evaluation_graded_on = graded_on
    project.evaluation_id = evaluation_id
    project.updated_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "project.evaluation_graded",
        "project",
        project.id,
        before=before,
        after={
            "evaluation_grade": grade.value,
            "evaluation_graded_on": graded_on,
            "evaluation_id": evaluation_id,
        },
    )
