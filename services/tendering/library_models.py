"""Tables of the expert library and the committee draws (migration 0032): avoidance records
kept with a province's experts, the province's draw setting, and every draw of a city's
committee. All tenant-owned (``tenant_id`` leads every key; RLS forced)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base


class ExpertAvoidance(Base):
    """回避: a provider an expert of the library must not judge, and why."""

    __tablename__ = "expert_avoidances"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["experts.tenant_id", "experts.user_id"],
            name="fk_expert_avoidances_expert",
            ondelete="CASCADE",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ExpertLibrarySetting(Base):
    """A province's choice to draw in an external expert-draw system of its own."""

    __tablename__ = "expert_library_settings"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    external_draws: Mapped[bool] = mapped_column(Boolean)
    external_system: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CommitteeDraw(Base):
    """One draw for a procurement's committee: random (with its seed and pool), a replacement
    of an expert who declined or did not come, or an external draw system's result."""

    __tablename__ = "committee_draws"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_committee_draws_procurement",
        ),
        Index("ix_committee_draws_procurement", "tenant_id", "procurement_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    procurement_id: Mapped[uuid.UUID] = mapped_column()
    # random | replacement | external
    kind: Mapped[str] = mapped_column(String(16))
    speciality: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[str | None] = mapped_column(String(64))
    # The eligible experts, ordered by id, that the seed sampled from.
    pool: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    drawn: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    # Chosen by the buyer (87号令 art. 48), with its 主管预算单位's consent.
    appointed: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    replaced_user_id: Mapped[uuid.UUID | None] = mapped_column()
    replaced_reason: Mapped[str | None] = mapped_column(String(16))
    consent_by: Mapped[str | None] = mapped_column(String(200))
    consent_document: Mapped[str | None] = mapped_column(String(100))
    external_system: Mapped[str | None] = mapped_column(String(200))
    external_record_number: Mapped[str | None] = mapped_column(String(100))
    external_drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    external_operator: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
