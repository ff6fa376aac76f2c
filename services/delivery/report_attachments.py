"""Documents on progress reports (object kind ``report``): the report's provider attaches to
its own reports only; the region's government users to any of its reports."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import report_repository as repository
from services.documents.service import register_object_type
from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.kit.objects import ObjectType


async def _report_owner(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    found = await repository.report(session, actor.tenant, object_id)
    if found is None:
        raise NotFound()
    return found.provider_id


register_object_type(ObjectType.report, owner=_report_owner)
