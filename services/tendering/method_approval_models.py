"""A county's request that its city's finance approve a non-open method (migration 0038).

The row lives in the approving region's tenant and holds only what the decision needs; the
county writes it through ``file_method_approval()``, never directly."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import MONEY, Base, TenantOwned


class MethodApprovalRequest(TenantOwned, Base):
    """Pending until the approving region's finance decides; then approved or refused."""

    __tablename__ = "method_approval_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'refused', 'withdrawn')", name="status_known"
        ),
        CheckConstraint("status <> 'refused' OR note IS NOT NULL", name="refusal_note"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_at"),
        Index(
            "uq_method_approval_requests_pending",
            "tenant_id",
            "county_code",
            "procurement_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_method_approval_requests_tenant_status", "tenant_id", "status", "requested_at"),
    )

    county_code: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"))
    county_name: Mapped[str] = mapped_column(String(100))
    procurement_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    method_reason: Mapped[str | None] = mapped_column(String(48))
    method_justification: Mapped[str | None] = mapped_column(Text)
    budget_amount: Mapped[Decimal] = mapped_column(MONEY)
    ceiling_price: Mapped[Decimal] = mapped_column(MONEY)
    # [{"name": ..., "uscc": ...}]: the single source's one provider, or the invitees.
    proposed_providers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    notice_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A single source's notice has run its time from this moment (the county's rules).
    approvable_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
