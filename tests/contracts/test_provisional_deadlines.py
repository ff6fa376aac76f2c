"""The contract's deadlines (sign_by, publish_by, file_by) say whether they fall in a year
whose holidays nobody knows yet (2097: the authorisation matrix enters 2099, so not that
one): counted Monday–Friday, they may move."""

from __future__ import annotations

import pytest

from tests.support.contracts import single_source_deal
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


@pytest.mark.parametrize(("year", "provisional"), [(2097, True), (2026, False)])
async def test_contract_deadlines_say_whether_they_are_provisional(
    gz: Tenderer, year: int, provisional: bool
) -> None:
    deal = await single_source_deal(gz)
    shown = await deal.read()
    assert shown["publish_by"] is None and shown["publish_by_provisional"] is False
    await deal.moved(
        f"sign_by = '{year}-12-30 16:00+00', publish_by = '{year}-12-29 16:00+00',"
        f" file_by = '{year}-12-30 16:00+00'"
    )
    shown = await deal.read()
    assert shown["sign_by"].startswith(f"{year}-12-30")
    for field in ("sign_by", "publish_by", "file_by"):
        assert shown[f"{field}_provisional"] is provisional, field
