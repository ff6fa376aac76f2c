"""From the result notice to a paid instalment, for an open tender and for a single source: the
award notice drafts the contract, both sides sign it, the price stays committed and the rest
returns, the project is contracted, it is published and filed, and the first instalment is
asked for, confirmed and paid."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from tests.support.client import json_of
from tests.support.contracts import Deal, drafted_deal, single_source_deal
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


async def _through_payment(deal: Deal, budget: Decimal) -> None:
    price = Decimal(deal.contract["price"])
    line = uuid.UUID(deal.contract["budget_line_id"])
    before = await deal.gz.admin_db.fetchval(
        "SELECT committed_amount FROM budget_lines WHERE id = $1", line
    )
    signed = await deal.signed()
    assert signed["status"] == "signed" and signed["price"] == f"{price:.2f}"
    after = await deal.gz.admin_db.fetchval(
        "SELECT committed_amount FROM budget_lines WHERE id = $1", line
    )
    assert after == before - (budget - price)
    project = await deal.gz.admin_db.fetchval(
        "SELECT status FROM projects WHERE id = $1", uuid.UUID(deal.contract["project_id"])
    )
    assert project == "contracted"
    officer = await deal.gz.as_("civil_affairs_officer")
    published = await deal.client.post(f"{deal.path}/publication", headers=officer, json={})
    assert json_of(published)["published_at"] is not None
    filed = await deal.client.post(
        f"{deal.path}/filing", headers=await deal.gz.as_("finance_officer"), json={}
    )
    assert json_of(filed)["filed_at"] is not None
    # The provider sees its signed contract among its own, in every region.
    mine = (await deal.client.get("/v1/me/contracts", headers=deal.winner.headers)).json()
    assert [c["status"] for c in mine if c["id"] == deal.contract["id"]] == ["signed"]
    paid = await deal.paid_first_instalment()
    assert paid["status"] == "paid"
    first = Decimal(signed["instalments"][0]["amount"])
    seen = (await deal.client.get(f"{deal.path}/payments", headers=deal.winner.headers)).json()
    assert (seen["paid"], seen["remaining"]) == (f"{first:.2f}", f"{price - first:.2f}")


async def test_an_open_tender_from_result_to_a_filed_contract(gz: Tenderer) -> None:
    deal = await drafted_deal(gz)
    await _through_payment(deal, Decimal("360000.00"))


async def test_a_single_source_from_result_to_a_filed_contract(gz: Tenderer) -> None:
    deal = await single_source_deal(gz)
    assert deal.contract["price"] == "336000.00"
    await _through_payment(deal, Decimal("360000.00"))
