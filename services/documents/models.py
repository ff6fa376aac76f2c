"""Documents of the procurement file, their versions, and the keys of sealed procedures.

A document belongs to an object of another context by ``(object_type, object_id)`` — ids,
not foreign keys, so that contexts stay apart. Its versions are stored objects in S3; the rows
hold what the API needs to list, check and hand them out without touching the store.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base, TenantOwned, Timestamped


class Document(TenantOwned, Timestamped, Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_tenant_object", "tenant_id", "object_type", "object_id"),
        Index("ix_documents_tenant_provider", "tenant_id", "provider_id"),
    )

    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sealed documents are encrypted at rest with their procedure's key (DocumentSeal).
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    # The provider whose user created the document; None for government users.
    provider_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DocumentVersion(Base):
    """One upload. Never changed after the upload, but for the verification job's verdict."""

    __tablename__ = "document_versions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "document_id"], ["documents.tenant_id", "documents.id"]),
        UniqueConstraint("tenant_id", "storage_key"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # by content, never by name
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # of the content as uploaded
    storage_key: Mapped[str] = mapped_column(String(300))
    # What lies in the bucket: the content itself, or its ciphertext when sealed.
    stored_size: Mapped[int] = mapped_column(BigInteger)
    stored_sha256: Mapped[str] = mapped_column(String(64))
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column()
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    verification: Mapped[str] = mapped_column(String(16), default="pending")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verification_note: Mapped[str | None] = mapped_column(Text)


class DocumentSeal(Base):
    """A procedure's data key (wrapped by the master key) and the time it may be opened.

    The database refuses to mark a seal opened before its time, and to move an unopened
    seal's time into the past (trigger in migration 0003), whoever asks.
    """

    __tablename__ = "document_seals"
    __table_args__ = (
        # The sweep's scan: seals not yet opened, by time.
        Index(
            "ix_document_seals_tenant_due",
            "tenant_id",
            "sealed_until",
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    object_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sealed_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Opened by its procedure's own context (a tender's bids, at an opening that stands),
    # not by a timed job of ours; withheld for good when the procedure ends unopened.
    opened_by_owner: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    withheld_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
