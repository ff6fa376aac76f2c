"""The legal numbers of government procurement: national defaults a region may tighten, never
loosen, and the checks the tendering procedure calls before each step.

Every number lives in :class:`LegalRules` with the national default; :data:`RULES` says for
each whether it is a minimum (a region may only raise it), a maximum (only lower it) or the
region's own figure, and names its legal source. Overrides are stored per region in
``tendering_rules``. A province's bind every region under it (the first two digits of the
division code), which may only tighten them further; :func:`rules_for` merges the law, the
province's overrides (read through ``province_tendering_rules()``) and the region's own, each
yielding to what a later change above it made stricter; :func:`set_overrides` refuses a value
looser than what binds the region with ``rule_loosened``.

A check that fails raises :class:`LegalRuleBroken` (422 ``legal_rule_broken``), whose problem
body names the ``rule`` (a LegalRules field) and the request ``field``. Times are compared in
Asia/Shanghai; working days come from :mod:`services.kit.workdays`.

Days are counted as the law counts them (民法典 arts. 201–203: a period starts the day after
the event and ends at 24:00 Asia/Shanghai of its last day; a calendar-day deadline whose last day
is a rest day moves to the next working day). Each rule's wording decides its reading, and
:data:`READINGS` names it per rule; the arithmetic is :mod:`services.kit.workdays`'s:

- "from A to B not less than N (working) days" (政府采购法 art. 35, 实施条例 art. 31, 214号
  art. 10, 74号令 art. 10): B may fall on the N-th (working) day after A's day, at any time
  (``not_before_nth_day``, ``not_before_nth_working_day``);
- a notice period followed by an act (74号令 art. 38): the act comes only after the period's
  last working day has ended (``after_working_day_period``);
- "within N working days of A": up to 24:00 of the N-th working day after A's day
  (``end_of_nth_working_day``);
- "within N days of A": up to 24:00 of the N-th day after A's day, or of the next working day
  when that is a rest day (``calendar_deadline``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import structlog
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import DomainError, InvalidField
from services.tendering.models import TenderingRules
from services.tendering.schemas import RuleOut, RulesOut

log = structlog.get_logger(__name__)

RuleValue = bool | int | Decimal | Fraction
Kind = Literal["min", "max", "own"]
# Where a value in force comes from: the law (the national default), the province's rules
# (which bind every region under it) or the region's own.
Origin = Literal["law", "province", "region"]


@dataclass(frozen=True)
class LegalRules:
    """The numbers one region's procedures follow; the defaults are the national law's."""

    # 政府采购法 art. 35: ≥ 20 calendar days from issuing the tender documents to the bid
    # deadline (open and invited tender).
    open_tender_min_days: int = 20
    # 政府采购法实施条例 art. 31: a clarification or change that may affect bid preparation
    # comes ≥ 15 days before the bid deadline, else the deadline moves.
    clarification_min_days: int = 15
    # 财政部令第74号 art. 10: in a competitive negotiation, a clarification or change that may
    # affect the responses comes ≥ 3 working days before the response deadline, else the
    # deadline moves (顺延).
    negotiation_clarification_min_working_days: int = 3
    # 财库〔2014〕214号 art. 10: in a competitive consultation, ≥ 5 days before the deadline of
    # the first responses, else it moves.
    consultation_clarification_min_days: int = 5
    # 财库〔2014〕214号 art. 9: ≥ 10 calendar days from issuing the consultation documents to
    # the first responses ("不得少于10日").
    consultation_response_min_days: int = 10
    # 财库〔2014〕214号 art. 6: a consultation invites ≥ 3 suppliers.
    consultation_min_suppliers: int = 3
    # 财库〔2015〕124号 (reading 214号 art. 21): a consultation purchasing services may go on
    # with 2 compliant suppliers; with fewer it fails. Every purchase here is of services.
    consultation_services_min_suppliers: int = 2
    # 财库〔2014〕214号 art. 24: in a consultation's comprehensive scoring the price weighs
    # 10–30 % for services; outside it only with finance's approval.
    consultation_price_weight_min: int = 10
    consultation_price_weight_max: int = 30
    # 财政部令第87号: fewer than 3 bids at the deadline → not opened, the tender fails.
    open_tender_min_bids: int = 3
    # 政府采购法 art. 34: invited tender invites ≥ 3 qualified suppliers.
    invited_min_suppliers: int = 3
    # 财政部令第74号: competitive negotiation with ≥ 3 suppliers, ≥ 3 working days from the
    # documents to the first response deadline.
    negotiation_min_suppliers: int = 3
    negotiation_min_response_working_days: int = 3
    # 财政部令第74号 art. 27: an open tender (goods, services) in which only two suppliers bid,
    # or only two passed the review, may go on — finance approving (art. 4) — as a
    # competitive negotiation with those two; arts. 33 and 35's three suppliers read two.
    # 87号令 art. 43 applies it at or above the open-tender threshold. Exactly two by law.
    continuation_suppliers: int = 2
    # 财政部令第74号 art. 38: a single-source purchase is publicly noticed ≥ 5 working days
    # before it is approved.
    single_source_notice_working_days: int = 5
    # 财政部令第74号 art. 40: the objections to a single-source notice are answered by the
    # buyer's supplementary justification (补充论证) within 5 working days after the notice
    # ends (justification.py); the justification's due time.
    objection_answer_working_days: int = 5
    # 财政部令第87号 art. 47: the evaluation committee is an odd number ≥ 5, ≥ 7 when the
    # budget is ≥ 10,000,000 元; experts are ≥ 2/3 of it.
    committee_min_members: int = 5
    committee_min_members_large: int = 7
    large_budget_yuan: Decimal = Decimal("10000000")
    committee_min_expert_share: Fraction = Fraction(2, 3)
    # 财政部令第74号 art. 7: the negotiation group is an odd number ≥ 3, ≥ 5 when the budget
    # reaches the open-tender threshold; experts ≥ 2/3 (the same share as the committee).
    negotiation_group_min_members: int = 3
    negotiation_group_min_members_above_threshold: int = 5
    # 政府采购法 art. 27: the open-tender threshold for services. 2,000,000 元 is the central
    # budget units' standard (国办发〔2019〕55号) and the floor of a province's own figure for
    # local budgets (财库〔2019〕69号); the province sets it, its regions may only lower it.
    open_tender_threshold_yuan: Decimal = Decimal("2000000")
    # 民发〔2012〕196号: finance approves every non-open purchase of social work services, also
    # below the open-tender threshold, where the law itself (政府采购法 art. 27, 实施条例
    # art. 23) asks it only at or above the threshold. On by default; a province may turn it
    # off for its regions, a region under it may only turn it on.
    approval_below_threshold: bool = True
    # 财政部令第87号 art. 55, 财库〔2014〕214号: in comprehensive scoring the price weighs
    # ≥ 10 % for services; a region may cap it (e.g. 30, as competitive consultation does).
    price_weight_min: int = 10
    price_weight_max: int = 100
    # 政府采购法实施条例 art. 43: the buyer confirms the winner within 5 working days of the
    # evaluation report and announces the result within 2 working days of confirming.
    confirm_winner_working_days: int = 5
    result_notice_working_days: int = 2
    # 政府采购法实施条例 art. 43: the result notice is published for 1 working day; the
    # challenge period starts when that publication ends (art. 53).
    result_publication_working_days: int = 1
    # 政府采购法 art. 46: the contract is signed within 30 days of the award notice.
    contract_days: int = 30
    # 政府采购法 arts. 52–53: a supplier challenges (质疑) within 7 working days, counted from
    # the end of the result notice's publication (实施条例 art. 53); the buyer answers within 7
    # working days.
    challenge_working_days: int = 7
    challenge_answer_working_days: int = 7
    # 政府采购法实施条例 art. 33: bid security ≤ 2 % of the budget; art. 48: performance
    # security ≤ 10 % of the contract.
    bid_security_max_percent: Decimal = Decimal("2")
    performance_security_max_percent: Decimal = Decimal("10")
    # 财政部令第87号 art. 38: bid securities come back within 5 working days of the award
    # notice (the losing bidders') or of signing the contract (the winner's).
    bid_security_return_working_days: int = 5
    # 政府采购法 art. 49: supplementary purchases within a contract ≤ 10 % of its value.
    supplementary_max_percent: Decimal = Decimal("10")


NATIONAL = LegalRules()


@dataclass(frozen=True)
class RuleInfo:
    """How a rule may be changed by a region, and where the law says it."""

    kind: Kind
    source: str
    unit: str
    description: str
    # Bounds on any value at all (the tighten-only check comes on top).
    lowest: RuleValue
    highest: RuleValue
    odd: bool = False
    # How a province's own value stands to the law, where it differs from ``kind`` (which is
    # how every region under the province stands to the province's value in force).
    province_kind: Kind | None = None

    @property
    def kind_of_province(self) -> Kind:
        return self.province_kind or self.kind


def _members(source: str, description: str) -> RuleInfo:
    return RuleInfo("min", source, "members", description, 1, 99, odd=True)


def _working_days(kind: Kind, source: str, description: str) -> RuleInfo:
    return RuleInfo(kind, source, "working_days", description, 0, 60)


def _days(kind: Kind, source: str, description: str) -> RuleInfo:
    return RuleInfo(kind, source, "days", description, 1, 365)


def _count(source: str, unit: str, description: str) -> RuleInfo:
    return RuleInfo("min", source, unit, description, 1, 99)


def _percent(kind: Kind, source: str, description: str) -> RuleInfo:
    return RuleInfo(kind, source, "percent", description, Decimal(0), Decimal(100))


def _yuan(kind: Kind, source: str, description: str) -> RuleInfo:
    return RuleInfo(kind, source, "yuan", description, Decimal(1), Decimal("999999999999"))


RULES: dict[str, RuleInfo] = {
    "open_tender_min_days": _days(
        "min",
        "政府采购法 art. 35",
        "calendar days from issuing the tender documents to the bid deadline",
    ),
    "clarification_min_days": _days(
        "min",
        "政府采购法实施条例 art. 31",
        "calendar days a clarification or change must precede the bid deadline (tenders)",
    ),
    "negotiation_clarification_min_working_days": _working_days(
        "min",
        "财政部令第74号 art. 10",
        "working days a clarification must precede a negotiation's response deadline",
    ),
    "consultation_clarification_min_days": _days(
        "min",
        "财库〔2014〕214号 art. 10",
        "days a clarification must precede a consultation's first-response deadline",
    ),
    "consultation_response_min_days": _days(
        "min",
        "财库〔2014〕214号 art. 9",
        "calendar days from issuing the consultation documents to the first responses",
    ),
    "consultation_min_suppliers": _count(
        "财库〔2014〕214号 art. 6", "suppliers", "suppliers invited to a competitive consultation"
    ),
    "consultation_services_min_suppliers": _count(
        "财库〔2015〕124号; 财库〔2014〕214号 art. 21",
        "suppliers",
        "compliant suppliers a consultation purchasing services needs to go on (fewer: it fails)",
    ),
    "consultation_price_weight_min": RuleInfo(
        "min",
        "财库〔2014〕214号 art. 24",
        "percent",
        "lowest weight of the price in a consultation's scoring (services; finance may approve"
        " another)",
        0,
        100,
    ),
    "consultation_price_weight_max": RuleInfo(
        "max",
        "财库〔2014〕214号 art. 24",
        "percent",
        "highest weight of the price in a consultation's scoring (services; finance may approve"
        " another)",
        0,
        100,
    ),
    "open_tender_min_bids": _count(
        "财政部令第87号", "bids", "bids needed at the deadline to open a tender"
    ),
    "invited_min_suppliers": _count(
        "政府采购法 art. 34", "suppliers", "suppliers invited to an invited tender"
    ),
    "negotiation_min_suppliers": _count(
        "财政部令第74号", "suppliers", "suppliers invited to a competitive negotiation"
    ),
    "continuation_suppliers": RuleInfo(
        "min",
        "财政部令第74号 art. 27; 财政部令第87号 art. 43",
        "suppliers",
        "valid bids a failed open tender (at or above the threshold) must have left to go on"
        " as a negotiation with them, and the suppliers that negotiation needs: two, fixed by"
        " the law",
        2,
        2,
    ),
    "negotiation_min_response_working_days": _working_days(
        "min",
        "财政部令第74号",
        "working days from the negotiation documents to the response deadline",
    ),
    "single_source_notice_working_days": _working_days(
        "min",
        "财政部令第74号 art. 38",
        "working days of public notice before a single-source purchase is approved",
    ),
    "objection_answer_working_days": _working_days(
        "max",
        "财政部令第74号 art. 40",
        "working days after a single-source notice ends to answer objections to it",
    ),
    "committee_min_members": _members(
        "财政部令第87号 art. 47", "members of a tender evaluation committee (odd)"
    ),
    "committee_min_members_large": _members(
        "财政部令第87号 art. 47",
        "committee members when the budget reaches large_budget_yuan (odd)",
    ),
    "large_budget_yuan": _yuan(
        "max", "财政部令第87号 art. 47", "budget from which the larger committee is required"
    ),
    "committee_min_expert_share": RuleInfo(
        "min",
        "财政部令第87号 art. 47; 财政部令第74号 art. 7",
        "share",
        "share of experts on an evaluation committee or negotiation group",
        Fraction(0),
        Fraction(1),
    ),
    "negotiation_group_min_members": _members(
        "财政部令第74号 art. 7", "members of a negotiation group (odd)"
    ),
    "negotiation_group_min_members_above_threshold": _members(
        "财政部令第74号 art. 7",
        "negotiation group members when the budget reaches the open-tender threshold (odd)",
    ),
    "open_tender_threshold_yuan": RuleInfo(
        "max",
        "政府采购法 art. 27; 财库〔2019〕69号 (a province's figure, not below 2,000,000 元);"
        " 国办发〔2019〕55号 (central budget units: 2,000,000 元)",
        "yuan",
        "the open-tender threshold for services: the province sets it (not below the law's"
        " 2,000,000), a region under it may only lower it",
        Decimal(1),
        Decimal("999999999999"),
        province_kind="min",
    ),
    "approval_below_threshold": RuleInfo(
        "min",
        "民发〔2012〕196号 (the law: 政府采购法 art. 27, 实施条例 art. 23, only at the threshold)",
        "switch",
        "finance approves a non-open method also below the open-tender threshold: a province"
        " may turn it off for its regions, a region under it may only turn it on",
        False,
        True,
        province_kind="own",
    ),
    "price_weight_min": RuleInfo(
        "min",
        "财政部令第87号 art. 55; 财库〔2014〕214号",
        "percent",
        "lowest weight of the price in comprehensive scoring (services)",
        0,
        100,
    ),
    "price_weight_max": RuleInfo(
        "max",
        "财政部令第87号 art. 55; 财库〔2014〕214号",
        "percent",
        "highest weight of the price in comprehensive scoring",
        0,
        100,
    ),
    "confirm_winner_working_days": _working_days(
        "max",
        "政府采购法实施条例 art. 43",
        "working days from the evaluation report to confirming the winner",
    ),
    "result_notice_working_days": _working_days(
        "max",
        "政府采购法实施条例 art. 43",
        "working days from confirming the winner to announcing the result",
    ),
    "result_publication_working_days": RuleInfo(
        "min",
        "政府采购法实施条例 arts. 43, 53",
        "working_days",
        "working days the result notice is published; the challenge period starts after",
        1,
        60,
    ),
    "contract_days": _days(
        "max", "政府采购法 art. 46", "calendar days from the award notice to the contract"
    ),
    "bid_security_return_working_days": _working_days(
        "max",
        "财政部令第87号 art. 38",
        "working days to return a bid security after the award notice (or, the winner's,"
        " after signing)",
    ),
    "challenge_working_days": _working_days(
        "min",
        "政府采购法 art. 52; 政府采购法实施条例 art. 53",
        "working days a supplier has to challenge (质疑), counted from the end of the result"
        " notice's publication",
    ),
    "challenge_answer_working_days": _working_days(
        "max", "政府采购法 art. 53", "working days the buyer has to answer a challenge"
    ),
    "bid_security_max_percent": _percent(
        "max", "政府采购法实施条例 art. 33", "bid security as a percentage of the budget"
    ),
    "performance_security_max_percent": _percent(
        "max",
        "政府采购法实施条例 art. 48",
        "performance security as a percentage of the contract",
    ),
    "supplementary_max_percent": _percent(
        "max",
        "政府采购法 art. 49",
        "supplementary purchases as a percentage of the original contract",
    ),
}
# The one table the tighten-only check reads: "min" may only rise, "max" may only fall,
# "own" is the region's own figure (any value within bounds).
KIND: dict[str, Kind] = {name: info.kind for name, info in RULES.items()}
assert set(RULES) == {f.name for f in fields(LegalRules)}, "every rule needs a RULES row"

# How each period is counted (民法典 arts. 201–203), named after the function of
# services.kit.workdays that counts it; the README's rules table states the same per rule.
Reading = Literal[
    "not_before_nth_day",
    "not_before_nth_working_day",
    "after_working_day_period",
    "end_of_nth_working_day",
    "calendar_deadline",
]
READINGS: dict[str, Reading] = {
    # "自招标文件开始发出之日起至投标人提交投标文件截止之日止，不得少于二十日" (art. 35).
    "open_tender_min_days": "not_before_nth_day",
    # "在投标截止时间至少15日前" (实施条例 art. 31): from the clarification to the deadline.
    "clarification_min_days": "not_before_nth_day",
    # "在提交首次响应文件截止之日3个工作日前" (74号令 art. 10).
    "negotiation_clarification_min_working_days": "not_before_nth_working_day",
    # "在提交首次响应文件截止时间至少5日前" (214号 art. 10).
    "consultation_clarification_min_days": "not_before_nth_day",
    # "从磋商文件开始发出之日起至供应商提交首次响应文件截止之日止不得少于10日" (214号 art. 9).
    "consultation_response_min_days": "not_before_nth_day",
    # "从谈判文件发出之日起至供应商提交首次响应文件截止之日止不得少于3个工作日" (74号令 art. 10).
    "negotiation_min_response_working_days": "not_before_nth_working_day",
    # "公示期不得少于5个工作日" (74号令 art. 38), then the approval: after the period.
    "single_source_notice_working_days": "after_working_day_period",
    # Within 5 working days after the notice period ends (74号令 art. 40).
    "objection_answer_working_days": "end_of_nth_working_day",
    # "在收到评标报告后5个工作日内", "自中标人确定之日起2个工作日内" (实施条例 art. 43).
    "confirm_winner_working_days": "end_of_nth_working_day",
    "result_notice_working_days": "end_of_nth_working_day",
    # "公告期限为1个工作日" (art. 43): its end starts the challenge period (art. 53).
    "result_publication_working_days": "end_of_nth_working_day",
    # "自中标、成交通知书发出之日起三十日内" (政府采购法 art. 46).
    "contract_days": "calendar_deadline",
    # "应知其权益受到损害之日起七个工作日内", answered "七个工作日内" (arts. 52–53).
    "challenge_working_days": "end_of_nth_working_day",
    "challenge_answer_working_days": "end_of_nth_working_day",
    # "5个工作日内退还" (87号令 art. 38).
    "bid_security_return_working_days": "end_of_nth_working_day",
}
assert set(READINGS) == {n for n, i in RULES.items() if i.unit in ("days", "working_days")}, (
    "every period needs its reading"
)


# --- refusals ---------------------------------------------------------------------------------


class LegalRuleBroken(DomainError):
    """A procedure step breaks a legal rule; the body names the ``rule`` and the ``field``."""

    status = 422
    code = "legal_rule_broken"
    title = "Breaks a procurement rule"

    def __init__(self, detail: str, *, rule: str, field: str) -> None:
        super().__init__(detail, field=field, rule=rule)
        self.rule = rule
        self.extra["field"] = field


class RuleLoosened(InvalidField):
    code = "rule_loosened"
    title = "Looser than the law allows"

    def __init__(self, detail: str, *, rule: str) -> None:
        super().__init__(detail, field=rule, rule=rule)


class UnknownRule(InvalidField):
    code = "unknown_rule"
    title = "No such rule"


class RulesContradict(InvalidField):
    code = "rules_contradict"
    title = "Rules contradict each other"


# --- values: parsed from JSON, written back to JSON -------------------------------------------


def to_json(value: RuleValue) -> bool | int | str:
    """Switches and integers stay JSON; amounts, percentages and shares become strings."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


# Percentages to the hundredth and amounts to the fen: at most two decimals, no exponent.
DECIMAL_TEXT = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?")
WHOLE_TEXT = re.compile(r"0|[1-9][0-9]{0,8}")


def _parse(name: str, raw: Any) -> RuleValue:
    default = getattr(NATIONAL, name)
    percent = RULES[name].unit == "percent"
    wrong = InvalidField(f"{name} takes {_expected(default, percent)}.", field=name)
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise wrong
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise wrong
    if isinstance(default, int):
        # A whole percentage may come in the string form every percentage takes ("30").
        if isinstance(raw, str) and percent and WHOLE_TEXT.fullmatch(raw):
            return int(raw)
        if not isinstance(raw, int):
            raise wrong
        return raw
    if isinstance(default, Decimal):
        text = str(raw)
        if not DECIMAL_TEXT.fullmatch(text):
            raise wrong
        return Decimal(text)
    if not isinstance(raw, str):
        raise wrong
    try:
        return Fraction(raw.strip())
    except (ValueError, ZeroDivisionError):
        raise wrong from None


def _expected(default: RuleValue, percent: bool) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return 'a whole percentage, 30 or "30"' if percent else "a whole number"
    if isinstance(default, Decimal):
        return 'a number with at most 2 decimals as a string, e.g. "1.5"'
    return 'a fraction as a string, e.g. "3/4"'


def _show(value: RuleValue) -> str:
    shown = to_json(value)
    return ("on" if shown else "off") if isinstance(shown, bool) else str(shown)


def province_of(tenant: str) -> str:
    """The province of a GB/T 2260 division code (440106 → 440000)."""
    return tenant[:2] + "0000"


def is_province(tenant: str) -> bool:
    return tenant == province_of(tenant)


@dataclass(frozen=True)
class Bound:
    """What a region's value is checked against: the law's, or its province's in force."""

    rules: LegalRules
    province: str | None  # the province whose rules bind, None for a province itself

    def kind(self, name: str) -> Kind:
        info = RULES[name]
        return info.kind if self.province is not None else info.kind_of_province

    def who(self, name: str) -> str:
        """Who set the binding value: the province only where its value is its own."""
        if self.province is None or getattr(self.rules, name) == getattr(NATIONAL, name):
            return "the law"
        return f"the province {self.province}"


LAW = Bound(NATIONAL, None)


def _validate(name: str, raw: Any, bound: Bound) -> RuleValue:
    """One override: a known rule, a value of its type, within bounds, not looser than what
    binds the region (the law for a province; the province's rules in force for a region
    under it)."""
    info = RULES.get(name)
    if info is None:
        raise UnknownRule(f"There is no rule called {name!r}.", field=name)
    value = _parse(name, raw)
    if not info.lowest <= value <= info.highest:
        raise InvalidField(
            f"{name} must be between {_show(info.lowest)} and {_show(info.highest)}.", field=name
        )
    if info.odd and isinstance(value, int) and value % 2 == 0:
        raise InvalidField(f"{name} must be an odd number ({info.source}).", field=name)
    above = getattr(bound.rules, name)
    kind = bound.kind(name)
    if isinstance(above, bool) and kind == "min" and value < above:
        raise RuleLoosened(
            f"{name}: {bound.who(name)} keeps it on ({info.source}); a region under it may "
            "turn it on, never off.",
            rule=name,
        )
    if kind == "min" and value < above:
        raise RuleLoosened(
            f"{name}: {bound.who(name)} requires at least {_show(above)} ({info.source}); "
            "a region may raise it, never lower it.",
            rule=name,
        )
    if kind == "max" and value > above:
        raise RuleLoosened(
            f"{name}: {bound.who(name)} allows at most {_show(above)} ({info.source}); "
            "a region may lower it, never raise it.",
            rule=name,
        )
    return value


def validate_overrides(overrides: dict[str, Any], bound: Bound = LAW) -> dict[str, RuleValue]:
    """Every override checked (the first refusal raised), then the rules checked together."""
    values = {name: _validate(name, raw, bound) for name, raw in sorted(overrides.items())}
    merged = _with(bound.rules, values)
    if merged.price_weight_min > merged.price_weight_max:
        raise RulesContradict(
            f"price_weight_min ({merged.price_weight_min}) is above price_weight_max "
            f"({merged.price_weight_max}): no price weight could satisfy both.",
            field="price_weight_min" if "price_weight_min" in values else "price_weight_max",
        )
    if merged.consultation_price_weight_min > merged.consultation_price_weight_max:
        low = "consultation_price_weight_min"
        raise RulesContradict(
            f"{low} ({merged.consultation_price_weight_min}) is above "
            f"consultation_price_weight_max ({merged.consultation_price_weight_max}): no price "
            "weight could satisfy both.",
            field=low if low in values else "consultation_price_weight_max",
        )
    return values


def _with(base: LegalRules, values: dict[str, RuleValue]) -> LegalRules:
    """``base`` with some values replaced (each already of its field's type)."""
    changes: dict[str, Any] = dict(values)
    return replace(base, **changes)


def _tighter(kind: Kind, above: RuleValue, value: RuleValue) -> RuleValue:
    if kind == "min":
        return max(above, value)
    if kind == "max":
        return min(above, value)
    return value


def _layer(
    base: LegalRules, overrides: dict[str, Any], kind_of: Callable[[RuleInfo], Kind]
) -> tuple[LegalRules, set[str]]:
    """``base`` with the stored overrides of one level applied, each yielding where ``base``
    has since become stricter; and the rules whose stored value is the one in force."""
    values: dict[str, RuleValue] = {}
    kept: set[str] = set()
    for name, raw in overrides.items():
        info = RULES.get(name)
        if info is None:
            log.warning("tendering_rule_unknown_override", rule=name)
            continue
        value = _parse(name, raw)
        values[name] = _tighter(kind_of(info), getattr(base, name), value)
        if values[name] == value:
            kept.add(name)
    return _with(base, values), kept


@dataclass(frozen=True)
class InForce:
    """A region's rules in force, and where each value comes from."""

    rules: LegalRules
    origins: dict[str, Origin]
    province: str | None  # the province whose rules bind the region (itself for a province)
    province_rules: LegalRules  # the law with the province's overrides: what binds a region


def resolve(
    tenant: str, province_overrides: dict[str, Any], own_overrides: dict[str, Any]
) -> InForce:
    """The law, then the province's overrides (each a province may set), then the region's
    (each only tighter than the province's value in force). A stored value that the law or a
    later province change has overtaken yields on read: nothing here ever loosens what binds."""
    if is_province(tenant):
        province_overrides, own_overrides = own_overrides, {}
    province, by_province = _layer(NATIONAL, province_overrides, lambda i: i.kind_of_province)
    in_force, by_region = _layer(province, own_overrides, lambda i: i.kind)
    origins: dict[str, Origin] = {}
    for name in RULES:
        origins[name] = (
            "region" if name in by_region else "province" if name in by_province else "law"
        )
    return InForce(in_force, origins, province_of(tenant), province)


def merge(overrides: dict[str, Any]) -> LegalRules:
    """The national defaults with a province's stored overrides applied (a region under no
    province's rules reads the same). A stored value the law has since overtaken (a stricter
    national default in a later release) yields to the law; a stored name no longer known is
    skipped with a warning."""
    return _layer(NATIONAL, overrides, lambda i: i.kind_of_province)[0]


def as_dict(rules: LegalRules) -> dict[str, bool | int | str]:
    return {name: to_json(value) for name, value in asdict(rules).items()}


# --- a region's rules ---------------------------------------------------------------------------


async def stored_overrides(session: AsyncSession, tenant: str) -> TenderingRules | None:
    return (
        await session.scalars(select(TenderingRules).where(TenderingRules.tenant_id == tenant))
    ).one_or_none()


# The province's overrides, read across regions through the one narrow path there is: a
# SECURITY DEFINER function (migration 0030) that answers the province of the transaction's
# own region, and nothing else.
PROVINCE_RULES = text("SELECT overrides FROM province_tendering_rules()")


async def province_overrides(session: AsyncSession, tenant: str) -> dict[str, Any]:
    """The stored overrides of ``tenant``'s province ({} for a province itself, or when its
    province keeps none). The session must be bound to ``tenant``."""
    if is_province(tenant):
        return {}
    found = (await session.execute(PROVINCE_RULES)).scalar_one_or_none()
    return dict(found) if found else {}


async def in_force(session: AsyncSession, tenant: str) -> InForce:
    row = await stored_overrides(session, tenant)
    own = dict(row.overrides) if row is not None else {}
    return resolve(tenant, await province_overrides(session, tenant), own)


async def rules_for(session: AsyncSession, tenant: str) -> LegalRules:
    """The rules in force in ``tenant``: the law, its province's rules, its own overrides.

    The session must be bound to ``tenant`` (row-level security): the request's session is.
    """
    return (await in_force(session, tenant)).rules


async def set_overrides(
    session: AsyncSession, actor: Actor, overrides: dict[str, Any]
) -> LegalRules:
    """Replace the actor's region's overrides as a whole (``{}`` returns to what binds it).
    A province's are checked against the law; a region's under a province against the
    province's rules in force. Refuses an unknown rule (``unknown_rule``), a looser value
    (``rule_loosened``) or contradicting rules, storing nothing; audited as
    ``tendering_rules.set``."""
    tenant = actor.tenant
    if is_province(tenant):
        bound = LAW
    else:
        province = merge(await province_overrides(session, tenant))
        bound = Bound(province, province_of(tenant))
    values = validate_overrides(overrides, bound)
    stored = {name: to_json(value) for name, value in values.items()}
    current = (
        await session.scalars(
            select(TenderingRules).where(TenderingRules.tenant_id == tenant).with_for_update()
        )
    ).one_or_none()
    before = dict(current.overrides) if current is not None else {}
    statement = insert(TenderingRules).values(
        tenant_id=tenant,
        overrides=stored,
        updated_by=actor.user_id,
        updated_at=datetime.now(UTC),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={
                "overrides": statement.excluded.overrides,
                "updated_by": statement.excluded.updated_by,
                "updated_at": statement.excluded.updated_at,
            },
        )
    )
    if current is not None:
        await session.refresh(current)
    await record(
        session,
        actor,
        "tendering_rules.set",
        "tendering_rules",
        tenant,
        before={"overrides": before},
        after={"overrides": stored},
    )
    return _with(bound.rules, values)


# --- the checks tendering calls -----------------------------------------------------------------


def _at(moment: datetime) -> str:
    return moment.astimezone(workdays.SHANGHAI).strftime("%Y-%m-%d %H:%M (Asia/Shanghai)")


def _source(rule: str) -> str:
    return RULES[rule].source


def check_bid_period(
    rules: LegalRules, issued_at: datetime, bid_deadline: datetime, field: str = "bid_deadline"
) -> None:
    """Open and invited tender: not less than ``open_tender_min_days`` calendar days from
    issuing the tender documents to the bid deadline (政府采购法 art. 35). The day of issue does
    not count; the deadline may fall on the N-th day after it, at any time that day
    (``workdays.not_before_nth_day``): documents issued on 2 Nov allow a deadline from 22 Nov
    00:00 Asia/Shanghai."""
    days = rules.open_tender_min_days
    earliest = workdays.not_before_nth_day(issued_at, days)
    if workdays.require_aware(bid_deadline) < earliest:
        raise LegalRuleBroken(
            f"The bid deadline must be at least {days} days after the tender documents are "
            f"issued (open_tender_min_days, {_source('open_tender_min_days')}): "
            f"not before {_at(earliest)}.",
            rule="open_tender_min_days",
            field=field,
        )


# 顺延: how long before the deadline a clarification that may affect the bids or responses must
# come, by method (the 15-day rule is for tenders only). Keyed by the method's name, so the
# consultation's rule is ready for that method.
CLARIFICATION_RULE: dict[str, str] = {
    "open_tender": "clarification_min_days",
    "invited_tender": "clarification_min_days",
    "competitive_negotiation": "negotiation_clarification_min_working_days",
    "competitive_consultation": "consultation_clarification_min_days",
}


def clarification_rule(method: str) -> str | None:
    """The rule a clarification of this method follows (None: the method has no such rule —
    a single source answers objections to its notice instead)."""
    return CLARIFICATION_RULE.get(method)


def earliest_deadline_after_clarification(
    rules: LegalRules, method: str, published_at: datetime
) -> datetime | None:
    """The earliest deadline a clarification published at ``published_at`` leaves standing.

    Tenders (实施条例 art. 31: "at least 15 days before the deadline") and consultations (214号
    art. 10: 5 days): the deadline may fall on the N-th day after the clarification's day, at
    any time (``workdays.not_before_nth_day``). Negotiations (74号令 art. 10: "3 working days
    before"): on the 3rd working day after it (``workdays.not_before_nth_working_day``)."""
    rule = clarification_rule(method)
    if rule is None:
        return None
    n = getattr(rules, rule)
    if READINGS[rule] == "not_before_nth_working_day":
        return workdays.not_before_nth_working_day(published_at, n)
    return workdays.not_before_nth_day(published_at, n)


def check_clarification(
    rules: LegalRules, published_at: datetime, bid_deadline: datetime, method: str = "open_tender"
) -> datetime | None:
    """A clarification or change that may affect the bids (responses) published too close to
    the deadline moves the deadline (顺延): returns the new one (UTC), else None. It moves to
    the first day the rule allows, at the deadline's own Shanghai clock time (bidders keep the
    hour they planned for)."""
    earliest = earliest_deadline_after_clarification(rules, method, published_at)
    if earliest is None or workdays.require_aware(bid_deadline) >= earliest:
        return None
    clock = bid_deadline.astimezone(workdays.SHANGHAI).timetz()
    return datetime.combine(workdays.local_date(earliest), clock).astimezone(UTC)


def latest_clarification(rules: LegalRules, method: str, deadline: datetime) -> datetime | None:
    """The last moment a clarification may come without moving ``deadline`` (None: none can,
    or the method has no such rule)."""
    rule = clarification_rule(method)
    if rule is None:
        return None
    n = getattr(rules, rule)
    if READINGS[rule] == "not_before_nth_working_day":
        return workdays.latest_before_nth_working_day(deadline, n)
    return workdays.latest_before_nth_day(deadline, n)


def _check_count(rule: str, needed: int, count: int, what: str, field: str) -> None:
    if count < needed:
        raise LegalRuleBroken(
            f"{what} needs at least {needed}; got {count} ({rule}, {_source(rule)}).",
            rule=rule,
            field=field,
        )


def check_invited(rules: LegalRules, count: int, field: str = "invited_provider_ids") -> None:
    """Invited tender: at least ``invited_min_suppliers`` qualified suppliers are invited."""
    needed = rules.invited_min_suppliers
    _check_count("invited_min_suppliers", needed, count, "An invited tender", field)


def check_negotiation_suppliers(
    rules: LegalRules, count: int, field: str = "invited_provider_ids"
) -> None:
    """Competitive negotiation: at least ``negotiation_min_suppliers`` suppliers."""
    needed = rules.negotiation_min_suppliers
    _check_count("negotiation_min_suppliers", needed, count, "A competitive negotiation", field)


def check_consultation_suppliers(
    rules: LegalRules, count: int, field: str = "invited_provider_ids"
) -> None:
    """Competitive consultation: at least ``consultation_min_suppliers`` suppliers invited."""
    needed = rules.consultation_min_suppliers
    _check_count("consultation_min_suppliers", needed, count, "A competitive consultation", field)


def negotiation_minimum(rules: LegalRules, continuation: bool) -> int:
    """The suppliers a competitive negotiation needs to open and to go on: three (74号令
    arts. 33, 35, 37), two for a failed tender's continuation with its two (art. 27)."""
    return rules.continuation_suppliers if continuation else rules.negotiation_min_suppliers


def check_open_tender_bids(rules: LegalRules, count: int, field: str = "bids") -> None:
    """Open tender: with fewer than ``open_tender_min_bids`` bids at the deadline the bids are
    not opened and the tender fails (废标)."""
    needed = rules.open_tender_min_bids
    _check_count("open_tender_min_bids", needed, count, "Opening a tender", field)


def enough_bids(rules: LegalRules, count: int) -> bool:
    """Whether an open tender may be opened with ``count`` bids received."""
    return count >= rules.open_tender_min_bids


def check_negotiation_response(
    rules: LegalRules,
    issued_at: datetime,
    response_deadline: datetime,
    field: str = "response_deadline",
) -> None:
    """Competitive negotiation: not less than ``negotiation_min_response_working_days`` working
    days from issuing the documents to the first response deadline (74号令 art. 10): the
    deadline may fall on the N-th working day after the day of issue, at any time that day
    (``workdays.not_before_nth_working_day``)."""
    n = rules.negotiation_min_response_working_days
    earliest = workdays.not_before_nth_working_day(issued_at, n)
    if workdays.require_aware(response_deadline) < earliest:
        raise LegalRuleBroken(
            f"The response deadline must be at least {n} working days after the negotiation "
            f"documents are issued (negotiation_min_response_working_days, "
            f"{_source('negotiation_min_response_working_days')}): not before {_at(earliest)}.",
            rule="negotiation_min_response_working_days",
            field=field,
        )


def check_consultation_response(
    rules: LegalRules,
    issued_at: datetime,
    response_deadline: datetime,
    field: str = "bid_deadline",
) -> None:
    """Competitive consultation: not less than ``consultation_response_min_days`` calendar days
    from issuing the documents to the first responses (214号 art. 9): the deadline may fall on
    the N-th day after the day of issue, at any time that day (``workdays.not_before_nth_day``):
    documents issued on 2 Nov allow first responses from 12 Nov 00:00 Asia/Shanghai."""
    days = rules.consultation_response_min_days
    earliest = workdays.not_before_nth_day(issued_at, days)
    if workdays.require_aware(response_deadline) < earliest:
        raise LegalRuleBroken(
            f"The first responses are due at least {days} days after the consultation documents "
            f"are issued (consultation_response_min_days, "
            f"{_source('consultation_response_min_days')}): not before {_at(earliest)}.",
            rule="consultation_response_min_days",
            field=field,
        )


def check_single_source_notice(
    rules: LegalRules,
    notice_published_at: datetime,
    approval_at: datetime,
    field: str = "approved_at",
) -> None:
    """Single source: the public notice (公示) runs ``single_source_notice_working_days``
    working days, and the purchase is approved only after it has ended (74号令 art. 38): from
    00:00 Asia/Shanghai of the day after its last working day
    (``workdays.after_working_day_period``), not during that day. A notice of 12 Feb 2026 runs
    13, 14 (调休 Saturday), 24, 25 and 26 Feb: approval from 27 Feb 00:00."""
    n = rules.single_source_notice_working_days
    earliest = workdays.after_working_day_period(notice_published_at, n)
    if workdays.require_aware(approval_at) < earliest:
        raise LegalRuleBroken(
            f"A single-source purchase may be approved only after {n} working days of public "
            f"notice (single_source_notice_working_days, "
            f"{_source('single_source_notice_working_days')}): not before {_at(earliest)}.",
            rule="single_source_notice_working_days",
            field=field,
        )


def _check_panel(
    *,
    what: str,
    members: int,
    experts: int,
    needed: int,
    size_rule: str,
    share: Fraction,
    field: str,
) -> None:
    if members < needed:
        raise LegalRuleBroken(
            f"{what} needs at least {needed} members; got {members} "
            f"({size_rule}, {_source(size_rule)}).",
            rule=size_rule,
            field=field,
        )
    if members % 2 == 0:
        raise LegalRuleBroken(
            f"{what} must have an odd number of members; got {members} "
            f"({size_rule}, {_source(size_rule)}).",
            rule=size_rule,
            field=field,
        )
    if not 0 <= experts <= members or Fraction(experts, members) < share:
        raise LegalRuleBroken(
            f"Experts must be at least {share} of {what.lower()}: {experts} of {members} is "
            f"too few (committee_min_expert_share, {_source('committee_min_expert_share')}).",
            rule="committee_min_expert_share",
            field=field,
        )


def check_committee(
    rules: LegalRules,
    members: int,
    experts: int,
    budget: Decimal,
    field: str = "committee",
    *,
    complex_or_wide_impact: bool = False,
) -> None:
    """Tender evaluation committee: an odd number of at least ``committee_min_members``
    (``committee_min_members_large`` when the budget is ≥ ``large_budget_yuan`` or the
    project is technically complex or of wide social impact), of whom experts are at least
    ``committee_min_expert_share`` (exact fractions)."""
    # 87号令 art. 47: 采购预算金额在1000万元以上、技术复杂、社会影响较大 — any one suffices.
    large = complex_or_wide_impact or budget >= rules.large_budget_yuan
    rule = "committee_min_members_large" if large else "committee_min_members"
    needed = rules.committee_min_members
    if large:
        needed = max(needed, rules.committee_min_members_large)
    _check_panel(
        what="The evaluation committee",
        members=members,
        experts=experts,
        needed=needed,
        size_rule=rule,
        share=rules.committee_min_expert_share,
        field=field,
    )


def check_negotiation_group(
    rules: LegalRules,
    members: int,
    experts: int,
    budget: Decimal,
    field: str = "negotiation_group",
) -> None:
    """Negotiation group: an odd number of at least ``negotiation_group_min_members``
    (``negotiation_group_min_members_above_threshold`` when the budget reaches
    ``open_tender_threshold_yuan``), experts at least ``committee_min_expert_share``."""
    above = budget >= rules.open_tender_threshold_yuan
    rule = (
        "negotiation_group_min_members_above_threshold"
        if above
        else "negotiation_group_min_members"
    )
    needed = rules.negotiation_group_min_members
    if above:
        needed = max(needed, rules.negotiation_group_min_members_above_threshold)
    _check_panel(
        what="The negotiation group",
        members=members,
        experts=experts,
        needed=needed,
        size_rule=rule,
        share=rules.committee_min_expert_share,
        field=field,
    )


def check_price_weight(rules: LegalRules, price_weight: int, field: str = "criteria") -> None:
    """Comprehensive scoring: price_weight_min ≤ the price's weight (%) ≤ price_weight_max."""
    if price_weight < rules.price_weight_min:
        raise LegalRuleBroken(
            f"The price must weigh at least {rules.price_weight_min} % of the score; got "
            f"{price_weight} % (price_weight_min, {_source('price_weight_min')}).",
            rule="price_weight_min",
            field=field,
        )
    if price_weight > rules.price_weight_max:
        raise LegalRuleBroken(
            f"The price may weigh at most {rules.price_weight_max} % of the score here; got "
            f"{price_weight} % (price_weight_max, {_source('price_weight_max')}).",
            rule="price_weight_max",
            field=field,
        )


def check_consultation_price_weight(
    rules: LegalRules, price_weight: int, field: str = "criteria"
) -> None:
    """Competitive consultation for services: consultation_price_weight_min ≤ the price's
    weight (%) ≤ consultation_price_weight_max (214号 art. 24), unless finance approves another
    with the method (the caller decides that)."""
    low, high = rules.consultation_price_weight_min, rules.consultation_price_weight_max
    rule = "consultation_price_weight_min" if price_weight < low else None
    if price_weight > high:
        rule = "consultation_price_weight_max"
    if rule is not None:
        raise LegalRuleBroken(
            f"In a consultation for services the price weighs {low}–{high} % of the score; got "
            f"{price_weight} % ({rule}, {_source(rule)}). Another weight needs finance's "
            "approval: ask for it with price_weight_approved_by_finance.",
            rule=rule,
            field=field,
        )


# Not a LegalRules field: scores are out of 100 everywhere, so it cannot be tuned.
WEIGHTS_TOTAL_RULE = "criteria_weights_total"


def check_weights_sum(weights: list[int], field: str = "criteria") -> None:
    """The weights of the scoring criteria are each positive and add up to exactly 100."""
    if not weights or any(weight <= 0 for weight in weights):
        raise LegalRuleBroken(
            "Every scoring criterion needs a positive weight (财政部令第87号 art. 55).",
            rule=WEIGHTS_TOTAL_RULE,
            field=field,
        )
    if sum(weights) != 100:
        raise LegalRuleBroken(
            f"The weights of the scoring criteria must add up to 100; they add up to "
            f"{sum(weights)} (财政部令第87号 art. 55).",
            rule=WEIGHTS_TOTAL_RULE,
            field=field,
        )


def _check_share(
    rule: str, percent: Decimal, part: Decimal, whole: Decimal, what: str, of: str, field: str
) -> None:
    # part / whole ≤ percent / 100, in exact decimal arithmetic without dividing.
    if part < 0 or part * 100 > whole * percent:
        raise LegalRuleBroken(
            f"{what} may be at most {to_json(percent)} % of {of} ({to_json(whole * percent / 100)}"
            f" 元); got {part} 元 ({rule}, {_source(rule)}).",
            rule=rule,
            field=field,
        )


def check_bid_security(
    rules: LegalRules, security: Decimal, budget: Decimal, field: str = "bid_security"
) -> None:
    """Bid security (投标保证金) ≤ ``bid_security_max_percent`` % of the budget."""
    _check_share(
        "bid_security_max_percent",
        rules.bid_security_max_percent,
        security,
        budget,
        "The bid security",
        "the budget",
        field,
    )


def check_performance_security(
    rules: LegalRules,
    security: Decimal,
    contract_amount: Decimal,
    field: str = "performance_security",
) -> None:
    """Performance security (履约保证金) ≤ ``performance_security_max_percent`` % of the
    contract."""
    _check_share(
        "performance_security_max_percent",
        rules.performance_security_max_percent,
        security,
        contract_amount,
        "The performance security",
        "the contract",
        field,
    )


def check_supplementary(
    rules: LegalRules,
    supplementary_total: Decimal,
    contract_amount: Decimal,
    field: str = "amount",
) -> None:
    """Supplementary purchases within a contract, all together, ≤
    ``supplementary_max_percent`` % of the original contract value."""
    _check_share(
        "supplementary_max_percent",
        rules.supplementary_max_percent,
        supplementary_total,
        contract_amount,
        "Supplementary purchases",
        "the original contract",
        field,
    )


# --- deadlines ------------------------------------------------------------------------------


def within_working_days(rules_value: int, start: datetime, at: datetime) -> bool:
    """Whether ``at`` falls within ``rules_value`` working days of ``start`` (by the end of the
    N-th working day after start's Shanghai date)."""
    return at <= workdays.end_of_nth_working_day(start, rules_value)


def publication_end(rules: LegalRules, result_published_at: datetime) -> datetime:
    """When the result notice's publication (1 working day, 实施条例 art. 43) ends: 24:00
    Asia/Shanghai of the N-th working day after the day it is published (the period starts the
    day after the event, 民法典 art. 201)."""
    return workdays.end_of_nth_working_day(
        result_published_at, rules.result_publication_working_days
    )


def challenge_deadline(rules: LegalRules, result_published_at: datetime) -> datetime:
    """The last moment a supplier may challenge (质疑) the published result.

    实施条例 art. 53: the 7 working days count from the end of the result notice's publication
    period — from the day after its last day — and end at 24:00 Asia/Shanghai of the 7th
    working day. A result published on Monday 2026-09-28 is published through Tuesday 29 Sep;
    the challenge days are 30 Sep, 8, 9, 10 (调休 Saturday), 12, 13 and 14 Oct."""
    return workdays.end_of_nth_working_day(
        publication_end(rules, result_published_at), rules.challenge_working_days
    )


def check_challenge_time(
    rules: LegalRules, result_published_at: datetime, at: datetime, field: str = "grounds"
) -> None:
    """A challenge at ``at`` comes within the challenge period (up to its last microsecond)."""
    due = challenge_deadline(rules, result_published_at)
    if workdays.require_aware(at) > due:
        raise LegalRuleBroken(
            f"Challenges are filed within {rules.challenge_working_days} working days after the "
            f"result notice's {rules.result_publication_working_days}-working-day publication "
            f"(challenge_working_days, {_source('challenge_working_days')}): the time ended "
            f"{_at(due)}.",
            rule="challenge_working_days",
            field=field,
        )


def challenge_period_over(rules: LegalRules, result_published_at: datetime, at: datetime) -> bool:
    """Whether the award may conclude at ``at``: only after the challenge period has ended."""
    return workdays.require_aware(at) > challenge_deadline(rules, result_published_at)


def answer_deadline(rules: LegalRules, challenge_at: datetime) -> datetime:
    """The last moment the buyer may answer a challenge received at ``challenge_at``."""
    return workdays.end_of_nth_working_day(challenge_at, rules.challenge_answer_working_days)


def enquiry_answer_deadline(
    rules: LegalRules, asked_at: datetime, bid_deadline: datetime, method: str = "open_tender"
) -> datetime:
    """When the buyer should have answered an enquiry (澄清). An answer that may change how
    bids (responses) are prepared comes early enough before the deadline not to move it — 15
    days for a tender (实施条例 art. 31), 3 working days for a negotiation (74号令 art. 10), 5
    days for a consultation (214号 art. 10): an enquiry asked before that point is due by it,
    so its answer keeps the deadline; one asked later is due by the deadline, after which no
    answer helps a bidder."""
    clarify_by = latest_clarification(rules, method, bid_deadline)
    return clarify_by if clarify_by is not None and asked_at < clarify_by else bid_deadline


def objection_answer_deadline(rules: LegalRules, notice_published_at: datetime) -> datetime:
    """When the buyer must have answered the objections to a single-source notice: within
    ``objection_answer_working_days`` working days after the notice's
    ``single_source_notice_working_days`` end (74号令 arts. 38, 40)."""
    # The notice's last instant: its day is the one after which the answer's days count.
    notice_ends = workdays.end_of_nth_working_day(
        notice_published_at, rules.single_source_notice_working_days
    )
    return workdays.end_of_nth_working_day(notice_ends, rules.objection_answer_working_days)


def single_source_notice_over(rules: LegalRules, notice_published_at: datetime) -> datetime:
    """The first instant after a single-source notice's ``single_source_notice_working_days``:
    00:00 Asia/Shanghai of the day after its last working day (74号令 art. 38)."""
    return workdays.after_working_day_period(
        notice_published_at, rules.single_source_notice_working_days
    )


def check_justification_time(
    rules: LegalRules,
    notice_published_at: datetime,
    at: datetime,
    field: str = "objections_upheld",
) -> None:
    """The supplementary justification (补充论证) of the objections comes after the notice has
    ended (74号令 art. 40: "公示期满后"), never during its last day."""
    over = single_source_notice_over(rules, notice_published_at)
    if workdays.require_aware(at) < over:
        raise LegalRuleBroken(
            f"The objections are justified after the {rules.single_source_notice_working_days}"
            f" working days of public notice have ended (single_source_notice_working_days, "
            f"{_source('single_source_notice_working_days')}): not before {_at(over)}.",
            rule="single_source_notice_working_days",
            field=field,
        )


def confirm_deadline(rules: LegalRules, report_at: datetime) -> datetime:
    """The last moment the buyer may confirm the winner after the evaluation report."""
    return workdays.end_of_nth_working_day(report_at, rules.confirm_winner_working_days)


def result_notice_deadline(rules: LegalRules, confirmed_at: datetime) -> datetime:
    """The last moment the result may be announced after the winner is confirmed."""
    return workdays.end_of_nth_working_day(confirmed_at, rules.result_notice_working_days)


def bid_security_return_deadline(rules: LegalRules, since: datetime) -> datetime:
    """When a bid security must be back: the end of the N-th working day after the award
    notice (a losing bidder's) or the signing (the winner's); the day itself does not count."""
    return workdays.end_of_nth_working_day(since, rules.bid_security_return_working_days)


def contract_deadline(rules: LegalRules, award_notice_at: datetime) -> datetime:
    """The last moment the contract may be signed after the award notice (政府采购法 art. 46,
    "within 30 days"): 24:00 of the 30th day after the notice's day, or of the next working day
    when that is a rest day (``workdays.calendar_deadline``)."""
    return workdays.calendar_deadline(award_notice_at, rules.contract_days)


async def view(session: AsyncSession, tenant: str) -> RulesOut:
    """The rules in force in a region, each with the national default, its legal source and
    where its value comes from (the law, the province, the region)."""
    row = await stored_overrides(session, tenant)
    overrides = dict(row.overrides) if row is not None else {}
    resolved = resolve(tenant, await province_overrides(session, tenant), overrides)
    in_force = asdict(resolved.rules)
    national = asdict(NATIONAL)
    province = asdict(resolved.province_rules)
    return RulesOut(
        tenant=tenant,
        rules=[
            RuleOut(
                rule=name,
                kind=info.kind_of_province if is_province(tenant) else info.kind,
                unit=info.unit,
                national=to_json(national[name]),
                value=to_json(in_force[name]),
                tightened=in_force[name] != national[name],
                source=info.source,
                description=info.description,
                origin=resolved.origins[name],
                province=resolved.province if resolved.origins[name] == "province" else None,
                province_value=None if is_province(tenant) else to_json(province[name]),
                reading=READINGS.get(name),
            )
            for name, info in RULES.items()
        ],
        overrides=overrides,
        updated_at=row.updated_at if row is not None else None,
        updated_by=row.updated_by if row is not None else None,
        province=None if is_province(tenant) else province_of(tenant),
    )
