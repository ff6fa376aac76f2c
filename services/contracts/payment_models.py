"""The payments (拨付) of signed contracts: the region's payment setting, each request against
an instalment, and the funding sources a paid amount came from.

Tenant-owned, row-level security forced (migration 0020); a contract's provider reads its own
payments. Amounts are 元 with 2 decimals.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
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

from services.kit.db import MONEY, Base


class PaymentSetting(Base):
    """How a region pays its contracts' instalments, kept by its finance bureau. No row: the
    defaults (treasury, 30 days)."""

    __tablename__ = "contract_payment_settings"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    payment_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Payment(Base):
    """A provider's request for (part of) an instalment, and what became of it: confirmed by
    civil affairs, approved by finance where finance approves, paid, or returned."""

    __tablename__ = "contract_payments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_contract_payments_contract",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "contract_id", "instalment_seq"],
            [
                "contract_instalments.tenant_id",
                "contract_instalments.contract_id",
                "contract_instalments.seq",
            ],
            name="fk_contract_payments_instalment",
        ),
        Index("ix_contract_payments_contract", "tenant_id", "contract_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    instalment_seq: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(16))
    # The region's mode when the request was filed: the request follows it to the end.
    mode: Mapped[str] = mapped_column(String(16))
    # OCDS implementation.transactions: the payer is the buyer (this region), the payee the
    # contract's provider.
    payee_provider_id: Mapped[uuid.UUID] = mapped_column()
    # [{document_id, version, sha256}]: the evidence as it stood when the request was filed.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    confirmation_note: Mapped[str | None] = mapped_column(Text)
    # The last moment to pay: the region's payment days after the confirmation.
    pay_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    approval_note: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    returned_party: Mapped[str | None] = mapped_column(String(8))  # buyer | finance
    return_reason: Mapped[str | None] = mapped_column(Text)
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The treasury's payment voucher number (国库支付凭证号).
    voucher: Mapped[str | None] = mapped_column(String(64))
    # Which of the clock's warnings went out, so each goes once.
    warnings_sent: Mapped[list[str]] = mapped_column(JSONB, default=list)


class PaymentSource(Base):
    """The part of a paid amount that came from one funding source of the budget line."""

    __tablename__ = "contract_payment_sources"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "payment_id"],
            ["contract_payments.tenant_id", "contract_payments.id"],
            name="fk_contract_payment_sources_payment",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
