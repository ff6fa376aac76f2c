"""The contracts of a region: one per award, drafted from it, and its payment schedule.

Tenant-owned, row-level security forced (migration 0017). Amounts are 元 with 2 decimals.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
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
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import MONEY, Base, TenantOwned


class Contract(TenantOwned, Base):
    """A government procurement contract (政府采购合同), drafted by the buyer from the award:
    the winner, the awarded price (never the budget) and the procurement's money."""

    __tablename__ = "contracts"
    __table_args__ = (
        # One contract per award (a next-ranked award is another procurement result).
        Index("uq_contracts_procurement", "tenant_id", "procurement_id", unique=True),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end > period_start",
            name="period_ordered",
        ),
        CheckConstraint(
            "performance_security IS NULL OR performance_security >= 0", name="security_ok"
        ),
    )

    procurement_id: Mapped[uuid.UUID] = mapped_column()
    ocid: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    project_id: Mapped[uuid.UUID] = mapped_column()
    budget_line_id: Mapped[uuid.UUID] = mapped_column()
    commitment_id: Mapped[uuid.UUID] = mapped_column()
    price: Mapped[Decimal] = mapped_column(MONEY)
    award_notice_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sign_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The terms the buyer drafts, as the procurement documents and the winning bid set them.
    scope: Mapped[str | None] = mapped_column(Text)
    quality_requirements: Mapped[str | None] = mapped_column(Text)
    breach_liability: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    continuing_service_reason: Mapped[str | None] = mapped_column(Text)
    performance_security: Mapped[Decimal | None] = mapped_column(MONEY)
    subcontracting_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Instalment(Base):
    """One instalment of the payment schedule (拨付计划), tied to a milestone."""

    __tablename__ = "contract_instalments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_contract_instalments_contract",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    milestone: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    due_on: Mapped[date] = mapped_column(Date)
    # The final instalment waits for the acceptance (结项验收).
    final: Mapped[bool] = mapped_column(Boolean, default=False)
