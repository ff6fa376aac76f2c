"""The split of a paid amount over the budget line's funding sources."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.contracts.payment_sources import split
from services.kit.errors import Conflict

D = Decimal


def test_shares_are_proportional_to_the_fen_and_sum_exactly() -> None:
    shares = split(D("90000.00"), [("general_budget", D("300000.00")), ("lottery", D("68406.00"))])
    assert sum(amount for _, amount in shares) == D("90000.00")
    # 16711.291… and 73288.708… rounded down leave 0.01, which the largest source takes.
    assert dict(shares) == {"general_budget": D("73288.71"), "lottery": D("16711.29")}


def test_the_remainder_goes_to_the_largest_source() -> None:
    shares = dict(split(D("100.00"), [("a", D("1")), ("b", D("1")), ("c", D("1"))]))
    assert shares == {"a": D("33.34"), "b": D("33.33"), "c": D("33.33")}
    shares = dict(split(D("0.01"), [("small", D("1")), ("large", D("2"))]))
    assert shares == {"large": D("0.01")}  # a source whose share is 0 is left out


def test_a_source_approved_at_zero_bears_nothing() -> None:
    assert split(D("10.00"), [("cut", D("0")), ("kept", D("5"))]) == [("kept", D("10.00"))]
    with pytest.raises(Conflict):
        split(D("10.00"), [("cut", D("0"))])
