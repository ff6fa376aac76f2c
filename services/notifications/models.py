"""In-app inbox rows, outgoing deliveries (email, webhook), webhook endpoints, preferences.

The first three hold a region's data and are tenant-owned (``tenant_id`` leads every key,
row-level security on). Preferences are a person's own settings, like their account: one set
per user, wherever they work.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base, TenantOwned


class Notification(TenantOwned, Base):
    """One message in one user's inbox, rendered when the event happened."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The inbox, newest first (scanned backwards); id breaks ties.
        Index("ix_notifications_tenant_user_created", "tenant_id", "user_id", "created_at", "id"),
        # Unread counts stay cheap however long the history grows.
        Index(
            "ix_notifications_tenant_user_unread",
            "tenant_id",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # Shared by every row and delivery of one notify() call; webhook receivers dedupe on it.
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10))
    # The event's context, JSON-safe: what a client needs to link to the object.
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookEndpoint(TenantOwned, Base):
    """A region's own system that wants events POSTed to it, signed with its secret."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    # The signing secret, encrypted with WEBHOOK_SECRET_KEY; shown in clear once, at creation.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationDelivery(TenantOwned, Base):
    """One message to send outside the platform: an email to a user, or a webhook POST.

    ``status`` moves pending → sending → sent, or → failed (retried) or cancelled (the
    endpoint went away). Each move commits on its own, outside the job's transaction: see
    ``services.notifications.delivery`` for what that guarantees.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "notification_id"],
            ["notifications.tenant_id", "notifications.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"],
            ["webhook_endpoints.tenant_id", "webhook_endpoints.id"],
            ondelete="CASCADE",
        ),
        # An endpoint's recent deliveries, for its administrator.
        Index(
            "ix_notification_deliveries_tenant_endpoint", "tenant_id", "endpoint_id", "created_at"
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    notification_id: Mapped[uuid.UUID | None] = mapped_column()
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column()
    # The email address, or the endpoint's URL, when the event happened.
    address: Mapped[str] = mapped_column(String(2000))
    # A webhook's JSON body (the same bytes on every attempt).
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationPreference(Base):
    """A user's choice for one channel of one event type; absent means the default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
