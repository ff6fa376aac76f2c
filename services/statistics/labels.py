"""The statistics' keys in Chinese, for the downloads: the contexts' own names of methods,
funding sources, target groups, staff levels, grades and scopes, and the figures' own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from services.credit import schemas as credit
from services.delivery import evaluation_rules, report_schemas
from services.delivery.acceptance_telling import RESULT_NAMES
from services.notifications.templates import ROLE_NAMES, ZH_CN
from services.planning import schemas as planning
from services.statistics import kinds
from services.tendering.notices import METHOD_NAMES as METHODS

Key = TypeVar("Key", bound=str)


def _plain(names: Mapping[Key, str]) -> dict[str, str]:
    """An enum-keyed table of names keyed by the enum's values, as the figures carry them."""
    return {str(key): name for key, name in names.items()}


FUNDING_SOURCE_NAMES = _plain(planning.FUNDING_SOURCE_NAMES)
PROGRAMME_AREA_NAMES = _plain(planning.PROGRAMME_AREA_NAMES)
TARGET_GROUP_NAMES = _plain(planning.TARGET_GROUP_NAMES)
METHOD_NAMES = _plain(METHODS)
STAFF_LEVEL_NAMES = _plain(report_schemas.STAFF_LEVEL_NAMES)
GRADE_NAMES = _plain(evaluation_rules.GRADE_NAMES)
SCOPE_NAMES = _plain(credit.SCOPE_NAMES)
PROVIDER_KIND_NAMES = kinds.NAMES

LEVEL_NAMES = {"national": "全国", "province": "省级", "city": "市级", "county": "县级"}

METRIC_NAMES = {
    "budget_approved": "批复预算金额",
    "procurements": "采购项目数",
    "procurements_failed": "失败（废标）的采购项目数",
    "procurements_reviewed": "已评审的采购项目数",
    "valid_bids": "有效投标（响应）数",
    "single_valid_bid": "仅一家有效投标（响应）的采购项目数",
    "budget_awarded": "已成交项目的预算金额",
    "awarded_value": "成交金额",
    "contracts": "已签订合同数",
    "contracted_value": "合同金额",
    "paid": "已支付金额",
    "people_served": "服务人数",
    "service_hours": "服务时长（小时）",
    "acceptances": "验收数",
    "evaluations": "第三方评估数",
    "bars_in_force": "有效的失信惩戒记录数",
}
MONEY_METRICS = frozenset(
    {"budget_approved", "budget_awarded", "awarded_value", "contracted_value", "paid"}
)
HOURS_METRICS = frozenset({"service_hours"})

# What a row of the drill-down comes from (figures.DETAIL's kind).
KIND_NAMES = {
    "budget_line": "预算明细",
    "procurement": "采购项目",
    "contract": "合同",
    "payment": "支付",
    "report": "服务进度报告",
    "acceptance": "验收",
    "evaluation": "第三方评估",
    "disqualification": "失信惩戒记录",
}

_METHOD_METRICS = (
    "procurements",
    "procurements_failed",
    "procurements_reviewed",
    "valid_bids",
    "single_valid_bid",
)
# The names of a metric's dimension (figures.DETAIL's dimension column).
_DIMENSIONS: dict[str, Mapping[str, str]] = {
    "budget_approved": FUNDING_SOURCE_NAMES,
    **dict.fromkeys(_METHOD_METRICS, METHOD_NAMES),
    "people_served": TARGET_GROUP_NAMES,
    "service_hours": STAFF_LEVEL_NAMES,
    "acceptances": RESULT_NAMES,
    "evaluations": GRADE_NAMES,
    "bars_in_force": SCOPE_NAMES,
}


def named(names: Mapping[str, str], key: str) -> str:
    """A key's Chinese name; a key nobody has named yet reads as itself rather than failing."""
    return names.get(key, key)


def dimension(metric: str, key: str) -> str:
    return named(_DIMENSIONS.get(metric, {}), key) if key else ""


def roles(held: list[str]) -> str:
    """The exporter's roles in Chinese, never the person."""
    chinese = _plain(ROLE_NAMES[ZH_CN])
    return "、".join(chinese.get(role, role) for role in held)
