"""What tendering tells people, in zh-CN with English fallback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from services.kit import workdays
from services.notifications.service import EN, ZH_CN, EventType, register_event_type
from services.notifications.service import define_event as _event

APPROVAL_REQUESTED = _event(
    "tendering.approval_requested",
    ("采购方式待审批", "Procurement method to approve"),
    (
        "【{tenant_name}】采购方式待审批：{title}",
        "您好：\n\n“{title}”（{ocid}）申请采用{method}方式采购，请审批。",
    ),
    (
        "[{tenant_name}] Procurement method to approve: {title}",
        'Hello,\n\n"{title}" ({ocid}) asks to be bought by {method}. Please decide.',
    ),
)
METHOD_APPROVED = _event(
    "tendering.method_approved",
    ("采购方式已批准", "Procurement method approved"),
    (
        "【{tenant_name}】采购方式已批准：{title}",
        "您好：\n\n财政部门已批准“{title}”（{ocid}）的采购方式。\n\n审批意见：{note}",
    ),
    (
        "[{tenant_name}] Procurement method approved: {title}",
        'Hello,\n\nThe finance bureau approved the method of "{title}" ({ocid}).\n\nNote: {note}',
    ),
    optional={ZH_CN: {"note": "无"}, EN: {"note": "none"}},
)
METHOD_REFUSED = _event(
    "tendering.method_refused",
    ("采购方式未获批准", "Procurement method refused"),
    (
        "【{tenant_name}】采购方式未获批准：{title}",
        "您好：\n\n财政部门未批准“{title}”（{ocid}）的采购方式，已退回修改。\n\n意见：{note}",
    ),
    (
        "[{tenant_name}] Procurement method refused: {title}",
        'Hello,\n\nThe finance bureau did not approve the method of "{title}" ({ocid}); '
        "it is back in draft.\n\nNote: {note}",
    ),
)
# A county's request filed with its city's finance (method_approvals): told in the city.
METHOD_APPROVAL_FILED = _event(
    "tendering.method_approval_filed",
    ("下级地区采购方式待审批", "A lower region's procurement method to approve"),
    (
        "【{tenant_name}】{county_name}采购方式待审批：{title}",
        "您好：\n\n{county_name}的“{title}”申请采用{method}方式采购，预算{budget}元，达到公开招标"
        "数额标准，由设区的市级以上财政部门审批（政府采购法第二十七条、实施条例第二十三条）。"
        "请在“采购方式审批”中处理。",
    ),
    (
        "[{tenant_name}] {county_name}: procurement method to approve: {title}",
        'Hello,\n\n"{title}" of {county_name} asks to be bought by {method} with a budget of '
        "{budget} yuan. It reaches the open-tender threshold, so the finance bureau of a city "
        "or above decides (政府采购法 art. 27). Please decide under method approvals.",
    ),
)
INVITED = _event(
    "tendering.invited",
    ("采购邀请", "Invitation to bid"),
    (
        "【{tenant_name}】采购邀请：{title}",
        "您好：\n\n贵单位受邀参加“{title}”（{ocid}）的采购，响应截止时间为{bid_deadline}。",
    ),
    (
        "[{tenant_name}] Invitation to bid: {title}",
        'Hello,\n\nYou are invited to bid for "{title}" ({ocid}). Bids close at {bid_deadline}.',
    ),
)
OPENING_RECORD = _event(
    "tendering.opening_record",
    ("开标记录", "Bid opening record"),
    (
        "【{tenant_name}】开标记录：{title}",
        "您好：\n\n“{title}”（{ocid}）已于{opened_at}开标。\n\n{record}",
    ),
    (
        "[{tenant_name}] Bid opening record: {title}",
        'Hello,\n\nThe bids for "{title}" ({ocid}) were opened at {opened_at}.\n\n{record}',
    ),
)
TENDER_FAILED = _event(
    "tendering.failed",
    ("废标通知", "Tender failed"),
    (
        "【{tenant_name}】废标：{title}",
        "您好：\n\n“{title}”（{ocid}）废标。理由：{reason}",
    ),
    (
        "[{tenant_name}] Tender failed: {title}",
        'Hello,\n\nThe tender "{title}" ({ocid}) failed. Reason: {reason}',
    ),
)
BID_INVALID = _event(
    "tendering.bid_invalid",
    ("投标无效通知", "Bid found invalid"),
    (
        "【{tenant_name}】投标无效：{title}",
        "您好：\n\n贵单位对“{title}”（{ocid}）的投标未通过{stage}，为无效投标。理由：{reason}",
    ),
    (
        "[{tenant_name}] Bid found invalid: {title}",
        'Hello,\n\nYour bid for "{title}" ({ocid}) did not pass the {stage} and is invalid. '
        "Reason: {reason}",
    ),
)
COMMITTEE_SEAT = _event(
    "tendering.committee_seat",
    ("评审任务", "Evaluation assignment"),
    (
        "【{tenant_name}】评审任务：{title}",
        "您好：\n\n您已被抽取为“{title}”（{ocid}）的评审委员会成员，请登录平台评审。",
    ),
    (
        "[{tenant_name}] Evaluation assignment: {title}",
        'Hello,\n\nYou sit on the evaluation committee of "{title}" ({ocid}). '
        "Sign in to score the bids.",
    ),
)
REPORT_READY = _event(
    "tendering.report_ready",
    ("评审报告待确认", "Evaluation report to confirm"),
    (
        "【{tenant_name}】评审报告待确认：{title}",
        "您好：\n\n“{title}”（{ocid}）评审完成，请在{confirm_by}前确认中标人。",
    ),
    (
        "[{tenant_name}] Evaluation report to confirm: {title}",
        'Hello,\n\nThe evaluation of "{title}" ({ocid}) is complete. Confirm the winner by '
        "{confirm_by}.",
    ),
)
# A deadline quoted in a notice whose year's holidays nobody has entered was counted
# Monday–Friday and may move: the text says so, as the tender notice does.
_PROVISIONAL = {ZH_CN: "（暂定）", EN: " (provisional)"}


def _provisional_mark(key: str) -> Callable[[Mapping[str, Any], str], dict[str, str]]:
    def derive(context: Mapping[str, Any], locale: str) -> dict[str, str]:
        moment = context.get(key)
        provisional = isinstance(moment, datetime) and workdays.is_provisional_moment(moment)
        return {f"{key}_mark": _PROVISIONAL.get(locale, _PROVISIONAL[EN]) if provisional else ""}

    return derive


RESULT = register_event_type(
    EventType(
        name="tendering.result",
        label={ZH_CN: "采购结果", EN: "Procurement result"},
        templates={
            ZH_CN: (
                "【{tenant_name}】采购结果：{title}",
                "您好：\n\n“{title}”（{ocid}）的中标（成交）供应商为{winner}，金额{price}元。"
                "如有异议，可在{challenge_by}{challenge_by_mark}前提出质疑。",
            ),
            EN: (
                "[{tenant_name}] Result: {title}",
                'Hello,\n\nThe winner of "{title}" ({ocid}) is {winner} at {price} yuan. '
                "Challenges may be filed until {challenge_by}{challenge_by_mark}.",
            ),
        },
        derive=_provisional_mark("challenge_by"),
        derived_keys=frozenset({"challenge_by_mark"}),
    )
)
AWARD_NOTICE = register_event_type(
    EventType(
        name="tendering.award_notice",
        label={ZH_CN: "中标（成交）通知书", EN: "Award notice"},
        templates={
            ZH_CN: (
                "【{tenant_name}】中标（成交）通知书：{title}",
                "您好：\n\n贵单位为“{title}”（{ocid}）的中标（成交）供应商，"
                "中标（成交）金额{price}元。请于{sign_by}{sign_by_mark}前与采购人按照采购文件和"
                "响应文件签订政府采购合同（《政府采购法》第四十六条）。",
            ),
            EN: (
                "[{tenant_name}] Award notice: {title}",
                'Hello,\n\nYou are the winner of "{title}" ({ocid}) at {price} yuan. Please '
                "sign the contract with the buyer, on the terms of the procurement documents and "
                "your bid, by {sign_by}{sign_by_mark} (Government Procurement Law art. 46).",
            ),
        },
        derive=_provisional_mark("sign_by"),
        derived_keys=frozenset({"sign_by_mark"}),
    )
)
OWN_STANDING = _event(
    "tendering.own_standing",
    ("评审得分与排序", "Your score and rank"),
    (
        "【{tenant_name}】评审得分与排序：{title}",
        "您好：\n\n贵单位在“{title}”（{ocid}）中未中标。贵单位的评审得分为{score}分，"
        "排序第{rank}名（共{ranked}名）。",
    ),
    (
        "[{tenant_name}] Your score and rank: {title}",
        'Hello,\n\nYour bid for "{title}" ({ocid}) did not win. It scored {score} points and '
        "ranked {rank} of {ranked}.",
    ),
)
NOT_ACCEPTED = _event(
    "tendering.not_accepted",
    ("未通过审查的原因", "Why your response was not accepted"),
    (
        "【{tenant_name}】未通过审查：{title}",
        "您好：\n\n贵单位在“{title}”（{ocid}）中的响应未通过审查，原因：{reason}",
    ),
    (
        "[{tenant_name}] Response not accepted: {title}",
        'Hello,\n\nYour response to "{title}" ({ocid}) was not accepted. Reason: {reason}',
    ),
)
BID_SECURITY_RETURNED = _event(
    "tendering.bid_security_returned",
    ("投标保证金已退还", "Bid security returned"),
    (
        "【{tenant_name}】投标保证金已退还：{title}",
        "您好：\n\n采购人已退还贵单位在“{title}”（{ocid}）中的投标保证金{amount}元。\n\n说明：{note}",
    ),
    (
        "[{tenant_name}] Bid security returned: {title}",
        'Hello,\n\nThe buyer returned your bid security of {amount} yuan for "{title}" '
        "({ocid}).\n\nNote: {note}",
    ),
    optional={ZH_CN: {"note": "无"}, EN: {"note": "none"}},
)
OVERDUE = _event(
    "tendering.overdue",
    ("采购时限预警", "Procurement deadline passed"),
    (
        "【{tenant_name}】时限已过：{title}",
        "您好：\n\n“{title}”（{ocid}）的{step}已超过法定时限（{due}），请尽快办理。",
    ),
    (
        "[{tenant_name}] Deadline passed: {title}",
        'Hello,\n\nThe {step} of "{title}" ({ocid}) is past its legal deadline ({due}). '
        "Please act now.",
    ),
)
CHALLENGE_FILED = _event(
    "tendering.challenge_filed",
    ("收到质疑", "Challenge filed"),
    (
        "【{tenant_name}】收到质疑：{title}",
        "您好：\n\n“{title}”（{ocid}）收到质疑，请在{answer_by}前答复。",
    ),
    (
        "[{tenant_name}] Challenge filed: {title}",
        'Hello,\n\nA challenge was filed against "{title}" ({ocid}). Answer it by {answer_by}.',
    ),
)
ENQUIRY_RECEIVED = _event(
    "tendering.enquiry_received",
    ("收到澄清问题", "Enquiry received"),
    (
        "【{tenant_name}】收到澄清问题：{title}",
        "您好：\n\n“{title}”（{ocid}）收到供应商提出的问题，请在{answer_by}前答复。",
    ),
    (
        "[{tenant_name}] Enquiry received: {title}",
        'Hello,\n\nA supplier asked a question about "{title}" ({ocid}). Answer it by {answer_by}.',
    ),
)
OBJECTION_RECEIVED = _event(
    "tendering.objection_received",
    ("收到单一来源异议", "Objection to a single source"),
    (
        "【{tenant_name}】收到单一来源异议：{title}",
        "您好：\n\n“{title}”（{ocid}）的单一来源公示收到{objector}的异议，请组织补充论证，"
        "在{answer_by}前答复；异议未答复前财政部门不能批准。",
    ),
    (
        "[{tenant_name}] Objection to a single source: {title}",
        'Hello,\n\n{objector} objected to the single-source notice of "{title}" ({ocid}). '
        "Answer by {answer_by}; finance cannot approve while it is unanswered.",
    ),
)
# 74号令 art. 40: the buyer tells each objector the justification's conclusion.
OBJECTION_CONCLUDED = _event(
    "tendering.objection_concluded",
    ("单一来源异议处理结论", "Objection to a single source: conclusion"),
    (
        "【{tenant_name}】单一来源异议处理结论：{title}",
        "您好：\n\n贵单位对“{title}”（{ocid}）单一来源公示提出的异议，经补充论证，"
        "{conclusion_zh}\n\n论证意见：{opinion}",
    ),
    (
        "[{tenant_name}] Your objection to a single source: {title}",
        "Hello,\n\nThe supplementary justification of your objection to the single-source "
        'notice of "{title}" ({ocid}) concluded: {conclusion_en}\n\nOpinion: {opinion}',
    ),
)
CHALLENGE_ANSWERED = _event(
    "tendering.challenge_answered",
    ("质疑答复", "Challenge answered"),
    (
        "【{tenant_name}】质疑答复：{title}",
        "您好：\n\n贵单位对“{title}”（{ocid}）的质疑已答复。\n\n{answer}",
    ),
    (
        "[{tenant_name}] Challenge answered: {title}",
        'Hello,\n\nYour challenge to "{title}" ({ocid}) has been answered.\n\n{answer}',
    ),
)


# --- credit: a bidder barred while the procurement runs (credit_listener) ---------------------
_BAR_OUTCOMES = {
    ZH_CN: {
        "applied": "其投标（响应）已被认定无效并予以剔除，因为本项目采购文件适用该类记录。",
        "not_applied": "其投标（响应）未被剔除，因为本项目采购文件未将该类记录列为资格条件。",
        "outside_window": "其投标（响应）未被剔除，因为该记录不在采购文件规定的信用查询期间内。",
    },
    EN: {
        "applied": "Its bid or offer is set aside, because your documents apply that bar.",
        "not_applied": "Its bid or offer is not set aside, because your documents do not apply "
        "that bar.",
        "outside_window": "Its bid or offer is not set aside, because the bar falls outside the "
        "credit window your documents fix.",
    },
}


def _bar_outcome(context: Mapping[str, Any], locale: str) -> dict[str, str]:
    return {"outcome": _BAR_OUTCOMES[locale if locale in _BAR_OUTCOMES else EN][context["why"]]}


BIDDER_BARRED = register_event_type(
    EventType(
        name="tendering.bidder_barred",
        label={ZH_CN: "供应商被列入不良行为记录", EN: "A bidder was barred"},
        templates={
            ZH_CN: (
                "【{tenant_name}】供应商被列入不良行为记录：{title}",
                "您好：\n\n“{title}”（{ocid}）的供应商{provider_name}已被列入{bar}。\n\n{outcome}",
            ),
            EN: (
                "[{tenant_name}] A bidder was barred: {title}",
                'Hello,\n\n{provider_name}, a supplier in "{title}" ({ocid}), was barred: '
                "{bar}.\n\n{outcome}",
            ),
        },
        derive=_bar_outcome,
        derived_keys=frozenset({"outcome"}),
        needs=frozenset({"why"}),
    )
)


# --- holiday calendar: deadlines counted again once their year was entered ---
DEADLINES_RECOMPUTED = _event(
    "tendering.deadlines_recomputed",
    ("期限已重新计算", "Deadlines recomputed"),
    (
        "【{tenant_name}】期限已按{year}年节假日安排重新计算：{title}",
        "您好：\n\n{year}年节假日安排已录入，“{title}”（{ocid}）按该年安排暂定的期限已重新"
        "计算：{changes}。",
    ),
    (
        "[{tenant_name}] Deadlines recomputed with the {year} holidays: {title}",
        "Hello,\n\nThe holiday arrangement of {year} was entered; the provisional deadlines of "
        '"{title}" ({ocid}) were counted again: {changes}.',
    ),
)
