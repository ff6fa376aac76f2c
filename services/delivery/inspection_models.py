"""检查: an inspection of a signed contract by civil affairs or finance, and its findings.

Tenant-owned, row-level security forced (migration 0026); a contract's provider reads its own
contract's inspections (the API shows it only what ordered its rectifications, never the
inspectors' notes). An inspection is a record: never changed, never deleted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

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


class Inspection(Base):
    __tablename__ = "inspections"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_inspections_contract",
        ),
        Index("ix_inspections_contract", "tenant_id", "contract_id"),
        CheckConstraint("bureau IN ('civil_affairs', 'finance')", name="bureau"),
        CheckConstraint("manner IN ('announced', 'unannounced')", name="manner"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    # Copied from the contract: the provider's own rows (RLS).
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    # Who inspected, decided by the server from the recorder's roles; it checks the
    # rectifications the inspection orders.
    bureau: Mapped[str] = mapped_column(String(16))
    manner: Mapped[str] = mapped_column(String(12))  # 明查 / 暗访
    inspected_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(Text)
    inspectors: Mapped[list[str]] = mapped_column(JSONB)
    # service_delivery, task_completion, use_of_funds (过程监管, 196号 三(五)).
    scope: Mapped[list[str]] = mapped_column(JSONB)
    # The inspectors' internal notes: government readers only.
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class InspectionFinding(Base):
    """What the inspection found; one that orders rectification names it."""

    __tablename__ = "inspection_findings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "inspection_id"],
            ["inspections.tenant_id", "inspections.id"],
            name="fk_inspection_findings_inspection",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "rectification_id"],
            ["rectifications.tenant_id", "rectifications.id"],
            name="fk_inspection_findings_rectification",
        ),
        CheckConstraint("severity IN ('minor', 'major', 'serious')", name="severity"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(8))
    rectification_id: Mapped[uuid.UUID | None] = mapped_column()
