"""Which funding sources bore a paid amount: the budget line's sources, in proportion.

Each source gets its share rounded down to the fen (分); what rounding left over goes to the
largest source, so the shares always sum exactly to the amount. The line's approved amounts
weigh (a cut line's sources as finance approved them); a source never approved weighs as
requested. These rows are what OCDS implementation.transactions later publish per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from services.kit.errors import Conflict
from services.kit.money import CENT


def split(amount: Decimal, weights: Sequence[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """``amount`` shared among ``weights`` (source, weight), to the cent, the remainder on the
    largest source; sources whose share is 0 are left out."""
    weighed = [(source, weight) for source, weight in weights if weight > 0]
    if not weighed:
        raise Conflict("The contract's budget line names no funding source to pay from.")
    total = sum((weight for _, weight in weighed), Decimal(0))
    shares = {
        source: (amount * weight / total).quantize(CENT, rounding=ROUND_DOWN)
        for source, weight in weighed
    }
    # The largest source, by weight; of equal ones the first by name, so the split is stable.
    largest = min(weighed, key=lambda sw: (-sw[1], sw[0]))[0]
    shares[largest] += amount - sum(shares.values(), Decimal(0))
    return [(source, share) for source, share in sorted(shares.items()) if share > 0]
