"""The legal numbers of government procurement: national defaults a region may tighten, never
loosen, and the checks the tendering procedure calls before each step.

Every number lives in :class:`LegalRules` with the national default; :data:`RULES` says for
each whether it is a minimum (a region may only raise it), a maximum (only lower it) or the
region's own figure, and names its legal source. A region's overrides are stored in
``tendering_rules`` and merged by :func:`rules_for`; :func:`set_overrides` refuses a looser
value with ``rule_loosened``.

A check that fails raises :class:`LegalRuleBroken` (422 ``legal_rule_broken``), whose problem
body names the ``rule`` (a LegalRules field) and the request ``field``. Times are compared in
Asia/Shanghai; working days come from :mod:`services.kit.workdays`.

Periods of the form "at least N days from A to B" are measured moment to moment: B must be no
earlier than A + N days (the same clock time N days later) — the strict reading, so a procedure
that passes here passes under any way of counting the start day. Deadlines of the form "within
N working days of A" end at 23:59:59.999999 Shanghai time on the N-th working day after A's date.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import DomainError, InvalidField
from services.tendering.models import TenderingRules
from services.tendering.schemas import RuleOut, RulesOut

log = structlog.get_logger(__name__)

RuleValue = int | Decimal | Fraction
Kind = Literal["min", "max", "own"]


@dataclass(frozen=True)
class LegalRules:
    """The numbers one region's procedures follow; the defaults are the national law's."""

    # 政府采购法 art. 35: ≥ 20 calendar days from issuing the tender documents to the bid
    # deadline (open and invited tender).
    open_tender_min_days: int = 20
    # 政府采购法实施条例 art. 31: a clarification or change that may affect bid preparation
    # comes ≥ 15 days before the bid deadline, else the deadline moves.
    clarification_min_days: int = 15
    # 财政部令第87号: fewer than 3 bids at the deadline → not opened, the tender fails.
    open_tender_min_bids: int = 3
    # 政府采购法 art. 34: invited tender invites ≥ 3 qualified suppliers.
    invited_min_suppliers: int = 3
    # 财政部令第74号: competitive negotiation with ≥ 3 suppliers, ≥ 3 working days from the
    # documents to the first response deadline.
    negotiation_min_suppliers: int = 3
    negotiation_min_response_working_days: int = 3
    # 财政部令第74号 art. 38: a single-source purchase is publicly noticed ≥ 5 working days
    # before it is approved.
    single_source_notice_working_days: int = 5
    # 财政部令第74号 art. 40: an objection to a single-source notice is answered (补充论证)
    # within 5 working days after the notice ends.
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
    # budget units' standard; each province sets its own, which its regions enter here.
    open_tender_threshold_yuan: Decimal = Decimal("2000000")
    # 财政部令第87号 art. 55, 财库〔2014〕214号: in comprehensive scoring the price weighs
    # ≥ 10 % for services; a region may cap it (e.g. 30, as competitive consultation does).
    price_weight_min: int = 10
    price_weight_max: int = 100
    # 政府采购法实施条例 art. 43: the buyer confirms the winner within 5 working days of the
    # evaluation report and announces the result within 2 working days of confirming.
    confirm_winner_working_days: int = 5
    result_notice_working_days: int = 2
    # 政府采购法 art. 46: the contract is signed within 30 days of the award notice.
    contract_days: int = 30
    # 政府采购法 arts. 52–53: a supplier challenges (质疑) within 7 working days; the buyer
    # answers within 7 working days.
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
        "calendar days a clarification or change must precede the bid deadline",
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
    "open_tender_threshold_yuan": _yuan(
        "own",
        "政府采购法 art. 27 (central standard 2,000,000 元; each province sets its own)",
        "the open-tender threshold for services, as the province sets it",
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
        "min", "政府采购法 art. 52", "working days a supplier has to challenge (质疑)"
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


def to_json(value: RuleValue) -> int | str:
    """Integers stay numbers; amounts, percentages and shares become strings ("3/4")."""
    if isinstance(value, int):
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
    if isinstance(default, int):
        return 'a whole percentage, 30 or "30"' if percent else "a whole number"
    if isinstance(default, Decimal):
        return 'a number with at most 2 decimals as a string, e.g. "1.5"'
    return 'a fraction as a string, e.g. "3/4"'


def _show(value: RuleValue) -> str:
    return str(to_json(value))


def _validate(name: str, raw: Any) -> RuleValue:
    """One override: a known rule, a value of its type, within bounds, not looser than the law."""
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
    national = getattr(NATIONAL, name)
    if info.kind == "min" and value < national:
        raise RuleLoosened(
            f"{name}: the law requires at least {_show(national)} ({info.source}); "
            "a region may raise it, never lower it.",
            rule=name,
        )
    if info.kind == "max" and value > national:
        raise RuleLoosened(
            f"{name}: the law allows at most {_show(national)} ({info.source}); "
            "a region may lower it, never raise it.",
            rule=name,
        )
    return value


def validate_overrides(overrides: dict[str, Any]) -> dict[str, RuleValue]:
    """Every override checked (the first refusal raised), then the rules checked together."""
    values = {name: _validate(name, raw) for name, raw in sorted(overrides.items())}
    merged = _with(values)
    if merged.price_weight_min > merged.price_weight_max:
        raise RulesContradict(
            f"price_weight_min ({merged.price_weight_min}) is above price_weight_max "
            f"({merged.price_weight_max}): no price weight could satisfy both.",
            field="price_weight_min" if "price_weight_min" in values else "price_weight_max",
        )
    return values


def _with(values: dict[str, RuleValue]) -> LegalRules:
    """The national rules with some values replaced (each already of its field's type)."""
    changes: dict[str, Any] = dict(values)
    return replace(NATIONAL, **changes)


def _tighter(name: str, national: RuleValue, value: RuleValue) -> RuleValue:
    kind = KIND[name]
    if kind == "min":
        return max(national, value)
    if kind == "max":
        return min(national, value)
    return value


def merge(overrides: dict[str, Any]) -> LegalRules:
    """The national defaults with stored overrides applied. A stored value the law has since
    overtaken (a stricter national default in a later release) yields to the law; a stored
    name no longer known is skipped with a warning."""
    values: dict[str, RuleValue] = {}
    for name, raw in overrides.items():
        if name not in RULES:
            log.warning("tendering_rule_unknown_override", rule=name)
            continue
        values[name] = _tighter(name, getattr(NATIONAL, name), _parse(name, raw))
    return _with(values)


def as_dict(rules: LegalRules) -> dict[str, int | str]:
    return {name: to_json(value) for name, value in asdict(rules).items()}


# --- a region's rules ---------------------------------------------------------------------------


async def stored_overrides(session: AsyncSession, tenant: str) -> TenderingRules | None:
    return (
        await session.scalars(select(TenderingRules).where(TenderingRules.tenant_id == tenant))
    ).one_or_none()


async def rules_for(session: AsyncSession, tenant: str) -> LegalRules:
    """The rules in force in ``tenant``: national defaults merged with its overrides.

    The session must be bound to ``tenant`` (row-level security): the request's session is.
    """
    row = await stored_overrides(session, tenant)
    return merge(row.overrides if row is not None else {})


async def set_overrides(
    session: AsyncSession, actor: Actor, overrides: dict[str, Any]
) -> LegalRules:
    """Replace the actor's region's overrides as a whole (``{}`` returns to the national
    defaults). Refuses an unknown rule (``unknown_rule``), a looser value (``rule_loosened``)
    or contradicting rules, storing nothing; audited as ``tendering_rules.set``."""
    values = validate_overrides(overrides)
    stored = {name: to_json(value) for name, value in values.items()}
    current = (
        await session.scalars(
            select(TenderingRules).where(TenderingRules.tenant_id == actor.tenant).with_for_update()
        )
    ).one_or_none()
    before = dict(current.overrides) if current is not None else {}
    statement = insert(TenderingRules).values(
        tenant_id=actor.tenant,
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
        actor.tenant,
        before={"overrides": before},
        after={"overrides": stored},
    )
    return merge(stored)


# --- the checks tendering calls -----------------------------------------------------------------


def _at(moment: datetime) -> str:
    return moment.astimezone(workdays.SHANGHAI).strftime("%Y-%m-%d %H:%M (Asia/Shanghai)")


def _source(rule: str) -> str:
    return RULES[rule].source


def check_bid_period(
    rules: LegalRules, issued_at: datetime, bid_deadline: datetime, field: str = "bid_deadline"
) -> None:
    """Open and invited tender: the bid deadline is at least ``open_tender_min_days`` calendar
    days after the tender documents are issued (the same Shanghai clock time, N days on)."""
    days = rules.open_tender_min_days
    issued = workdays.require_aware(issued_at).astimezone(workdays.SHANGHAI)
    earliest = issued + timedelta(days=days)
    if workdays.require_aware(bid_deadline) < earliest:
        raise LegalRuleBroken(
            f"The bid deadline must be at least {days} days after the tender documents are "
            f"issued (open_tender_min_days, {_source('open_tender_min_days')}): "
            f"not before {_at(earliest)}.",
            rule="open_tender_min_days",
            field=field,
        )


def check_clarification(
    rules: LegalRules, published_at: datetime, bid_deadline: datetime
) -> datetime | None:
    """A clarification or change published less than ``clarification_min_days`` before the bid
    deadline moves the deadline: returns the new one (published_at + N days, UTC), else None."""
    published = workdays.require_aware(published_at).astimezone(UTC)
    earliest = published + timedelta(days=rules.clarification_min_days)
    return earliest if workdays.require_aware(bid_deadline) < earliest else None


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
    """Competitive negotiation: at least ``negotiation_min_response_working_days`` working days
    from issuing the documents to the first response deadline."""
    n = rules.negotiation_min_response_working_days
    earliest = workdays.earliest_after_working_days(issued_at, n)
    if response_deadline < earliest:
        raise LegalRuleBroken(
            f"The response deadline must be at least {n} working days after the negotiation "
            f"documents are issued (negotiation_min_response_working_days, "
            f"{_source('negotiation_min_response_working_days')}): not before {_at(earliest)}.",
            rule="negotiation_min_response_working_days",
            field=field,
        )


def check_single_source_notice(
    rules: LegalRules,
    notice_published_at: datetime,
    approval_at: datetime,
    field: str = "approved_at",
) -> None:
    """Single source: the public notice (公示) runs at least
    ``single_source_notice_working_days`` working days before the purchase is approved."""
    n = rules.single_source_notice_working_days
    earliest = workdays.earliest_after_working_days(notice_published_at, n)
    if approval_at < earliest:
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
    rules: LegalRules, members: int, experts: int, budget: Decimal, field: str = "committee"
) -> None:
    """Tender evaluation committee: an odd number of at least ``committee_min_members``
    (``committee_min_members_large`` when the budget is ≥ ``large_budget_yuan``), of whom
    experts are at least ``committee_min_expert_share`` (exact fractions)."""
    large = budget >= rules.large_budget_yuan
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
    return at <= workdays.deadline_after(start, rules_value)


def challenge_deadline(rules: LegalRules, result_published_at: datetime) -> datetime:
    """The last moment a supplier may challenge (质疑) the published result."""
    return workdays.deadline_after(result_published_at, rules.challenge_working_days)


def answer_deadline(rules: LegalRules, challenge_at: datetime) -> datetime:
    """The last moment the buyer may answer a challenge received at ``challenge_at``."""
    return workdays.deadline_after(challenge_at, rules.challenge_answer_working_days)


def enquiry_answer_deadline(
    rules: LegalRules, asked_at: datetime, bid_deadline: datetime
) -> datetime:
    """When the buyer should have answered an enquiry (澄清). An answer that may change how
    bids are prepared comes ``clarification_min_days`` before the bid deadline, else the
    deadline moves (实施条例 art. 31): an enquiry asked before that point is due by it, so its
    answer keeps the deadline; one asked later is due by the bid deadline, after which no
    answer helps a bidder."""
    clarify_by = bid_deadline - timedelta(days=rules.clarification_min_days)
    return clarify_by if asked_at < clarify_by else bid_deadline


def objection_answer_deadline(rules: LegalRules, notice_published_at: datetime) -> datetime:
    """When the buyer must have answered the objections to a single-source notice: within
    ``objection_answer_working_days`` working days after the notice's
    ``single_source_notice_working_days`` end (74号令 arts. 38, 40)."""
    notice_ends = workdays.deadline_after(
        notice_published_at, rules.single_source_notice_working_days
    )
    return workdays.deadline_after(notice_ends, rules.objection_answer_working_days)


def confirm_deadline(rules: LegalRules, report_at: datetime) -> datetime:
    """The last moment the buyer may confirm the winner after the evaluation report."""
    return workdays.deadline_after(report_at, rules.confirm_winner_working_days)


def result_notice_deadline(rules: LegalRules, confirmed_at: datetime) -> datetime:
    """The last moment the result may be announced after the winner is confirmed."""
    return workdays.deadline_after(confirmed_at, rules.result_notice_working_days)


def bid_security_return_deadline(rules: LegalRules, since: datetime) -> datetime:
    """When a bid security must be back: the end of the N-th working day after the award
    notice (a losing bidder's) or the signing (the winner's); the day itself does not count."""
    return workdays.deadline_after(since, rules.bid_security_return_working_days)


def contract_deadline(rules: LegalRules, award_notice_at: datetime) -> datetime:
    """The last moment the contract may be signed after the award notice (calendar days)."""
    return workdays.deadline_after_days(award_notice_at, rules.contract_days)


async def view(session: AsyncSession, tenant: str) -> RulesOut:
    """The rules in force in a region, each with the national default and its source."""
    row = await stored_overrides(session, tenant)
    overrides = dict(row.overrides) if row is not None else {}
    in_force = asdict(merge(overrides))
    national = asdict(NATIONAL)
    return RulesOut(
        tenant=tenant,
        rules=[
            RuleOut(
                rule=name,
                kind=info.kind,
                unit=info.unit,
                national=to_json(national[name]),
                value=to_json(in_force[name]),
                tightened=in_force[name] != national[name],
                source=info.source,
                description=info.description,
            )
            for name, info in RULES.items()
        ],
        overrides=overrides,
        updated_at=row.updated_at if row is not None else None,
        updated_by=row.updated_by if row is not None else None,
    )
