"""The larger committee (87号令 art. 47) also for a procurement the buyer marks technically
complex or of wide social impact, whatever its budget."""

from __future__ import annotations

import uuid

import pytest

from tests.support.client import Client
from tests.support.tendering import Tenderer, assert_rule_broken

pytestmark = pytest.mark.usefixtures("demo")


@pytest.mark.parametrize("flag", ["technically_complex", "wide_social_impact"])
async def test_a_flagged_procurement_under_the_budget_threshold_needs_seven(
    client: Client, gz: Tenderer, flag: str
) -> None:
    pid, _ = await gz.opened(**{flag: True})
    shown = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    assert shown.status_code == 200
    assert shown.json()[flag] is True and float(shown.json()["budget_amount"]) < 10_000_000
    speciality = f"flagged_{uuid.uuid4().hex[:6]}"
    for _ in range(7):
        await gz.expert(speciality=speciality)
    five = await gz.draw_committee(pid, 5, speciality)
    assert_rule_broken(five, "committee_min_members_large")
    assert five.json()["field"] == "experts"
    seven = await gz.draw_committee(pid, 7, speciality)
    assert seven.status_code == 201, seven.text
    assert len(seven.json()["members"]) == 7


async def test_an_unflagged_procurement_under_the_threshold_takes_five(
    client: Client, gz: Tenderer
) -> None:
    pid, _ = await gz.opened()
    shown = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    assert (shown.json()["technically_complex"], shown.json()["wide_social_impact"]) == (
        False,
        False,
    )
    speciality = f"plain_{uuid.uuid4().hex[:6]}"
    for _ in range(5):
        await gz.expert(speciality=speciality)
    five = await gz.draw_committee(pid, 5, speciality)
    assert five.status_code == 201, five.text
    assert len(five.json()["members"]) == 5


async def test_the_draw_no_longer_takes_the_flag_from_its_request(
    client: Client, gz: Tenderer
) -> None:
    # The procurement is the one source: a request cannot make a project complex to choose.
    pid, _ = await gz.opened()
    speciality = f"declared_{uuid.uuid4().hex[:6]}"
    for _ in range(5):
        await gz.expert(speciality=speciality)
    declared = await gz.draw_committee(pid, 5, speciality, technically_complex=True)
    assert declared.status_code in (400, 422), declared.text
    assert declared.headers["content-type"].startswith("application/problem+json")
    listed = await client.get(
        f"{gz.base}/{pid}/committee", headers=await gz.as_("civil_affairs_officer")
    )
    assert listed.status_code == 200 and listed.json()["members"] == []
