"""The credit context's table: disqualifications (不良行为记录), owned by the region that
recorded them (migration 0006). Other regions never read this table; they ask the functions
of ``services.credit.reader``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base, TenantOwned


class Disqualification(TenantOwned, Base):
    """A provider barred from government procurement for 1–3 years (政府采购法 art. 77).

    ``tenant_id`` is the source region. ``ends_on`` is the first day the provider is free
    again: a bar is in force on ``starts_on <= day < ends_on`` (days in Asia/Shanghai).
    ``decided_by`` is the approver who confirmed or rejected it, never the recorder.
    """

    __tablename__ = "disqualifications"
    __table_args__ = (
        Index("ix_disqualifications_tenant_provider", "tenant_id", "provider_id"),
        Index("ix_disqualifications_tenant_status", "tenant_id", "status", "created_at"),
        CheckConstraint("scope IN ('tenant', 'province', 'national')", name="scope_known"),
        CheckConstraint(
            "status IN ('proposed', 'confirmed', 'rejected', 'revoked')", name="status_known"
        ),
        CheckConstraint(
            "ends_on >= starts_on + interval '1 year'"
            " AND ends_on <= starts_on + interval '3 years'",
            name="period_one_to_three_years",
        ),
        CheckConstraint(
            "scope <> 'national' OR tenant_id LIKE '__0000'", name="national_from_a_province"
        ),
        CheckConstraint("decided_by IS NULL OR decided_by <> recorded_by", name="four_eyes"),
        CheckConstraint(
            "(status = 'proposed') = (decided_by IS NULL OR decided_at IS NULL)",
            name="decided_unless_proposed",
        ),
        CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL AND revoked_by IS NOT NULL"
            " AND revoked_reason IS NOT NULL)",
            name="revocation_complete",
        ),
    )

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    scope: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(200))
    # art77 or regional_disqualification (migration 0035): which bar a procurement applies.
    ground: Mapped[str] = mapped_column(String(32), default="art77")
    status: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CreditFact(TenantOwned, Base):
    """信用事实: what happened with a provider in the region that records it — an acceptance
    passed or failed, an evaluation grade, a breach, a rectification left overdue (migration
    0027). ``summary`` and ``details`` say it without naming any person. Kept for good.
    Other regions read facts only through ``credit_facts_of`` (``services.credit.reader``)."""

    __tablename__ = "credit_facts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "source_kind", "source_id", name="source"),
        Index("ix_credit_facts_provider", "tenant_id", "provider_id", "occurred_on"),
        CheckConstraint(
            "kind IN ('acceptance_passed', 'acceptance_failed', 'evaluation_graded', 'breach',"
            " 'rectification_overdue')",
            name="kind_known",
        ),
    )

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    source_kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[uuid.UUID] = mapped_column()
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
