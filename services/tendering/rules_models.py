"""The table of a region's own legal rules: what it tightened beyond the national defaults.

Tenant-owned (``tenant_id`` is the whole primary key, row-level security forced, migration
0007). The overrides are JSON in the form the API takes: integers as numbers, amounts,
percentages and shares as strings ("4000000", "1.5", "3/4").
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base


class TenderingRules(Base):
    """One row per region that has tightened any rule; no row means the national defaults."""

    __tablename__ = "tendering_rules"
    __table_args__ = (
        CheckConstraint("jsonb_typeof(overrides) = 'object'", name="overrides_is_object"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
