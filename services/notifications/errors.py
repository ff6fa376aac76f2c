"""Refusals of the notifications context, and the mistakes a caller of ``notify()`` can make.

``UnknownEventType`` and ``ContextIncomplete`` are programming errors of the calling context,
not something the signed-in user can act on: they are plain exceptions (a 500 if they ever
reach a request), raised before anything is written.
"""

from __future__ import annotations

from services.kit.errors import Conflict, InvalidField, NotFound


class UnknownEventType(ValueError):
    """``notify()`` was called with an event type the catalog does not know."""


class ContextIncomplete(ValueError):
    """``notify()`` was called without a key the event type's templates need."""


class UnknownRecipient(ValueError):
    """``notify()`` was given a user id that names no account."""


class EventTypeInvalid(InvalidField):
    code = "unknown_event_type"
    title = "Unknown event type"


class InboxAlwaysOn(InvalidField):
    code = "inbox_always_on"
    title = "The inbox cannot be switched off"


class WebhookUrlRefused(InvalidField):
    code = "webhook_url_refused"
    title = "Webhook URL refused"


class WebhookLimitReached(Conflict):
    code = "webhook_limit_reached"
    title = "Too many webhook endpoints"


class WebhookNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such webhook endpoint.")


class NotificationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such notification.")
