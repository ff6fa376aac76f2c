"""How the platform's procurement terms read in OCDS 1.1's codelists."""

from __future__ import annotations

from typing import Any

from services.planning import service as planning

# Method string → (OCDS procurementMethod, or None where it depends on how suppliers came;
# procurementMethodDetails in Chinese). Keyed by tendering's method strings.
METHODS: dict[str, tuple[str | None, str]] = {
    "open_tender": ("open", "公开招标"),
    "invited_tender": ("selective", "邀请招标"),
    "single_source": ("direct", "单一来源"),
    "competitive_negotiation": (None, "竞争性谈判"),
    "competitive_consultation": (None, "竞争性磋商"),
}
# How a negotiation's or consultation's suppliers came (tendering's supplier selection, 74号令
# art. 12): a public notice lets anyone in, a draw from a library or a prequalification picks
# among the qualified, written recommendations are the buyer's own choice.
BY_SELECTION = {
    "notice": "open",
    "prequalification": "selective",
    "library": "selective",
    "recommendations": "limited",
    # A failed open tender's two valid bidders, and no one else (74号令 art. 27).
    "continuation": "limited",
}
# No recorded selection: the buyer invited them, which OCDS calls limited.
UNRECORDED_SELECTION = "limited"

REASON_NAMES = {
    "limited_suppliers": "具有特殊性，只能从有限范围的供应商处采购",
    "tender_cost_disproportionate": "采用公开招标方式的费用占政府采购项目总价值的比例过大",
    "tender_failed": "招标后没有供应商投标或者没有合格标的或者重新招标未能成立",
    "technically_complex": "技术复杂或者性质特殊，不能确定详细规格或者具体要求",
    "urgent": "采用招标所需时间不能满足用户紧急需要",
    "price_not_calculable": "不能事先计算出价格总额",
    "only_one_supplier": "只能从唯一供应商处采购",
    "unforeseeable_emergency": "发生了不可预见的紧急情况不能从其他供应商处采购",
    "continuity_addition": "必须保证原有采购项目一致性或者服务配套的要求，需要继续从原供应商处添购",
}

# The funders' names are planning's, which the statistics' downloads say too.
FUNDING_SOURCE_NAMES = {str(key): name for key, name in planning.FUNDING_SOURCE_NAMES.items()}


def procurement_method(method: str, selection_source: str | None) -> tuple[str, str]:
    """(procurementMethod, procurementMethodDetails) of a method string."""
    code, details = METHODS.get(method, (None, method))
    if code is None:
        code = BY_SELECTION.get(selection_source or "", UNRECORDED_SELECTION)
    return code, details


def rationale(reason: str | None, justification: str | None) -> str | None:
    parts = [REASON_NAMES.get(reason, reason) if reason else None, justification]
    text = "；".join(p for p in parts if p)
    return text or None


def award_criteria(criteria: list[dict[str, Any]]) -> tuple[str, str]:
    """(awardCriteria, awardCriteriaDetails): comprehensive scoring with a price weight and
    others is ratedCriteria (综合评分法); price alone is priceOnly (最低评标价法)."""
    others = [c for c in criteria if not c.get("price") and int(c.get("weight", 0)) > 0]
    if not others:
        return "priceOnly", "最低评标价法（价格）"
    details = "；".join(f"{c['name']} {c['weight']}分" for c in criteria)
    return "ratedCriteria", f"综合评分法：{details}"
