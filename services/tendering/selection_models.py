"""The choice of an invited tender's or a negotiation's suppliers (migration 0036): the pool,
where it came from, the seed, the witnesses and the result, kept as the draw's record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
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
        CheckConstraint("source IN ('library', 'recommendations')", name="source_known"),
        CheckConstraint("(to_draw IS NULL) = (seed IS NULL)", name="drawn_with_seed"),
        CheckConstraint(
            "to_draw IS NULL OR cardinality(pool) >= 2 * to_draw", name="pool_twice_drawn"
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(24))
    to_draw: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[str | None] = mapped_column(String(64))
    pool: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    invited: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    witness_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    # [{"provider_id", "by": "buyer" | "expert", "recommender", "reason", "document_ids"}]
    recommendations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    made_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
