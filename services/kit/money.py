"""Money is Decimal 元 with 2 places: read from the API's strings, written back as strings."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

import msgspec

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Money travels as a JSON string of 元 with at most 2 decimals ("1200000.00"): never a JSON
# number, which clients parse as a binary float.
MONEY_PATTERN = r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$"
Money = Annotated[
    str,
    msgspec.Meta(
        pattern=MONEY_PATTERN,
        description='元 as a string, at most 2 decimals, e.g. "120000.00"',
        examples=["120000.00"],
    ),
]


def money(text: str) -> Decimal:
    """The API's money strings are checked by pattern before they get here."""
    return Decimal(text).quantize(CENT)


def to_cents(value: Decimal) -> Decimal:
    """A product such as quantity × unit cost, rounded half up to the fen (分)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def text(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"
