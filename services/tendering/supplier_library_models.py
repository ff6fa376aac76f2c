"""The province's supplier library (migration 0042): one entry a provider the province's
finance bureau admits. Tenant-owned (``tenant_id`` leads the key; RLS forced)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base


class SupplierLibraryEntry(Base):
    """A provider in the province's library: its programme areas, validity and status."""

    __tablename__ = "supplier_library_entries"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    # Programme areas (services.planning's ProgrammeArea): what the provider may be drawn for.
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    admitted_on: Mapped[date] = mapped_column(Date)
    # The last day (Asia/Shanghai) the entry may be drawn.
    valid_until: Mapped[date] = mapped_column(Date)
    # active | suspended | removed
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
