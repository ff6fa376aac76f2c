"""结项验收: one round of acceptance of a contract — its plan (standards, method, date), the
panel, each member's opinion and scores, the buyer's conclusion, and the report's signatures.
Migration 0029."""

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


def _of_acceptance(name: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "acceptance_id"],
        ["acceptances.tenant_id", "acceptances.id"],
        name=f"fk_{name}_acceptance",
    )


class Acceptance(Base):
    __tablename__ = "acceptances"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_acceptances_contract",
        ),
        Index("uq_acceptances_round", "tenant_id", "contract_id", "round", unique=True),
        CheckConstraint("status IN ('open', 'concluded', 'published')", name="status"),
        CheckConstraint("result IS NULL OR result IN ('pass', 'fail')", name="result"),
        CheckConstraint("round >= 1", name="round"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    # Copied from the contract: the provider's rows (RLS) and the ownership filter.
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    project_id: Mapped[uuid.UUID] = mapped_column()
    procurement_id: Mapped[uuid.UUID] = mapped_column()
    # 1 for the first acceptance, 2 for the re-acceptance after a fail, …
    round: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(Text)
    planned_on: Mapped[date] = mapped_column(Date)
    # [{"seq", "name", "indicator", "value", "source": "contract" | "buyer"}, …]
    standards: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The conclusion: "pass" only when every standard passed; [{"seq", "passed", "reason"}].
    result: Mapped[str | None] = mapped_column(String(4))
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    summary: Mapped[str | None] = mapped_column(Text)
    rectify_within_days: Mapped[int | None] = mapped_column(Integer)
    concluded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    concluded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The report (验收书) both sides signed, and when the second signature made it final.
    signed_document_id: Mapped[uuid.UUID | None] = mapped_column()
    signed_version: Mapped[int | None] = mapped_column(Integer)
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice_id: Mapped[uuid.UUID | None] = mapped_column()
    # A fail of a re-acceptance: what the contract's liability for breach says, as it stood.
    breach_liability: Mapped[str | None] = mapped_column(Text)


class AcceptanceMember(Base):
    """验收小组成员: the buyer's representative, a service-recipient representative or a
    third-party member. Names are the buyer's to see, never published."""

    __tablename__ = "acceptance_members"
    __table_args__ = (
        _of_acceptance("acceptance_members"),
        CheckConstraint("kind IN ('buyer', 'recipient', 'third_party')", name="kind"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    acceptance_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    display_name: Mapped[str] = mapped_column(String(100))
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AcceptanceOpinion(Base):
    """One member's opinion, with a pass/fail and a score for every standard."""

    __tablename__ = "acceptance_opinions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "acceptance_id", "user_id"],
            [
                "acceptance_members.tenant_id",
                "acceptance_members.acceptance_id",
                "acceptance_members.user_id",
            ],
            name="fk_acceptance_opinions_member",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    acceptance_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    opinion: Mapped[str] = mapped_column(Text)
    # [{"seq", "passed", "score", "comment"}, …], one per standard.
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class AcceptanceSignature(Base):
    __tablename__ = "acceptance_signatures"
    __table_args__ = (
        _of_acceptance("acceptance_signatures"),
        Index("ix_acceptance_signatures_acceptance", "tenant_id", "acceptance_id"),
        CheckConstraint("party IN ('buyer', 'provider')", name="party"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    acceptance_id: Mapped[uuid.UUID] = mapped_column()
    party: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    document_id: Mapped[uuid.UUID] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
