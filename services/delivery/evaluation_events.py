"""What third-party evaluation tells people, in zh-CN with English fallback. Every message
names the region and the contract's title; never a service recipient."""

from __future__ import annotations

from services.notifications.service import define_event

ENGAGED = define_event(
    "delivery.evaluation_engaged",
    ("第三方评估委托", "Evaluation engaged"),
    (
        "【{tenant_name}】委托第三方评估：{title}",
        "您好：\n\n{tenant_name}委托贵机构对“{title}”（承接机构：{provider_name}）开展"
        "{kind_name}，请从项目管理、服务成效、资金使用及社会效益、经济效益等方面评分，"
        "并上传评估报告后提交。",
    ),
    (
        "[{tenant_name}] Evaluation engaged: {title}",
        'Hello,\n\n{tenant_name} engaged your organisation for the {kind_name} of "{title}" '
        "(provider: {provider_name}). Please score it, attach the report and submit.",
    ),
)
SUBMITTED = define_event(
    "delivery.evaluation_submitted",
    ("第三方评估待确认", "Evaluation to confirm"),
    (
        "【{tenant_name}】第三方评估结果待确认：{title}",
        "您好：\n\n{evaluator_name}已提交“{title}”的{kind_name}结果：总分{total}，"
        "等级{grade_name}。请审核后确认或退回。",
    ),
    (
        "[{tenant_name}] Evaluation to confirm: {title}",
        'Hello,\n\n{evaluator_name} submitted the {kind_name} of "{title}": total {total}, '
        "grade {grade}. Please confirm or return it.",
    ),
)
RETURNED = define_event(
    "delivery.evaluation_returned",
    ("第三方评估被退回", "Evaluation returned"),
    (
        "【{tenant_name}】第三方评估结果被退回：{title}",
        "您好：\n\n{tenant_name}退回了“{title}”的{kind_name}结果，意见：{note}",
    ),
    (
        "[{tenant_name}] Evaluation returned: {title}",
        'Hello,\n\n{tenant_name} returned the {kind_name} of "{title}": {note}',
    ),
)
FOLLOW_UP_OPENED = define_event(
    "delivery.evaluation_follow_up_opened",
    ("跟踪评估开始", "Follow-up evaluation opened"),
    (
        "【{tenant_name}】跟踪评估开始：{title}",
        "您好：\n\n“{title}”的终期评估确认后{months}个月已届满，跟踪评估已开始，"
        "评估机构：{evaluator_name}。",
    ),
    (
        "[{tenant_name}] Follow-up evaluation opened: {title}",
        'Hello,\n\n{months} months have run since the evaluation of "{title}" was confirmed; '
        "the follow-up evaluation by {evaluator_name} is open.",
    ),
)
