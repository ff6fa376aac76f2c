"""Request and response bodies of the notifications API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec

from services.kit.types import Line

EventTypeName = Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]
Url = Annotated[Line, msgspec.Meta(min_length=1, max_length=2000)]
Description = Annotated[Line, msgspec.Meta(max_length=200)]


class Channel(StrEnum):
    inbox = "inbox"  # always on
    email = "email"
    webhook = "webhook"  # a region's systems, not a person's choice


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    event_id: uuid.UUID
    event_type: str
    subject: str
    body: str
    locale: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCountOut(msgspec.Struct):
    unread: int
    by_tenant: dict[str, int]


class MarkedOut(msgspec.Struct):
    marked: int


class PreferenceOut(msgspec.Struct):
    event_type: str
    label: str
    inbox: bool
    email: bool
    email_default: bool


class PreferencesOut(msgspec.Struct):
    items: list[PreferenceOut]


class PreferenceIn(msgspec.Struct, forbid_unknown_fields=True):
    event_type: EventTypeName
    email: bool | None = None
    # Accepted only as true: the inbox cannot be switched off.
    inbox: bool | None = None


class PreferencesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[PreferenceIn], msgspec.Meta(max_length=100)]


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: Url
    event_types: Annotated[list[EventTypeName], msgspec.Meta(min_length=1, max_length=50)]
    description: Description | None = None
    active: bool = True


class WebhookUpdate(msgspec.Struct, forbid_unknown_fields=True):
    url: Url | None = None
    event_types: (
        Annotated[list[EventTypeName], msgspec.Meta(min_length=1, max_length=50)] | None
    ) = None
    description: Description | None = None
    active: bool | None = None


class WebhookOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    url: str
    description: str | None
    event_types: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookOut):
    """Returned on creation and on rotation only: the secret is never shown again."""

    secret: str


class DeliveryOut(msgspec.Struct):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    url: str
    status: DeliveryStatus
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
