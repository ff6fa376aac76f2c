"""整改: what an inspection finding or a failed acceptance orders the provider to put right,
by a deadline, and the provider's answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base


class Rectification(Base):
    __tablename__ = "rectifications"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_rectifications_contract",
        ),
        Index("ix_rectifications_contract", "tenant_id", "contract_id"),
        Index("ix_rectifications_source", "tenant_id", "source_kind", "source_id"),
        CheckConstraint("source_kind IN ('inspection', 'acceptance')", name="source_kind"),
        CheckConstraint("status IN ('open', 'answered', 'closed')", name="status"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    # The provider who must act, copied from the contract: its users' rows (RLS) and filters.
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    # What ordered it: an inspection's finding, or a failed acceptance.
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[uuid.UUID] = mapped_column()
    finding: Mapped[str] = mapped_column(Text)
    required_action: Mapped[str] = mapped_column(Text)
    # The last day, and its end: 24:00 Asia/Shanghai of due_on.
    due_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))
    ordered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    close_note: Mapped[str | None] = mapped_column(Text)
    # How often it was reopened; the chronograph's overdue warning, sent once per deadline.
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    overdue_warned_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RectificationEntry(Base):
    """One step of a rectification's history: the provider's answer, a reopening."""

    __tablename__ = "rectification_entries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "rectification_id"],
            ["rectifications.tenant_id", "rectifications.id"],
            name="fk_rectification_entries_rectification",
        ),
        CheckConstraint("kind IN ('answer', 'reopen', 'close')", name="kind"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    rectification_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # [{document_id, version, sha256}]: what an answer showed, as it stood then (0026).
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
