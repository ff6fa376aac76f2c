"""Money is Decimal 元 with 2 places: read from the API's strings, written back as strings."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(text: str) -> Decimal:
    """The API's money strings are checked by pattern before they get here."""
    return Decimal(text).quantize(CENT)


def to_cents(value: Decimal) -> Decimal:
    """A product such as quantity × unit cost, rounded half up to the fen (分)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def text(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"
