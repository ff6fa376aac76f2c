"""Queries of archives; every one filtered by tenant (row-level security is the second lock)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.archive.models import ProjectArchive


async def get(session: AsyncSession, tenant: str, archive_id: uuid.UUID) -> ProjectArchive | None:
    return await session.scalar(
        select(ProjectArchive).where(
            ProjectArchive.tenant_id == tenant, ProjectArchive.id == archive_id
        )
    )


async def page(
    session: AsyncSession, tenant: str, project_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[ProjectArchive], int]:
    where = [ProjectArchive.tenant_id == tenant]
    if project_id is not None:
        where.append(ProjectArchive.project_id == project_id)
    rows = await session.scalars(
        select(ProjectArchive)
        .where(*where)
        .order_by(ProjectArchive.requested_at.desc(), ProjectArchive.id)
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(ProjectArchive).where(*where))
    return list(rows), int(total or 0)


async def insert_once(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert unless the project already has an archive of this state; True when inserted.
    Concurrent requests of one state meet on the unique index: one inserts, the others wait
    for it and find its row."""
    inserted = await session.execute(
        insert(ProjectArchive)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "project_id", "state_key"])
        .returning(ProjectArchive.id)
    )
    return inserted.first() is not None


async def of_state(
    session: AsyncSession, tenant: str, project_id: uuid.UUID, state_key: str
) -> ProjectArchive | None:
    return await session.scalar(
        select(ProjectArchive)
        .where(
            ProjectArchive.tenant_id == tenant,
            ProjectArchive.project_id == project_id,
            ProjectArchive.state_key == state_key,
        )
        .with_for_update()
    )
