"""Which year's budget line pays an instalment of a contract over several fiscal years."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from services.contracts.models import YearShare
from services.contracts.payment_steps import paying_share

LINES = {2027: uuid.uuid4(), 2028: uuid.uuid4()}


def _shares() -> list[YearShare]:
    return [
        YearShare(fiscal_year=year, amount=Decimal("150000.00"), line_id=line)
        for year, line in reversed(LINES.items())
    ]


def _line(paid_on: date) -> uuid.UUID | None:
    share = paying_share(_shares(), paid_on)
    assert share is not None
    return share.line_id


def test_a_payment_is_made_from_the_line_of_the_year_it_is_paid_in() -> None:
    assert _line(date(2027, 6, 30)) == LINES[2027]
    assert _line(date(2028, 3, 1)) == LINES[2028]


def test_after_the_last_year_the_last_years_money_carries_over() -> None:
    assert _line(date(2029, 1, 20)) == LINES[2028]


def test_ahead_of_the_period_the_first_year_pays_and_without_shares_nothing_is_chosen() -> None:
    assert _line(date(2026, 12, 20)) == LINES[2027]
    assert paying_share([], date(2027, 1, 1)) is None
    uncommitted = [YearShare(fiscal_year=2027, amount=Decimal("1.00"), line_id=None)]
    assert paying_share(uncommitted, date(2027, 1, 1)) is None
