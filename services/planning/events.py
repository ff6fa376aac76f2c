"""What planning tells people at each hand-off, in zh-CN with English fallback."""

from __future__ import annotations

from services.notifications.service import EN, ZH_CN, EventType, register_event_type

DECLARATION_SUBMITTED = register_event_type(
    EventType(
        name="planning.declaration_submitted",
        label={ZH_CN: "需求申报待审核", EN: "Needs declaration to review"},
        templates={
            ZH_CN: (
                "【{tenant_name}】{organisation_name}提交了需求申报：{title}",
                "您好：\n\n{organisation_name}提交了{fiscal_year}年度需求申报“{title}”"
                "（第{version}版），申请金额{requested_amount}元，请及时审核。",
            ),
            EN: (
                "[{tenant_name}] Needs declaration from {organisation_name}: {title}",
                'Hello,\n\n{organisation_name} submitted the needs declaration "{title}" for '
                "{fiscal_year} (version {version}), asking for {requested_amount} yuan. "
                "Please review it.",
            ),
        },
    )
)

DECLARATION_ACCEPTED = register_event_type(
    EventType(
        name="planning.declaration_accepted",
        label={ZH_CN: "需求申报已受理", EN: "Needs declaration accepted"},
        templates={
            ZH_CN: (
                "【{tenant_name}】需求申报已受理：{title}",
                "您好：\n\n贵单位的需求申报“{title}”（第{version}版）已由民政部门受理，"
                "将纳入项目库统筹。\n\n审核意见：{comment}",
            ),
            EN: (
                "[{tenant_name}] Needs declaration accepted: {title}",
                'Hello,\n\nThe civil affairs bureau accepted your needs declaration "{title}" '
                "(version {version}) for the project library.\n\nReviewer's note: {comment}",
            ),
        },
        optional={ZH_CN: {"comment": "无"}, EN: {"comment": "none"}},
    )
)

DECLARATION_RETURNED = register_event_type(
    EventType(
        name="planning.declaration_returned",
        label={ZH_CN: "需求申报被退回", EN: "Needs declaration returned"},
        templates={
            ZH_CN: (
                "【{tenant_name}】需求申报被退回：{title}",
                "您好：\n\n贵单位的需求申报“{title}”（第{version}版）被民政部门退回，"
                "请按意见修改后重新提交。\n\n退回意见：{comment}",
            ),
            EN: (
                "[{tenant_name}] Needs declaration returned: {title}",
                'Hello,\n\nThe civil affairs bureau returned your needs declaration "{title}" '
                "(version {version}). Please revise and submit it again.\n\n"
                "Reviewer's comments: {comment}",
            ),
        },
    )
)

BUDGET_SUBMITTED = register_event_type(
    EventType(
        name="planning.budget_submitted",
        label={ZH_CN: "年度预算待审核", EN: "Annual budget to review"},
        templates={
            ZH_CN: (
                "【{tenant_name}】民政部门报送预算：{budget_title}",
                "您好：\n\n民政部门报送了{fiscal_year}年度预算“{budget_title}”，共{line_count}个项目，"
                "申请金额{requested_total}元，请审核。",
            ),
            EN: (
                "[{tenant_name}] Budget submitted: {budget_title}",
                "Hello,\n\nThe civil affairs bureau submitted the {fiscal_year} budget "
                '"{budget_title}" with {line_count} project(s) asking for {requested_total} yuan.'
                " Please review it.",
            ),
        },
    )
)

BUDGET_RETURNED = register_event_type(
    EventType(
        name="planning.budget_returned",
        label={ZH_CN: "年度预算被退回", EN: "Annual budget returned"},
        templates={
            ZH_CN: (
                "【{tenant_name}】财政部门退回预算：{budget_title}",
                "您好：\n\n财政部门退回了{fiscal_year}年度预算“{budget_title}”，"
                "请修改后重新报送。\n\n退回意见：{comment}",
            ),
            EN: (
                "[{tenant_name}] Budget returned: {budget_title}",
                'Hello,\n\nThe finance bureau returned the {fiscal_year} budget "{budget_title}".'
                " Please revise and submit it again.\n\nComments: {comment}",
            ),
        },
    )
)

BUDGET_APPROVED = register_event_type(
    EventType(
        name="planning.budget_approved",
        label={ZH_CN: "年度预算已批复", EN: "Annual budget approved"},
        templates={
            ZH_CN: (
                "【{tenant_name}】预算已批复：{budget_title}",
                "您好：\n\n财政部门已批复{fiscal_year}年度预算“{budget_title}”，"
                "批复金额{approved_total}元（申请{requested_total}元，核减{cut_count}个项目）。"
                "已批复的项目可以进入采购。\n\n批复意见：{comment}",
            ),
            EN: (
                "[{tenant_name}] Budget approved: {budget_title}",
                'Hello,\n\nThe finance bureau approved the {fiscal_year} budget "{budget_title}": '
                "{approved_total} yuan of the {requested_total} asked ({cut_count} line(s) cut). "
                "Approved projects may now be procured.\n\nComments: {comment}",
            ),
        },
        optional={ZH_CN: {"comment": "无"}, EN: {"comment": "none"}},
    )
)

BUDGET_LINE_CUT = register_event_type(
    EventType(
        name="planning.budget_line_cut",
        label={ZH_CN: "预算项目被核减", EN: "Budget line cut"},
        templates={
            ZH_CN: (
                "【{tenant_name}】项目预算被核减：{project_title}",
                "您好：\n\n项目“{project_title}”的预算由申请的{requested_amount}元核减为"
                "{approved_amount}元。\n\n核减理由：{reason}",
            ),
            EN: (
                "[{tenant_name}] Budget line cut: {project_title}",
                'Hello,\n\nThe budget of the project "{project_title}" was cut from '
                "{requested_amount} to {approved_amount} yuan.\n\nReason: {reason}",
            ),
        },
    )
)
