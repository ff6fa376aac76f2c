"""What other contexts use of notifications: telling people, and registering what they tell
(an event type with its zh-CN and English templates). Other contexts import this module only."""

from services.notifications.sending import Notified, notify
from services.notifications.templates import EN, ZH_CN, EventType
from services.notifications.templates import register as register_event_type

__all__ = [
    "EN",
    "ZH_CN",
    "EventType",
    "Notified",
    "define_event",
    "notify",
    "register_event_type",
]


def define_event(
    name: str,
    label: tuple[str, str],
    zh: tuple[str, str],
    en: tuple[str, str],
    optional: dict[str, dict[str, str]] | None = None,
) -> EventType:
    """Register an event type from its (zh-CN, English) label and (subject, body) templates."""
    return register_event_type(
        EventType(
            name=name,
            label={ZH_CN: label[0], EN: label[1]},
            templates={ZH_CN: zh, EN: en},
            optional=optional or {},
        )
    )
