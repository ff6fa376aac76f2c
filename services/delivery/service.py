"""What other contexts use of delivery (the archive, statistics): plain types and functions,
a block per sub-area. Other contexts import this module only; nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import report_repository

__all__ = [
    "ReportBrief",
    "reports_of_contract",
]

# --- progress reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportBrief:
    """A progress report as the project's file keeps it: its period, its state, its body
    (counts and sums, never names) and the comments on it."""

    id: uuid.UUID
    contract_id: uuid.UUID
    provider_id: uuid.UUID
    period_seq: int
    period_label: str | None
    period_starts_on: date | None
    period_ends_on: date | None
    due_at: datetime | None
    status: str
    late: bool
    submissions: int
    submitted_at: datetime | None
    reviewed_at: datetime | None
    content: dict[str, Any]
    # [{"kind", "body", "author_id", "created_at"}, …], oldest first.
    comments: list[dict[str, Any]]


async def reports_of_contract(
    session: AsyncSession, tenant: str, contract_id: uuid.UUID
) -> list[ReportBrief]:
    """The contract's reports by period, drafts included (the caller decides what to keep)."""
    periods = {p.seq: p for p in await report_repository.periods(session, tenant, contract_id)}
    found: list[ReportBrief] = []
    for r in await report_repository.reports(session, tenant, contract_id):
        p = periods.get(r.period_seq)
        found.append(
            ReportBrief(
                id=r.id,
                contract_id=r.contract_id,
                provider_id=r.provider_id,
                period_seq=r.period_seq,
                period_label=p.label if p else None,
                period_starts_on=p.starts_on if p else None,
                period_ends_on=p.ends_on if p else None,
                due_at=p.due_at if p else None,
                status=r.status,
                late=r.late,
                submissions=r.submissions,
                submitted_at=r.submitted_at,
                reviewed_at=r.reviewed_at,
                content=dict(r.content),
                comments=[
                    {
                        "kind": c.kind,
                        "body": c.body,
                        "author_id": c.author_id,
                        "created_at": c.created_at,
                    }
                    for c in await report_repository.comments(session, r)
                ],
            )
        )
    return found
