"""Progress reports (服务进度报告): a signed contract's reporting schedule, its periods with
their due moments, the provider's reports and the comments on them.

Tenant-owned, row-level security forced (migration 0024); a contract's provider reads its own
rows in any region. A report holds counts of the people served, never names (个人信息保护法
art. 28).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
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


class ReportSchedule(Base):
    """How often the provider reports on one contract, set by civil affairs once signed."""

    __tablename__ = "delivery_report_schedules"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_delivery_report_schedules_contract",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))  # monthly | quarterly | milestones
    due_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class ReportPeriod(Base):
    """One period the provider reports on, and the moment its report is due."""

    __tablename__ = "delivery_report_periods"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["delivery_report_schedules.tenant_id", "delivery_report_schedules.contract_id"],
            name="fk_delivery_report_periods_schedule",
            ondelete="CASCADE",
        ),
        Index("ix_delivery_report_periods_due", "tenant_id", "due_at"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Which of the clock's messages went out (due_soon, late), so each goes once.
    warnings_sent: Mapped[list[str]] = mapped_column(JSONB, default=list)


class Report(Base):
    """The provider's report on one period: drafted, submitted, then accepted or returned."""

    __tablename__ = "delivery_reports"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_delivery_reports_contract",
        ),
        Index("uq_delivery_reports_period", "tenant_id", "contract_id", "period_seq", unique=True),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    period_seq: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    # activities, served, hours, progress, funds, problems: counts and sums, no names.
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Submitted after the period's due moment (the first submission decides).
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ReportComment(Base):
    """A comment on a report: civil affairs' review (accept or return) or a remark of the
    partner department whose declaration the project answers."""

    __tablename__ = "delivery_report_comments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "report_id"],
            ["delivery_reports.tenant_id", "delivery_reports.id"],
            name="fk_delivery_report_comments_report",
        ),
        Index("ix_delivery_report_comments_report", "tenant_id", "report_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column()
    # accepted | returned (civil affairs' review) | remark
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
