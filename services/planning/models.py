"""Tables of the planning stage: needs declarations (with every version), projects of the
library with their assessment, cost lines and targets, annual budgets with their lines and
funding sources, and the money committed against each line.

Every table is tenant-owned: ``tenant_id`` leads each key and row-level security is forced
(migration 0005). Links to other contexts are ids, never ORM relationships.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
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
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import MONEY, Base, TenantOwned

# 元 with 2 places; up to 999,999,999,999.99 — far above any municipal budget.


def _tenant_fk(columns: list[str], table: str, name: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", *columns], [f"{table}.tenant_id", f"{table}.id"], name=name
    )


class NeedsDeclaration(TenantOwned, Base):
    """需求申报: a partner department's declared need; its content lives in versions."""

    __tablename__ = "needs_declarations"
    __table_args__ = (
        _tenant_fk(["organisation_id"], "organisations", "fk_needs_declarations_organisation"),
        Index("ix_needs_declarations_tenant_status", "tenant_id", "status", "fiscal_year"),
        Index("ix_needs_declarations_tenant_organisation", "tenant_id", "organisation_id"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column()
    fiscal_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # The version being drafted or last submitted.
    version: Mapped[int] = mapped_column(Integer)
    # Civil affairs sees a declaration once it has been submitted, never a first draft.
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeclarationVersion(Base):
    """One version of a declaration as drafted and submitted, with civil affairs' answer."""

    __tablename__ = "needs_declaration_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "declaration_id"],
            ["needs_declarations.tenant_id", "needs_declarations.id"],
            name="fk_needs_declaration_versions_declaration",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    declaration_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    programme_area: Mapped[str] = mapped_column(String(32))
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    county_code: Mapped[str] = mapped_column(String(6))
    street: Mapped[str | None] = mapped_column(String(200))
    estimated_beneficiaries: Mapped[int] = mapped_column(Integer)
    requested_amount: Mapped[Decimal] = mapped_column(MONEY)
    justification: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Project(TenantOwned, Base):
    """项目库: a candidate service project, from declarations or civil affairs' initiative."""

    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_tenant_year_status", "tenant_id", "fiscal_year", "status"),
        Index("ix_projects_tenant_area", "tenant_id", "programme_area"),
        CheckConstraint("estimated_amount >= 0", name="estimated_amount_not_negative"),
    )

    fiscal_year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    programme_area: Mapped[str] = mapped_column(String(32))
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    county_code: Mapped[str] = mapped_column(String(6))
    street: Mapped[str | None] = mapped_column(String(200))
    estimated_beneficiaries: Mapped[int] = mapped_column(Integer)
    # Why the service is bought (OCDS planning.rationale).
    rationale: Mapped[str] = mapped_column(Text)
    service_months: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))
    # The sum of the cost lines, kept with them in one transaction.
    estimated_amount: Mapped[Decimal] = mapped_column(MONEY)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The latest confirmed third-party evaluation grade of the project's contract (delivery
    # records it through planning.service): what next year's budget review of it sees.
    evaluation_grade: Mapped[str | None] = mapped_column(String(16))
    evaluation_graded_on: Mapped[date | None] = mapped_column(Date)
    evaluation_id: Mapped[uuid.UUID | None] = mapped_column()


class ProjectDeclaration(Base):
    """Which accepted declarations a project answers; each declaration feeds one project."""

    __tablename__ = "project_declarations"
    __table_args__ = (
        _tenant_fk(["project_id"], "projects", "fk_project_declarations_project"),
        _tenant_fk(["declaration_id"], "needs_declarations", "fk_project_declarations_declaration"),
        Index("ix_project_declarations_tenant_project", "tenant_id", "project_id"),
        Index("ix_project_declarations_tenant_organisation", "tenant_id", "organisation_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    declaration_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column()
    # The declaring department, copied so "projects of my department" needs no join.
    organisation_id: Mapped[uuid.UUID] = mapped_column()


class NeedsAssessment(TenantOwned, Base):
    """需求评估: civil affairs' survey and assessment behind a project (one per project)."""

    __tablename__ = "needs_assessments"
    __table_args__ = (
        _tenant_fk(["project_id"], "projects", "fk_needs_assessments_project"),
        Index("uq_needs_assessments_tenant_project", "tenant_id", "project_id", unique=True),
    )

    project_id: Mapped[uuid.UUID] = mapped_column()
    survey_method: Mapped[str] = mapped_column(Text)
    survey_period: Mapped[str] = mapped_column(String(100))
    sample_size: Mapped[int | None] = mapped_column(Integer)
    findings: Mapped[str] = mapped_column(Text)
    conclusion: Mapped[str] = mapped_column(Text)
    assessed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CostLine(Base):
    """成本核算: one costed item of a project — quantity × unit cost, in exact Decimal."""

    __tablename__ = "project_cost_lines"
    __table_args__ = (
        _tenant_fk(["project_id"], "projects", "fk_project_cost_lines_project"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    staff_level: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit: Mapped[str] = mapped_column(String(20))
    unit_cost: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)


class ServiceTarget(Base):
    """A target of quantity, scale, quality or effect (绩效目标), with its unit and value."""

    __tablename__ = "project_targets"
    __table_args__ = (_tenant_fk(["project_id"], "projects", "fk_project_targets_project"),)

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    target_value: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class Budget(TenantOwned, Base):
    """年度预算: the projects civil affairs asks finance to fund in a fiscal year."""

    __tablename__ = "budgets"
    __table_args__ = (Index("ix_budgets_tenant_year", "tenant_id", "fiscal_year"),)

    fiscal_year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    # How many times it has gone to finance.
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BudgetLine(TenantOwned, Base):
    """One project's money in one year's budget. ``committed_amount`` can never pass
    ``approved_amount``: the CHECK below holds it even against a wrong caller."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        _tenant_fk(["budget_id"], "budgets", "fk_budget_lines_budget"),
        _tenant_fk(["project_id"], "projects", "fk_budget_lines_project"),
        Index("ix_budget_lines_tenant_budget", "tenant_id", "budget_id"),
        # A project is a line of its own year's budget and, when a contract runs on past the
        # year, of each later year's budget that funds its share (migration 0022).
        Index(
            "uq_budget_lines_tenant_project_budget",
            "tenant_id",
            "project_id",
            "budget_id",
            unique=True,
        ),
        CheckConstraint("requested_amount > 0", name="requested_positive"),
        CheckConstraint(
            "approved_amount IS NULL OR (approved_amount >= 0"
            " AND approved_amount <= requested_amount)",
            name="approved_within_requested",
        ),
        CheckConstraint(
            "committed_amount >= 0 AND committed_amount <= coalesce(approved_amount, 0)",
            name="committed_within_approved",
        ),
    )

    budget_id: Mapped[uuid.UUID] = mapped_column()
    project_id: Mapped[uuid.UUID] = mapped_column()
    requested_amount: Mapped[Decimal] = mapped_column(MONEY)
    approved_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    cut_reason: Mapped[str | None] = mapped_column(Text)
    committed_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))


class LineSource(Base):
    """How a line is funded: the sources of a line sum exactly to the line."""

    __tablename__ = "budget_line_sources"
    __table_args__ = (
        _tenant_fk(["line_id"], "budget_lines", "fk_budget_line_sources_line"),
        CheckConstraint("requested_amount > 0", name="requested_positive"),
        CheckConstraint("approved_amount IS NULL OR approved_amount >= 0", name="approved_ok"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    line_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    requested_amount: Mapped[Decimal] = mapped_column(MONEY)
    approved_amount: Mapped[Decimal | None] = mapped_column(MONEY)


class Commitment(TenantOwned, Base):
    """Money set aside on an approved line for a procurement, a contract or a payment."""

    __tablename__ = "budget_commitments"
    __table_args__ = (
        _tenant_fk(["line_id"], "budget_lines", "fk_budget_commitments_line"),
        Index("ix_budget_commitments_tenant_line", "tenant_id", "line_id"),
        Index(
            "ix_budget_commitments_tenant_reference", "tenant_id", "reference_type", "reference_id"
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    line_id: Mapped[uuid.UUID] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(MONEY)
    purpose: Mapped[str] = mapped_column(String(16))
    reference_type: Mapped[str] = mapped_column(String(32))
    reference_id: Mapped[uuid.UUID] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
