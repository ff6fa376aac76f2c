"""What rectifications tell people, in zh-CN with English fallback. Every message names the
region, the contract's title and the last day (services.delivery.rectification_telling)."""

from __future__ import annotations

from services.notifications.service import define_event

RECTIFICATION_ORDERED = define_event(
    "delivery.rectification_ordered",
    ("整改通知", "Rectification ordered"),
    (
        "【{tenant_name}】整改通知：{title}",
        "您好：\n\n“{title}”存在以下问题：{finding}\n\n请于{due_on}（含当日）前完成整改："
        "{required_action}\n\n并在平台提交整改情况说明。",
    ),
    (
        "[{tenant_name}] Rectification ordered: {title}",
        'Hello,\n\n"{title}": {finding}\n\nPlease put it right by the end of {due_on}: '
        "{required_action}\n\nThen tell us on the platform what you did.",
    ),
)
RECTIFICATION_REOPENED = define_event(
    "delivery.rectification_reopened",
    ("整改未通过", "Rectification reopened"),
    (
        "【{tenant_name}】整改未通过，请继续整改：{title}",
        "您好：\n\n“{title}”的整改经复核未通过：{reason}\n\n请于{due_on}（含当日）前继续整改"
        "并重新提交整改情况说明。",
    ),
    (
        "[{tenant_name}] Rectification reopened: {title}",
        'Hello,\n\nThe rectification of "{title}" was not accepted: {reason}\n\nPlease put it '
        "right by the end of {due_on} and answer again.",
    ),
)
RECTIFICATION_ANSWERED = define_event(
    "delivery.rectification_answered",
    ("整改已反馈", "Rectification answered"),
    (
        "【{tenant_name}】整改情况已反馈：{title}",
        "您好：\n\n“{title}”的承接机构已提交整改情况说明（整改期限{due_on}）。请复核后销号或"
        "退回继续整改。",
    ),
    (
        "[{tenant_name}] Rectification answered: {title}",
        'Hello,\n\nThe provider of "{title}" says what it did (last day {due_on}). Please check '
        "it and close or reopen the rectification.",
    ),
)
RECTIFICATION_OVERDUE = define_event(
    "delivery.rectification_overdue",
    ("整改逾期", "Rectification overdue"),
    (
        "【{tenant_name}】整改逾期未反馈：{title}",
        "您好：\n\n“{title}”的整改期限{due_on}已届满，承接机构尚未提交整改情况说明。",
    ),
    (
        "[{tenant_name}] Rectification overdue: {title}",
        'Hello,\n\nThe last day ({due_on}) to put right a finding on "{title}" has passed '
        "and the provider has not answered.",
    ),
)
