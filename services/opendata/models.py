"""The published OCDS releases: one row per public change, never changed afterwards.

Tenant-owned with RLS forced (migration 0044); one extra policy lets anyone read them in every
region, like published notices. ``id`` is the release id, unique because it holds the ocid.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base


class Release(Base):
    __tablename__ = "open_data_releases"
    __table_args__ = (
        Index("ix_open_data_releases_tenant_published", "tenant_id", "published_at", "id"),
        Index("ix_open_data_releases_tenant_ocid", "tenant_id", "ocid"),
        # The national feed pages every region by (published_at, id).
        Index("ix_open_data_releases_published", "published_at", "id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[str] = mapped_column(String(250), primary_key=True)
    ocid: Mapped[str] = mapped_column(String(100))
    procurement_id: Mapped[uuid.UUID] = mapped_column()
    tag: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The release's year in Asia/Shanghai: what a year's bulk file holds.
    year: Mapped[int] = mapped_column(Integer)
    release: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
