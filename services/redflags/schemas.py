"""Bodies of the red-flag API. Shares are fractions; money is 元 as a decimal string."""

from __future__ import annotations

import msgspec


class RedFlagOut(msgspec.Struct):
    indicator: str
    name: str  # the indicator's name in Chinese
    region: str
    region_name: str
    year: int
    ocid: str
    title: str
    # A count of bids, days or working days, or a share (a fraction): ``unit`` says which.
    value: str
    threshold: str
    unit: str
    supplier: str | None
    amount: str | None  # the awarded price, 元, where the flag concerns it
    instalment: int | None  # the instalment a late payment is of
    record_url: str  # the procurement's public OCDS record


class RedFlagsOut(msgspec.Struct):
    scope: str
    year: int | None
    region: str | None
    indicator: str | None
    flags: list[RedFlagOut]
