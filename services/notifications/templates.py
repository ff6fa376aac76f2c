"""The event types users can be notified of, and their messages in zh-CN with English fallback.

Each event type names the context keys its templates need. ``notify()`` renders the message
when it is called, so an unknown event type or a missing key fails inside the caller's
transaction — before anything is written — rather than in a worker an hour later.

Templates are ``str.format`` strings over the caller's context plus a few derived fields
(a role's name in the locale, times in Asia/Shanghai). A locale without its own template uses
English; every event type must have an English one.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.kit.authz.roles import Role
from services.notifications.errors import ContextIncomplete, UnknownEventType

ZH_CN = "zh-CN"
EN = "en"
DEFAULT_LOCALE = ZH_CN
LOCAL_TIME = ZoneInfo("Asia/Shanghai")

ROLE_NAMES: dict[str, dict[str, str]] = {
    ZH_CN: {
        Role.platform_admin: "平台管理员",
        Role.ministry_viewer: "民政部查询用户",
        Role.province_viewer: "省级查询用户",
        Role.tenant_admin: "本级管理员",
        Role.civil_affairs_officer: "民政部门经办人",
        Role.civil_affairs_approver: "民政部门审批人",
        Role.finance_officer: "财政部门经办人",
        Role.finance_approver: "财政部门审批人",
        Role.partner_department: "有关部门和群团组织用户",
        Role.provider_admin: "服务机构管理员",
        Role.provider_staff: "服务机构工作人员",
        Role.expert: "评审专家",
        Role.evaluator: "第三方评估机构",
    },
    EN: {
        Role.platform_admin: "platform administrator",
        Role.ministry_viewer: "ministry viewer",
        Role.province_viewer: "province viewer",
        Role.tenant_admin: "administrator",
        Role.civil_affairs_officer: "civil affairs officer",
        Role.civil_affairs_approver: "civil affairs approver",
        Role.finance_officer: "finance officer",
        Role.finance_approver: "finance approver",
        Role.partner_department: "partner department user",
        Role.provider_admin: "provider administrator",
        Role.provider_staff: "provider staff",
        Role.expert: "expert reviewer",
        Role.evaluator: "third-party evaluator",
    },
}

FOOTER = {
    ZH_CN: "——\n此邮件由社会工作服务采购平台自动发送，请勿直接回复。"
    "如不需要此类邮件，可在平台的“通知设置”中关闭。",
    EN: "--\nSent automatically by the social work services procurement platform; "
    "please do not reply. Switch these emails off under notification preferences.",
}


@dataclass(frozen=True)
class Message:
    locale: str
    subject: str
    body: str


# Fields computed from the context for one locale, e.g. a role's display name.
Derive = Callable[[Mapping[str, Any], str], dict[str, str]]


@dataclass(frozen=True)
class EventType:
    name: str
    label: dict[str, str]
    # locale → (subject, body) templates; "en" is required.
    templates: dict[str, tuple[str, str]]
    email_by_default: bool = True
    # Per-locale values for keys the caller may leave out (None counts as left out).
    optional: dict[str, dict[str, str]] = field(default_factory=dict)
    derive: Derive | None = None
    derived_keys: frozenset[str] = frozenset()
    # Keys ``derive`` reads that no template names directly.
    needs: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if EN not in self.templates:
            raise ValueError(f"event type {self.name} needs an English template")

    @property
    def required(self) -> frozenset[str]:
        """Context keys the caller must give: every field of every template, less the
        optional and derived ones."""
        names: set[str] = set()
        for subject, body in self.templates.values():
            for text in (subject, body):
                names |= {f for _, f, _, _ in string.Formatter().parse(text) if f}
        optional = {key for values in self.optional.values() for key in values}
        return frozenset((names - optional - self.derived_keys) | self.needs)


def _role_name(context: Mapping[str, Any], locale: str) -> dict[str, str]:
    role = str(context["role"])
    return {"role_name": ROLE_NAMES.get(locale, ROLE_NAMES[EN]).get(role, role)}


CATALOG: dict[str, EventType] = {}


def register(event: EventType) -> EventType:
    CATALOG[event.name] = event
    return event


def unregister(name: str) -> None:
    CATALOG.pop(name, None)


PROVIDER_REGISTRATION_APPROVED = register(
    EventType(
        name="provider_registration.approved",
        label={ZH_CN: "服务机构登记通过", EN: "Provider registration approved"},
        templates={
            ZH_CN: (
                "【{tenant_name}】服务机构登记已通过",
                "{provider_name}：\n\n"
                "贵单位在{tenant_name}的服务机构登记申请已审核通过，"
                "现可参与该地区政府购买社会工作服务项目。\n\n审核意见：{note}",
            ),
            EN: (
                "[{tenant_name}] Provider registration approved",
                "{provider_name}:\n\n"
                "Your registration in {tenant_name} has been approved. You may now take part "
                "in this region's purchases of social work services.\n\nReviewer's note: {note}",
            ),
        },
        optional={ZH_CN: {"note": "无"}, EN: {"note": "none"}},
    )
)

PROVIDER_REGISTRATION_REJECTED = register(
    EventType(
        name="provider_registration.rejected",
        label={ZH_CN: "服务机构登记未通过", EN: "Provider registration rejected"},
        templates={
            ZH_CN: (
                "【{tenant_name}】服务机构登记未通过",
                "{provider_name}：\n\n"
                "贵单位在{tenant_name}的服务机构登记申请未通过审核。\n\n审核意见：{note}\n\n"
                "如有疑问，请联系{tenant_name}民政部门。",
            ),
            EN: (
                "[{tenant_name}] Provider registration rejected",
                "{provider_name}:\n\n"
                "Your registration in {tenant_name} was not approved.\n\n"
                "Reviewer's note: {note}\n\n"
                "Please contact the civil affairs bureau of {tenant_name} with any questions.",
            ),
        },
        optional={ZH_CN: {"note": "无"}, EN: {"note": "none"}},
    )
)

MEMBERSHIP_GRANTED = register(
    EventType(
        name="membership.granted",
        label={ZH_CN: "获授角色", EN: "Role granted"},
        templates={
            ZH_CN: (
                "【{tenant_name}】您已获授“{role_name}”角色",
                "您好：\n\n{tenant_name}已授予您“{role_name}”角色，"
                "登录平台后即可办理相应业务。\n\n如非本人申请，请联系{tenant_name}的平台管理员。",
            ),
            EN: (
                "[{tenant_name}] You now hold the role {role_name}",
                "Hello,\n\n{tenant_name} has granted you the role {role_name}. Sign in to the "
                "platform to start.\n\nIf you did not expect this, contact the administrator "
                "of {tenant_name}.",
            ),
        },
        derive=_role_name,
        derived_keys=frozenset({"role_name"}),
        needs=frozenset({"role"}),
    )
)

DOCUMENT_SEALED_OPENED = register(
    EventType(
        name="document.sealed_opened",
        label={ZH_CN: "密封文件开启", EN: "Sealed document opened"},
        templates={
            ZH_CN: (
                "【{tenant_name}】密封文件已开启：{document_title}",
                "您好：\n\n密封文件“{document_title}”已于{opened_at}开启。\n\n"
                "如对开启过程有异议，请在规定期限内向{tenant_name}提出。",
            ),
            EN: (
                "[{tenant_name}] Sealed document opened: {document_title}",
                'Hello,\n\nThe sealed document "{document_title}" was opened at {opened_at}.'
                "\n\nRaise any objection to the opening with {tenant_name} within the time "
                "allowed.",
            ),
        },
    )
)


def event_type(name: str) -> EventType:
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownEventType(f"no such notification event type: {name!r}") from None


def _display(value: Any, locale: str) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ContextIncomplete("datetimes in a notification context must be timezone-aware")
        local = value.astimezone(LOCAL_TIME)
        if locale == ZH_CN:
            return f"{local:%Y年%m月%d日 %H:%M}"
        return f"{local:%Y-%m-%d %H:%M} (Beijing time)"
    if isinstance(value, date):
        return f"{value:%Y年%m月%d日}" if locale == ZH_CN else value.isoformat()
    return str(value)


def check_context(event: EventType, context: Mapping[str, Any]) -> None:
    missing = sorted(key for key in event.required if context.get(key) is None)
    if missing:
        raise ContextIncomplete(f"{event.name} needs context keys: {', '.join(missing)}")


def render(name: str, context: Mapping[str, Any], locale: str = DEFAULT_LOCALE) -> Message:
    """The message in ``locale``, or in English when that locale has no template."""
    event = event_type(name)
    check_context(event, context)
    used = locale if locale in event.templates else EN
    values = {k: _display(v, used) for k, v in context.items() if v is not None}
    for key, default in event.optional.get(used, event.optional.get(EN, {})).items():
        values.setdefault(key, default)
    if event.derive is not None:
        values.update(event.derive(context, used))
    subject_template, body_template = event.templates[used]
    try:
        subject = subject_template.format_map(values)
        body = body_template.format_map(values)
    except (KeyError, IndexError) as exc:
        raise ContextIncomplete(f"{name} cannot be rendered: missing {exc}") from None
    # One line, whatever the context held: a subject is a mail header.
    subject = " ".join(subject.split())
    return Message(locale=used, subject=subject[:250], body=body)


def footer(locale: str) -> str:
    return FOOTER.get(locale, FOOTER[EN])
