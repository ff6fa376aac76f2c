"""The table of third-party evaluation (第三方评估): one engagement of an evaluation
organisation for a signed contract, or the follow-up the chronograph opens (migration 0027)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base, TenantOwned


class Evaluation(TenantOwned, Base):
    """``provider_id`` is the evaluated provider (the contract's), ``evaluator_id`` the
    evaluation organisation — a provider too, not necessarily registered in this region."""

    __tablename__ = "evaluations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_evaluations_contract",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["evaluations.tenant_id", "evaluations.id"],
            name="fk_evaluations_parent",
        ),
        Index("ix_evaluations_contract", "tenant_id", "contract_id"),
        Index("ix_evaluations_evaluator", "tenant_id", "evaluator_id"),
        CheckConstraint("evaluator_id <> provider_id", name="not_self"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column()
    project_id: Mapped[uuid.UUID] = mapped_column()
    # As signed: what the evaluator reads about the contract, which it cannot open.
    contract_title: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    evaluator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[uuid.UUID | None] = mapped_column()
    follow_up_months: Mapped[int | None] = mapped_column(Integer)
    follow_up_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    # Dimension → points, as strings of exact decimals (see evaluation_rules.DIMENSIONS).
    scores: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    total: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    grade: Mapped[str | None] = mapped_column(String(16))
    comments: Mapped[str | None] = mapped_column(Text)
    report_document_id: Mapped[uuid.UUID | None] = mapped_column()
    return_note: Mapped[str | None] = mapped_column(Text)
    engaged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
