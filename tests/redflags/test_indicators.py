"""The indicators the scripted procurements cannot reach (the platform refuses a short period
and a late signature), measured on compiled releases shaped as the open data publishes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from services.redflags.indicators import Due, Indicator, Process, Unit, flags

SHARE, LEAST = Decimal("0.5"), 3


def process(ocid: str, tender: dict[str, Any], **more: Any) -> Process:
    compiled = {"ocid": ocid, "date": "2026-10-01T10:00:00+08:00", "tender": tender, **more}
    return Process("440100", ocid, compiled, None)


def signed(on: str) -> list[dict[str, str]]:
    return [{"awardID": "a1", "dateSigned": f"{on}T00:00:00+08:00"}]


def award(winner: str, date: str = "2026-10-10T10:00:00+08:00") -> dict[str, Any]:
    return {
        "id": "a1",
        "status": "active",
        "date": date,
        "value": {"amount": 300000.0, "currency": "CNY"},
        "suppliers": [{"id": winner, "name": winner}],
    }


def period(start: str, end: str, details: str) -> dict[str, Any]:
    return {
        "title": "t",
        "procurementMethodDetails": details,
        "tenderPeriod": {"startDate": start, "endDate": end},
    }


def test_a_short_period_by_the_method_s_own_days() -> None:
    # Documents issued 2 Nov 10:00: an open tender's deadline may fall from 22 Nov 00:00.
    short = process(
        "o-1", period("2026-11-02T10:00:00+08:00", "2026-11-21T23:00:00+08:00", "公开招标")
    )
    enough = process(
        "o-2", period("2026-11-02T10:00:00+08:00", "2026-11-22T09:00:00+08:00", "公开招标")
    )
    # A negotiation: issued Fri 6 Nov, 3 working days reach Wed 11 Nov.
    hasty = process(
        "o-3", period("2026-11-06T10:00:00+08:00", "2026-11-10T17:00:00+08:00", "竞争性谈判")
    )
    found = flags([short, enough, hasty], SHARE, LEAST)
    assert [(f.ocid, f.value, f.threshold, f.unit) for f in found] == [
        ("o-1", Decimal(19), Decimal(20), Unit.days),
        ("o-3", Decimal(2), Decimal(3), Unit.working_days),
    ]
    assert {f.indicator for f in found} == {Indicator.short_period}
    assert found[0].year == 2026


def test_a_contract_signed_after_the_thirtieth_day() -> None:
    tender = {"title": "t"}
    # Noticed 10 Oct: the 30 days run 11 Oct to 9 Nov.
    on_time = process("o-1", tender, awards=[award("A")], contracts=signed("2026-11-09"))
    late = process("o-2", tender, awards=[award("B")], contracts=signed("2026-11-10"))
    found = [
        f for f in flags([on_time, late], SHARE, LEAST) if f.indicator == Indicator.late_contract
    ]
    assert [(f.ocid, f.value, f.threshold, f.supplier) for f in found] == [
        ("o-2", Decimal(31), Decimal(30), "B")
    ]


def test_a_winner_that_keeps_winning_with_one_buyer() -> None:
    tender = {"title": "t"}
    won = [process(f"o-{i}", tender, awards=[award(w)]) for i, w in enumerate("AABA")]
    found = [f for f in flags(won, SHARE, LEAST) if f.indicator == Indicator.repeat_winner]
    assert [(f.ocid, f.supplier, f.value) for f in found] == [
        ("o-0", "A", Decimal("0.75")),
        ("o-1", "A", Decimal("0.75")),
        ("o-3", "A", Decimal("0.75")),
    ]
    # Too few awards to tell: nothing.
    assert not [f for f in flags(won[:2], SHARE, LEAST) if f.indicator == Indicator.repeat_winner]


def test_a_payment_paid_or_still_unpaid_after_its_last_day() -> None:
    p = process("o-1", {"title": "t"}, awards=[award("A")])
    last = date(2026, 12, 31)
    dues = {
        "o-1": [
            Due(1, last, date(2026, 12, 31)),  # paid on its last day: on time
            Due(2, last, date(2027, 1, 2)),  # paid two days after it
            Due(3, last, None),  # unpaid, five days after it
            Due(4, date(2027, 1, 5), None),  # unpaid, its last day is today: not yet late
        ]
    }
    found = [
        f
        for f in flags([p], SHARE, LEAST, dues, date(2027, 1, 5))
        if f.indicator == Indicator.late_payment
    ]
    assert [(f.instalment, f.value, f.threshold, f.unit, f.year, f.supplier) for f in found] == [
        (2, Decimal(2), Decimal(0), Unit.days, 2026, "A"),
        (3, Decimal(5), Decimal(0), Unit.days, 2026, "A"),
    ]
    # Without the payments' days (or the day measured) no late payment is measured.
    assert not [f for f in flags([p], SHARE, LEAST) if f.indicator == Indicator.late_payment]
