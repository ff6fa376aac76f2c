"""Roles held on one object: an acceptance panel member (acceptance_member) opens the
acceptance it sits on and records an opinion there, a drawn expert (committee_expert) takes
part on its committee, and every other row of the matrix refuses them — every route a
signed-in user may use aside."""

from __future__ import annotations

import uuid

import pytest

import tests.api.authz.calls  # noqa: F401 - fills the table with every route's call
from tests.api.authz.expected import EVERYONE, EXPECTED
from tests.api.authz.registry import CALLS
from tests.api.authz.test_cells import assert_forbidden
from tests.api.authz.world import World
from tests.support.acceptance import new_round
from tests.support.client import json_of
from tests.support.contracts import single_source_deal
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


async def test_an_acceptance_member_reaches_its_acceptance_and_no_row_of_the_matrix(
    world: World, gz: Tenderer
) -> None:
    deal = await single_source_deal(gz, price="180000")
    await deal.signed()
    accepted = await new_round(deal)
    member = await accepted.seat("recipient")
    headers = await accepted.headers_of(member)
    assert json_of(await gz.client.get(accepted.path, headers=headers))["id"] == accepted.id
    assert json_of(await accepted.opine(member))["my_opinion"] is not None
    for route, allowed in EXPECTED.items():
        if allowed == EVERYONE:
            continue  # any signed-in user's: the directory of regions, one's own inbox …
        assert_forbidden(await CALLS[route].call(world, headers))


async def test_a_drawn_expert_reaches_its_committee_and_no_row_of_the_matrix(
    world: World, gz: Tenderer
) -> None:
    """An expert of the province's library holds committee_expert on the procurement it was
    drawn for: its scores there, and nothing any row of the matrix guards."""
    pid, _ = await gz.opened()
    speciality = f"matrix_{uuid.uuid4().hex[:6]}"
    experts = [await gz.expert(speciality=speciality) for _ in range(5)]
    json_of(await gz.draw_committee(pid, 5, speciality), 201)
    _, headers = experts[0]
    own = await gz.client.get(f"{gz.base}/{pid}/scores", headers=headers)
    assert own.status_code == 200 and own.json() == []
    for route, allowed in EXPECTED.items():
        if allowed == EVERYONE:
            continue
        assert_forbidden(await CALLS[route].call(world, headers))
