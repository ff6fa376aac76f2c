"""What progress reports tell people, in zh-CN with English fallback. Every message names the
region, the contract's title and the period (services.delivery.report_telling adds them)."""

from __future__ import annotations

from services.notifications.service import define_event

REPORT_DUE_SOON = define_event(
    "delivery.report_due_soon",
    ("服务进度报告即将到期", "Progress report due soon"),
    (
        "【{tenant_name}】服务进度报告即将到期：{title}",
        "您好：\n\n“{title}”{period}的服务进度报告应于{due_at}前提交，请按时报送。",
    ),
    (
        "[{tenant_name}] Progress report due soon: {title}",
        'Hello,\n\nThe progress report of "{title}" for {period} is due by {due_at}.',
    ),
)
REPORT_LATE = define_event(
    "delivery.report_late",
    ("服务进度报告逾期", "Progress report late"),
    (
        "【{tenant_name}】服务进度报告逾期未交：{title}",
        "您好：\n\n{provider}未在{due_at}前提交“{title}”{period}的服务进度报告，请督促其报送。",
    ),
    (
        "[{tenant_name}] Progress report late: {title}",
        'Hello,\n\n{provider} did not submit the progress report of "{title}" for {period} '
        "by {due_at}. Please follow it up.",
    ),
)
REPORT_SUBMITTED = define_event(
    "delivery.report_submitted",
    ("服务进度报告已提交", "Progress report submitted"),
    (
        "【{tenant_name}】服务进度报告待审核：{title}",
        "您好：\n\n{provider}提交了“{title}”{period}的服务进度报告，请审核后通过或退回。",
    ),
    (
        "[{tenant_name}] Progress report submitted: {title}",
        'Hello,\n\n{provider} submitted the progress report of "{title}" for {period}. '
        "Please accept or return it.",
    ),
)
REPORT_REVIEWED = define_event(
    "delivery.report_reviewed",
    ("服务进度报告已审核", "Progress report reviewed"),
    (
        "【{tenant_name}】服务进度报告{outcome_zh}：{title}",
        "您好：\n\n“{title}”{period}的服务进度报告{outcome_zh}。意见：{comment}",
    ),
    (
        "[{tenant_name}] Progress report {outcome}: {title}",
        'Hello,\n\nThe progress report of "{title}" for {period} was {outcome}. '
        "Comments: {comment}",
    ),
)
REPORT_DUE_MOVED = define_event(
    "delivery.report_due_recomputed",
    ("服务进度报告期限已重新计算", "Progress report due date recomputed"),
    (
        "【{tenant_name}】服务进度报告期限已按{year}年节假日安排重新计算：{title}",
        "您好：\n\n{year}年节假日安排已录入，“{title}”{period}的服务进度报告期限"
        "（遇休息日顺延）已重新计算：{changes}。",
    ),
    (
        "[{tenant_name}] Progress report due date recomputed with the {year} holidays: {title}",
        'Hello,\n\nThe holiday arrangement of {year} was entered; the progress report of "{title}" '
        "for {period} (due dates move off rest days) is now due: {changes}.",
    ),
)
