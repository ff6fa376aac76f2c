"""What other contexts use of notifications: ``notify()`` to tell people something, and the
event types (with their message templates) each context registers for what it tells. Other
contexts import this module only."""

from services.notifications.sending import Notified, notify
from services.notifications.templates import EN, ZH_CN, EventType
from services.notifications.templates import register as register_event_type

__all__ = ["EN", "ZH_CN", "EventType", "Notified", "notify", "register_event_type"]
