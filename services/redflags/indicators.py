"""The indicators: pure functions from published procurements to flags.

``ocdscardinal``'s PyPI wheel (0.0.8) exposes only ``coverage``; its ``indicators`` command is
in the Rust executable, which this platform cannot install from a package registry. R018 and
R003 therefore follow Cardinal's published methodology here, with the settings its settings
file would hold (the methods R018 counts, R003's threshold per procurementMethodDetails).
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.kit import workdays
from services.tendering.service import NATIONAL_RULES


class Indicator(enum.StrEnum):
    single_bid = "R018"
    short_period = "R003"
    repeat_winner = "repeat_winner"
    price_at_ceiling = "price_at_ceiling"
    late_contract = "late_contract"
    late_payment = "late_payment"


NAMES = {
    Indicator.single_bid: "仅有一家有效投标（响应）",
    Indicator.short_period: "投标（响应）期过短",
    Indicator.repeat_winner: "同一采购人的合同反复授予同一供应商",
    Indicator.price_at_ceiling: "成交价贴近最高限价",
    Indicator.late_contract: "中标（成交）通知后逾期签订合同",
    Indicator.late_payment: "逾期支付",
}


class Unit(enum.StrEnum):
    bids = "bids"
    days = "days"
    working_days = "working_days"
    share = "share"  # a fraction shown as a percentage


# R018's procurement_methods: Cardinal's default counts `open` only; a negotiation or a
# consultation among invited or drawn suppliers (`selective`, `limited`) is no less a contest.
# A single source (`direct`) has one supplier by design and is left out.
SINGLE_BID_METHODS = frozenset({"open", "selective", "limited"})
# An awarded price at or above this share of the ceiling price (99 %): no price was competed.
CEILING_SHARE = Decimal("0.99")


@dataclass(frozen=True)
class Period:
    """R003's threshold for one procurementMethodDetails: calendar or working days."""

    days: int
    working: bool


# R003's threshold per procurementMethodDetails, from the national LegalRules.
SHORT_PERIODS = {
    "公开招标": Period(NATIONAL_RULES.open_tender_min_days, working=False),
    "邀请招标": Period(NATIONAL_RULES.open_tender_min_days, working=False),
    "竞争性谈判": Period(NATIONAL_RULES.negotiation_min_response_working_days, working=True),
    "竞争性磋商": Period(NATIONAL_RULES.consultation_response_min_days, working=False),
}


@dataclass(frozen=True)
class Process:
    """One published procurement: its compiled release and the public facts beside it."""

    tenant: str
    ocid: str
    compiled: dict[str, Any]
    ceiling: Decimal | None

    @property
    def tender(self) -> dict[str, Any]:
        return dict(self.compiled.get("tender") or {})

    @property
    def title(self) -> str:
        return str(self.tender.get("title") or "")

    @property
    def year(self) -> int:
        """The year of its bid deadline (else its latest change), Asia/Shanghai."""
        period = self.tender.get("tenderPeriod") or {}
        return _local(period.get("endDate") or self.compiled["date"]).year

    def active_award(self) -> dict[str, Any] | None:
        awards = [a for a in self.compiled.get("awards", []) if a.get("status") == "active"]
        return awards[-1] if awards else None


@dataclass(frozen=True)
class Flag:
    indicator: Indicator
    tenant: str
    ocid: str
    title: str
    year: int
    value: Decimal
    threshold: Decimal
    unit: Unit
    supplier: str | None = None
    amount: Decimal | None = None  # the awarded price, 元, where the flag concerns it
    instalment: int | None = None  # the instalment a late payment is of


@dataclass(frozen=True)
class Due:
    """A payment's last day to pay (the contract's ``pay_by``) and the day it was paid."""

    instalment: int
    due: date
    paid_on: date | None  # None: unpaid


def _local(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(workdays.SHANGHAI)


def _flag(
    p: Process,
    indicator: Indicator,
    value: Decimal,
    threshold: Decimal,
    unit: Unit,
    supplier: str | None = None,
    amount: Decimal | None = None,
) -> Flag:
    return Flag(
        indicator, p.tenant, p.ocid, p.title, p.year, value, threshold, unit, supplier, amount
    )


def _supplier(award: dict[str, Any]) -> str | None:
    suppliers = award.get("suppliers") or []
    return str(suppliers[0]["name"]) if suppliers else None


def single_bid(p: Process) -> Iterator[Flag]:
    """R018: one valid bid in a contested method. The bids statistics appear once the bids
    were opened; every method here fails below its minimum of valid bids (政府采购法 art. 36,
    74号令 art. 37, 214号 art. 21), so the flag lands on a failure, never on an award."""
    if p.tender.get("procurementMethod") not in SINGLE_BID_METHODS:
        return
    stats = (p.compiled.get("bids") or {}).get("statistics") or []
    valid = [s["value"] for s in stats if s.get("measure") == "validBids"]
    if valid and int(valid[-1]) == 1:
        yield _flag(p, Indicator.single_bid, Decimal(1), Decimal(1), Unit.bids)


def short_period(p: Process) -> Iterator[Flag]:
    """R003: from issuing the documents to the deadline, fewer days than the law's for the
    method (the platform refuses such a deadline, so this catches what came round it)."""
    period = p.tender.get("tenderPeriod") or {}
    rule = SHORT_PERIODS.get(str(p.tender.get("procurementMethodDetails")))
    if rule is None or not period.get("startDate") or not period.get("endDate"):
        return
    start = datetime.fromisoformat(period["startDate"])
    end = datetime.fromisoformat(period["endDate"])
    if rule.working:
        earliest = workdays.not_before_nth_working_day(start, rule.days)
        length = workdays.working_days_between(workdays.local_date(start), workdays.local_date(end))
    else:
        earliest = workdays.not_before_nth_day(start, rule.days)
        length = (workdays.local_date(end) - workdays.local_date(start)).days
    if end < earliest:
        unit = Unit.working_days if rule.working else Unit.days
        yield _flag(p, Indicator.short_period, Decimal(length), Decimal(rule.days), unit)


def price_at_ceiling(p: Process) -> Iterator[Flag]:
    """The awarded price at 99 % of the published ceiling price or more."""
    award = p.active_award()
    if award is None or not p.ceiling:
        return
    price = Decimal(str(award["value"]["amount"]))
    share = (price / p.ceiling).quantize(Decimal("0.0001"))
    if price >= CEILING_SHARE * p.ceiling:
        yield _flag(
            p, Indicator.price_at_ceiling, share, CEILING_SHARE, Unit.share, _supplier(award), price
        )


def late_contract(p: Process) -> Iterator[Flag]:
    """Signed after the 30 days from the award notice (政府采购法 art. 46): the period starts
    the day after the notice and ends 24:00 of its 30th day (民法典 arts. 201, 203)."""
    awards = {a["id"]: a for a in p.compiled.get("awards", [])}
    limit = NATIONAL_RULES.contract_days
    for contract in p.compiled.get("contracts", []):
        award = awards.get(contract.get("awardID")) or p.active_award()
        if award is None or not contract.get("dateSigned") or not award.get("date"):
            continue
        noticed: date = _local(award["date"]).date()
        signed: date = _local(contract["dateSigned"]).date()
        if signed > noticed + timedelta(days=limit):
            yield _flag(
                p,
                Indicator.late_contract,
                Decimal((signed - noticed).days),
                Decimal(limit),
                Unit.days,
                _supplier(award),
            )


def repeat_winners(processes: Iterable[Process], share: Decimal, least: int) -> Iterator[Flag]:
    """A supplier winning ``share`` or more of one buyer's awards in a year, out of at least
    ``least`` awards: a flag on each of those awards."""
    by_buyer: dict[tuple[str, int], list[tuple[Process, str]]] = defaultdict(list)
    for p in processes:
        award = p.active_award()
        winner = _supplier(award) if award else None
        if winner:
            by_buyer[(p.tenant, p.year)].append((p, winner))
    for awarded in by_buyer.values():
        if len(awarded) < least:
            continue
        counts = Counter(winner for _, winner in awarded)
        for p, winner in awarded:
            won = (Decimal(counts[winner]) / len(awarded)).quantize(Decimal("0.0001"))
            if won >= share:
                yield _flag(p, Indicator.repeat_winner, won, share, Unit.share, winner)


def late_payments(p: Process, dues: Iterable[Due], today: date) -> Iterator[Flag]:
    """A payment paid after its last day to pay, or unpaid when that day is over
    (保障中小企业款项支付条例 art. 8): the days past it, as of ``today`` for an unpaid one. The
    year is the last day's, the supplier the active award's."""
    award = p.active_award()
    supplier = _supplier(award) if award else None
    for due in dues:
        settled = due.paid_on if due.paid_on is not None else today
        late = (settled - due.due).days
        if late > 0:
            yield Flag(
                Indicator.late_payment,
                p.tenant,
                p.ocid,
                p.title,
                due.due.year,
                Decimal(late),
                Decimal(0),
                Unit.days,
                supplier,
                instalment=due.instalment,
            )


PER_PROCESS = (single_bid, short_period, price_at_ceiling, late_contract)


def flags(
    processes: list[Process],
    winner_share: Decimal,
    winner_least: int,
    dues: dict[str, list[Due]] | None = None,
    today: date | None = None,
) -> list[Flag]:
    """Every flag of ``processes``; ``dues``: each ocid's payments, measured as of ``today``."""
    found = [flag for p in processes for measure in PER_PROCESS for flag in measure(p)]
    found += repeat_winners(processes, winner_share, winner_least)
    if dues and today is not None:
        found += [f for p in processes for f in late_payments(p, dues.get(p.ocid, []), today)]
    return sorted(found, key=lambda f: (f.tenant, f.year, f.ocid, f.indicator.value))
