"""What acceptance tells people, in zh-CN with English fallback. Every message names the
region, the contract's title and the acceptance round, and no member of the panel."""

from __future__ import annotations

from services.notifications.service import define_event

CONCLUDED = define_event(
    "delivery.acceptance_concluded",
    ("验收结论待签署", "Acceptance report to sign"),
    (
        "【{tenant_name}】验收书待签署：{title}",
        "您好：\n\n“{title}”第{round}次验收的验收小组已出具验收结论：{result_name}。"
        "请核对采购人上传的验收书，由双方签署后公告（《政府采购法实施条例》第四十五条）。",
    ),
    (
        "[{tenant_name}] Acceptance report to sign: {title}",
        'Hello,\n\nThe panel of acceptance round {round} of "{title}" concluded: {result}. '
        "Check the report the buyer uploads; both sides sign it, then it is published.",
    ),
)
PUBLISHED = define_event(
    "delivery.acceptance_published",
    ("验收结果已公告", "Acceptance published"),
    (
        "【{tenant_name}】验收结果已公告：{title}",
        "您好：\n\n“{title}”第{round}次验收的验收书已由双方签署并公告，验收结果：{result_name}。"
        "{next_step}",
    ),
    (
        "[{tenant_name}] Acceptance published: {title}",
        'Hello,\n\nBoth sides signed the report of acceptance round {round} of "{title}"; '
        "it is published. Result: {result}.",
    ),
)
