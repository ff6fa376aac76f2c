"""Amendments of a signed contract (补充合同、合同变更、合同解除), every version of each, and
each side's signature of one version.

Tenant-owned, row-level security forced (migration 0021); the contract's provider reads the
rows of its own contracts. Versions and signatures are records: never changed or deleted.
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
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import MONEY, Base


def _to_contract(name: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "contract_id"], ["contracts.tenant_id", "contracts.id"], name=name
    )


def _to_amendment(name: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "amendment_id"],
        ["contract_amendments.tenant_id", "contract_amendments.id"],
        name=name,
    )


class Amendment(Base):
    """One amendment as it stands: its kind, where it is, its current version (whose amount
    is copied here, so the 10 % of 政府采购法 art. 49 sums one column), and what it did when
    it took effect."""

    __tablename__ = "contract_amendments"
    __table_args__ = (
        _to_contract("fk_contract_amendments_contract"),
        Index("ix_contract_amendments_contract", "tenant_id", "contract_id"),
        CheckConstraint(
            "(kind = 'supplementary_purchase') = (amount IS NOT NULL) AND"
            " (amount IS NULL OR amount > 0)",
            name="amount",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(32))  # AmendmentKind
    status: Mapped[str] = mapped_column(String(16))  # AmendmentStatus
    version: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    # A supplementary purchase's money on the budget line, once it took effect.
    commitment_id: Mapped[uuid.UUID | None] = mapped_column()
    notice_id: Mapped[uuid.UUID | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    effective_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(Text)


class AmendmentVersion(Base):
    """One version of an amendment as the buyer wrote it."""

    __tablename__ = "contract_amendment_versions"
    __table_args__ = (
        _to_amendment("fk_contract_amendment_versions_amendment"),
        _to_contract("fk_contract_amendment_versions_contract"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    amendment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    ground: Mapped[str | None] = mapped_column(String(32))  # AmendmentGround
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    effective_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    document_id: Mapped[uuid.UUID | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AmendmentSignature(Base):
    """One side's acceptance of one version of an amendment, on one exact version of its
    document (the SHA-256)."""

    __tablename__ = "contract_amendment_signatures"
    __table_args__ = (
        _to_amendment("fk_contract_amendment_signatures_amendment"),
        _to_contract("fk_contract_amendment_signatures_contract"),
        Index("ix_contract_amendment_signatures_amendment", "tenant_id", "amendment_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    amendment_id: Mapped[uuid.UUID] = mapped_column()
    contract_id: Mapped[uuid.UUID] = mapped_column()
    party: Mapped[str] = mapped_column(String(8))  # buyer | provider
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    amendment_version: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[uuid.UUID] = mapped_column()
    document_version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
