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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import MONEY, Base, TenantOwned


class Contract(TenantOwned, Base):
    """A government procurement contract (政府采购合同), drafted by the buyer from the award:
    the winner, the awarded price (never the budget) and the procurement's money."""

    __tablename__ = "contracts"
    __table_args__ = (
        # One live contract per procurement: a refused or void one stays on record beside the
        # contract of the next-ranked candidate (实施条例 art. 49).
        Index(
            "uq_contracts_procurement",
            "tenant_id",
            "procurement_id",
            unique=True,
            postgresql_where=text("status NOT IN ('refused', 'void')"),
        ),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end > period_start",
            name="period_ordered",
        ),
        CheckConstraint(
            "performance_security IS NULL OR performance_security >= 0", name="security_ok"
        ),
        CheckConstraint("supplementary_total >= 0", name="supplementary_total_ok"),
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
    # The parties as the contract names them (migration 0022): the buyer, the region's civil
    # affairs bureau, and the provider with its 统一社会信用代码.
    buyer_organisation_id: Mapped[uuid.UUID | None] = mapped_column()
    buyer_name: Mapped[str | None] = mapped_column(String(200))
    provider_name: Mapped[str | None] = mapped_column(String(200))
    provider_uscc: Mapped[str | None] = mapped_column(String(18))
    # What the procurement documents carried from the project, copied at drafting and never
    # changed by the buyer (政府采购法 art. 46: no substantive change): where, whom, how many,
    # and the targets of quantity, quality and effect (绩效目标). Migration 0022.
    county_code: Mapped[str | None] = mapped_column(String(6))
    target_groups: Mapped[list[str]] = mapped_column(JSONB, default=list)
    beneficiaries: Mapped[int | None] = mapped_column(Integer)
    targets: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    # The terms the buyer drafts, as the procurement documents and the winning bid set them.
    scope: Mapped[str | None] = mapped_column(Text)
    quality_requirements: Mapped[str | None] = mapped_column(Text)
    breach_liability: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    continuing_service_reason: Mapped[str | None] = mapped_column(Text)
    performance_security: Mapped[Decimal | None] = mapped_column(MONEY)
    subcontracting_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The performance security as the contract says it comes back, and as it was received
    # (never cash, 实施条例 art. 48) and returned (migration 0022).
    security_return_terms: Mapped[str | None] = mapped_column(Text)
    security_form: Mapped[str | None] = mapped_column(String(24))
    security_reference: Mapped[str | None] = mapped_column(String(100))
    security_received_on: Mapped[date | None] = mapped_column(Date)
    security_returned_on: Mapped[date | None] = mapped_column(Date)
    security_return_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Signed: both sides accepted this exact document version (migration 0019).
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_document_id: Mapped[uuid.UUID | None] = mapped_column()
    signed_version: Mapped[int | None] = mapped_column(Integer)
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    # The budget money held for the contract from signing: the price, no more.
    contract_commitment_id: Mapped[uuid.UUID | None] = mapped_column()
    # The public notice, within 2 working days of signing (实施条例 art. 50).
    publish_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice_id: Mapped[uuid.UUID | None] = mapped_column()
    # Filed with the region's finance bureau within 7 working days (政府采购法 art. 47).
    file_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    filed_by: Mapped[uuid.UUID | None] = mapped_column()
    filing_note: Mapped[str | None] = mapped_column(Text)
    # Refused, void or terminated: when and why.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)
    # Which of the clock's warnings went out, so each goes once.
    warnings_sent: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # Payments (migration 0020). What is requested and not returned, paid included: raised
    # only by the conditional UPDATE of services.contracts.payment_guard, never past the price
    # (CHECK requested_total <= price).
    requested_total: Mapped[Decimal] = mapped_column(
        MONEY, default=Decimal("0.00"), server_default=text("0")
    )
    # The acceptance (结项验收) that releases the final instalment, set by delivery through
    # ``service.record_acceptance``; until then a request against the final instalment may be
    # filed but is neither confirmed, approved nor paid.
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What supplementary purchases that took effect added (政府采购法 art. 49); ``price`` stays
    # the original price the 10 % is measured against (migration 0021).
    supplementary_total: Mapped[Decimal] = mapped_column(
        MONEY, default=Decimal("0.00"), server_default=text("0")
    )


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
    # Requested and not returned against this instalment (migration 0020; CHECK
    # requested_total <= amount), raised only by payment_guard's conditional UPDATE.
    requested_total: Mapped[Decimal] = mapped_column(
        MONEY, default=Decimal("0.00"), server_default=text("0")
    )


class _ContractPart(Base):
    __abstract__ = True

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()


class Signature(_ContractPart):
    """One side's acceptance of one exact version of the contract document (its SHA-256)."""

    __tablename__ = "contract_signatures"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_contract_signatures_contract",
        ),
        Index("ix_contract_signatures_contract", "tenant_id", "contract_id"),
    )

    party: Mapped[str] = mapped_column(String(8))  # buyer | provider
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    document_id: Mapped[uuid.UUID] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Suspension(_ContractPart):
    """Signing (and, once signed, performance) suspended: by the buyer while a challenge that
    may change the result is open (实施条例 art. 54), or by finance's order during a complaint,
    for at most 30 days (94号令 art. 28)."""

    __tablename__ = "contract_suspensions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_contract_suspensions_contract",
        ),
        Index("ix_contract_suspensions_contract", "tenant_id", "contract_id"),
    )

    ordered_by: Mapped[str] = mapped_column(String(8))  # buyer | finance
    reason: Mapped[str] = mapped_column(Text)
    challenge_id: Mapped[uuid.UUID | None] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class YearShare(Base):
    """A contract's share of one fiscal year, committed at signing against the project's
    approved line of that year (财政部令第102号: no purchase without a budget)."""

    __tablename__ = "contract_year_shares"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_contract_year_shares_contract",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    line_id: Mapped[uuid.UUID | None] = mapped_column()
    commitment_id: Mapped[uuid.UUID | None] = mapped_column()
