"""What credit tells people: a record waits for an approver; a provider is barred in a region,
or a bar there is lifted. zh-CN with English fallback.

The messages name the recording region, the scope and the period, never the recording
region's reasons: those stay with the record (and the provider reads them about itself at
``/v1/me/disqualifications``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notifications.service import EN, ZH_CN, EventType, register_event_type


def _scope_name(context: Mapping[str, Any], locale: str) -> str:
    scope, source, province = context["scope"], context["source_name"], context["province_name"]
    if locale == ZH_CN:
        return {"tenant": f"仅限{source}", "province": f"{province}全省", "national": "全国"}[
            str(scope)
        ]
    return {"tenant": f"{source} only", "province": f"all of {province}", "national": "nationwide"}[
        str(scope)
    ]


def _scope(context: Mapping[str, Any], locale: str) -> dict[str, str]:
    return {"scope_name": _scope_name(context, locale)}


def _scope_and_remaining(context: Mapping[str, Any], locale: str) -> dict[str, str]:
    still = bool(context["still_barred"])
    if locale == ZH_CN:
        remaining = (
            "该机构仍有其他生效的不良行为记录，限制继续有效。"
            if still
            else "该机构现可依法参加政府采购活动。"
        )
    else:
        remaining = (
            "Another record still bars the provider; the restriction continues."
            if still
            else "The provider may take part in government procurement again."
        )
    return {"scope_name": _scope_name(context, locale), "remaining": remaining}


SCOPE_NEEDS = frozenset({"scope", "source_name", "province_name"})

DISQUALIFICATION_PROPOSED = register_event_type(
    EventType(
        name="credit.disqualification_proposed",
        label={ZH_CN: "不良行为记录待确认", EN: "Disqualification to confirm"},
        templates={
            ZH_CN: (
                "【{tenant_name}】不良行为记录待确认：{provider_name}",
                "您好：\n\n已登记{provider_name}（统一社会信用代码：{uscc}）的政府采购不良行为"
                "记录，适用范围：{scope_name}，期限自{starts_on}至{last_day}，依据：{legal_basis}。"
                "\n\n请审核证据后确认或不予确认；登记人本人不能确认。",
            ),
            EN: (
                "[{tenant_name}] Disqualification to confirm: {provider_name}",
                "Hello,\n\nA bad-conduct record of {provider_name} (USCC {uscc}) was entered, "
                "with scope: {scope_name}, from {starts_on} to {last_day} inclusive, under "
                "{legal_basis}.\n\nPlease review the evidence and confirm or reject it; the "
                "person who entered it cannot confirm it.",
            ),
        },
        derive=_scope,
        derived_keys=frozenset({"scope_name"}),
        needs=SCOPE_NEEDS,
    )
)

PROVIDER_BARRED = register_event_type(
    EventType(
        name="credit.provider_barred",
        label={ZH_CN: "服务机构被列入不良行为记录名单", EN: "Provider disqualified"},
        templates={
            ZH_CN: (
                "【{tenant_name}】{provider_name}被列入政府采购不良行为记录名单",
                "您好：\n\n{source_name}已将{provider_name}（统一社会信用代码：{uscc}）列入"
                "政府采购不良行为记录名单，适用范围：{scope_name}，期限自{starts_on}至"
                "{last_day}，依据：{legal_basis}。\n\n期限内，该机构不得在{applies_in}参加"
                "政府采购活动。",
            ),
            EN: (
                "[{tenant_name}] {provider_name} disqualified from government procurement",
                "Hello,\n\n{source_name} listed {provider_name} (USCC {uscc}) for bad conduct "
                "in government procurement, with scope: {scope_name}, from {starts_on} to "
                "{last_day} inclusive, under {legal_basis}.\n\nUntil then it may not take part "
                "in government procurement in {applies_in}.",
            ),
        },
        derive=_scope,
        derived_keys=frozenset({"scope_name"}),
        needs=SCOPE_NEEDS,
    )
)

PROVIDER_BAR_LIFTED = register_event_type(
    EventType(
        name="credit.provider_bar_lifted",
        label={ZH_CN: "不良行为记录已撤销", EN: "Disqualification revoked"},
        templates={
            ZH_CN: (
                "【{tenant_name}】{provider_name}的不良行为记录已撤销",
                "您好：\n\n{source_name}已撤销{provider_name}（统一社会信用代码：{uscc}）的"
                "政府采购不良行为记录（适用范围：{scope_name}，原期限自{starts_on}至"
                "{last_day}），该记录不再限制其在{applies_in}参加政府采购活动。\n\n{remaining}",
            ),
            EN: (
                "[{tenant_name}] Disqualification of {provider_name} revoked",
                "Hello,\n\n{source_name} revoked the bad-conduct record of {provider_name} "
                "(USCC {uscc}) with scope: {scope_name}, which ran from {starts_on} to "
                "{last_day}. It no longer keeps the provider from government procurement in "
                "{applies_in}.\n\n{remaining}",
            ),
        },
        derive=_scope_and_remaining,
        derived_keys=frozenset({"scope_name", "remaining"}),
        needs=SCOPE_NEEDS | {"still_barred"},
    )
)
