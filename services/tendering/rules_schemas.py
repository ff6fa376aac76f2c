"""Bodies of the legal-rules API: each rule with the national default, the region's value and
its legal source. Whole numbers travel as JSON numbers; amounts, percentages and shares as
strings ("10000000", "1.5", "2/3"), never as binary floats. Percentages and amounts take at
most two decimals; a whole-number percentage (the price weights) may also be a number (30)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

RuleValueJson = int | str
# PUT body: the region's overrides, rule name → value; the whole set is replaced. Each name
# and value is checked by rules.validate_overrides (a known rule, the exact form its type takes,
# so no stray character is ever stored), which names the rule when one is wrong.
Overrides = Annotated[
    dict[str, RuleValueJson],
    msgspec.Meta(
        description="rule name → the region's value; rules left out return to the national default",
        examples=[{"open_tender_min_days": 25, "price_weight_max": 30}],
    ),
]


class RuleOut(msgspec.Struct):
    rule: str
    # "min": a region may only raise it; "max": only lower it; "own": the region's own figure.
    kind: str
    unit: str
    national: RuleValueJson
    value: RuleValueJson
    tightened: bool
    source: str
    description: str


class RulesOut(msgspec.Struct):
    tenant: str
    rules: list[RuleOut]
    overrides: dict[str, RuleValueJson]
    updated_at: datetime | None
    updated_by: uuid.UUID | None
