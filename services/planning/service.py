"""What later stages use of planning: approved budget lines, the budget guard, and moving a
project along its lifecycle. Other contexts import this module, never planning's tables."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import NotFound
from services.planning import repository
from services.planning.errors import WrongState
from services.planning.guard import commit, reduce, release, transfer
from services.planning.projects import advance
from services.planning.repository import LineRow
from services.planning.schemas import CommitmentPurpose, ProjectStatus

__all__ = [
    "CommitmentPurpose",
    "LineRow",
    "ProjectStatus",
    "WrongState",
    "advance",
    "commit",
    "get_line",
    "reduce",
    "release",
    "transfer",
]


async def get_line(session: AsyncSession, tenant: str, line_id: uuid.UUID) -> LineRow:
    """A budget line with its budget, its project's title and its funding sources."""
    rows = await repository.lines(session, tenant, line_id=line_id)
    if not rows:
        raise NotFound("No such budget line.")
    return rows[0]
