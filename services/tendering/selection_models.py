"""The choice of an invited tender's or a negotiation's suppliers (migration 0036): the pool,
where it came from, the seed, the witnesses and the result, kept as the draw's record; and an
invited tender's prequalification (资格预审), whose qualified applicants may form the pool."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base


class SupplierSelection(Base):
    """One per procurement, never changed: who could be invited and who was.

    ``pool`` is kept in the order the draw used (provider ids sorted as text), so that
    ``random.Random(seed).sample(pool, to_draw)`` gives ``invited`` again. A negotiation whose
    suppliers come from written recommendations (74号令 art. 12) invites them all: no draw,
    no seed, ``to_draw`` empty.
    """

    __tablename__ = "supplier_selections"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_supplier_selections_procurement",
        ),
        CheckConstraint(
            "source IN ('prequalification', 'library', 'recommendations', 'notice',"
            " 'continuation')",
            name="source_known",
        ),
        CheckConstraint("(to_draw IS NULL) = (seed IS NULL)", name="drawn_with_seed"),
        CheckConstraint(
            "to_draw IS NULL OR source = 'prequalification' OR cardinality(pool) >= 2 * to_draw",
            name="pool_twice_drawn",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(24))
    to_draw: Mapped[int | None] = mapped_column(Integer)
    # The programme area a library draw took its pool from (migration 0042).
    category: Mapped[str | None] = mapped_column(String(32))
    seed: Mapped[str | None] = mapped_column(String(64))
    pool: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    invited: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    witness_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    # [{"provider_id", "by": "buyer" | "expert", "recommender", "reason", "document_ids"}]
    recommendations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    made_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Prequalification(Base):
    """A prequalification notice (资格预审公告) of an invited tender: who answers it by the
    deadline, and is found qualified, forms the pool of its draw."""

    __tablename__ = "prequalifications"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_prequalifications_procurement",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    notice_id: Mapped[uuid.UUID] = mapped_column()
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applications_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrequalificationApplication(Base):
    """A provider's answer to a prequalification notice and the buyer's verdict on it."""

    __tablename__ = "prequalification_applications"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["prequalifications.tenant_id", "prequalifications.procurement_id"],
            name="fk_prequalification_applications_prequalification",
        ),
        CheckConstraint(
            "qualified IS DISTINCT FROM false OR reason IS NOT NULL", name="refusal_reason"
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    applied_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    qualified: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
