"""A project's archive (项目档案): one build of its complete file as one zip in the document
store, with its progress while it is built and its manifest once it is ready."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base, TenantOwned


class ProjectArchive(TenantOwned, Base):
    __tablename__ = "project_archives"
    __table_args__ = (
        # One archive per project state: the same request again finds it.
        Index("uq_project_archives_state", "tenant_id", "project_id", "state_key", unique=True),
        Index("ix_project_archives_tenant_requested", "tenant_id", "requested_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column()
    # SHA-256 of what the project's file stood at when asked for (see ``service.state_key``).
    state_key: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    files_total: Mapped[int] = mapped_column(Integer, default=0)
    files_done: Mapped[int] = mapped_column(Integer, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    storage_key: Mapped[str] = mapped_column(String(300))
    # The multipart upload under way: a retried build aborts it before starting again.
    upload_id: Mapped[str | None] = mapped_column(String(1024))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the whole zip
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)
    audit_hash: Mapped[str | None] = mapped_column(String(64))
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
