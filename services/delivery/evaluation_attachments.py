"""Documents on evaluations (评估报告): the evaluator attaches to its own engagements, the
region's government users to any of the region's; other providers, the evaluated one
included, find no such object."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import evaluations
from services.documents.service import register_object_type
from services.kit.audit import Actor
from services.kit.objects import ObjectType


async def _evaluation_owner(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    evaluation = await evaluations.get(session, actor, object_id)
    return evaluation.evaluator_id


register_object_type(ObjectType.evaluation, owner=_evaluation_owner)
