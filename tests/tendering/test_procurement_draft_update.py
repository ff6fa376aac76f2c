"""A draft procurement is changed with PATCH before it goes anywhere: its title, requirements,
deadlines (checked again as at creation) and its marks as technically complex or of wide
social impact, which call for the larger committee (财政部令第87号 art. 47). Not its method or
money; not once it has left the draft; not in another region."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.client import Client, error_fields, json_of
from tests.support.demo import GZ
from tests.support.tendering import Tenderer, assert_rule_broken, later

pytestmark = pytest.mark.usefixtures("demo")


async def _patch(gz: Tenderer, pid: str, body: dict[str, Any]) -> httpx.Response:
    return await gz.client.patch(
        f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"), json=body
    )


async def _shown(gz: Tenderer, pid: str) -> dict[str, Any]:
    return json_of(
        await gz.client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    )


async def test_a_flag_set_on_the_draft_calls_for_the_larger_committee(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    procurement = await gz.create()
    pid = str(procurement["id"])
    assert procurement["wide_social_impact"] is False
    changed = json_of(await _patch(gz, pid, {"wide_social_impact": True, "title": "社区关爱服务"}))
    assert (changed["wide_social_impact"], changed["title"]) == (True, "社区关爱服务")
    assert changed["technically_complex"] is False
    assert changed["status"] == "draft"
    # Audited with what it was and what it became.
    audited = await admin_db.fetchrow(
        "SELECT before, after FROM audit_log WHERE tenant_id = $1 AND object_id = $2"
        " AND action = 'procurement.draft_updated'",
        GZ,
        pid,
    )
    assert audited is not None
    assert json.loads(audited["before"]) == {
        "title": procurement["title"],
        "wide_social_impact": False,
    }
    assert json.loads(audited["after"]) == {"title": "社区关爱服务", "wide_social_impact": True}

    officer = await gz.as_("civil_affairs_officer")
    json_of(await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={}))
    # Published, it is no longer a draft: nothing changes any more.
    late = await _patch(gz, pid, {"wide_social_impact": False})
    assert (late.status_code, late.json()["code"]) == (409, "wrong_state")
    bidders = [await gz.bidder() for _ in range(3)]
    for bidder, price in zip(bidders, ("300000", "310000", "320000"), strict=True):
        await gz.bid(pid, bidder, price)
    await gz.open_now(pid, await gz.closed(pid))
    await gz.qualified(pid)
    speciality = f"marked_{uuid.uuid4().hex[:6]}"
    for _ in range(7):
        await gz.expert(speciality=speciality)
    five = await gz.draw_committee(pid, 5, speciality)
    assert_rule_broken(five, "committee_min_members_large")
    seven = await gz.draw_committee(pid, 7, speciality)
    assert seven.status_code == 201, seven.text
    # With the committee drawn the marks stay as they were.
    after = await _patch(gz, pid, {"wide_social_impact": False})
    assert after.status_code == 409, after.text
    assert (await _shown(gz, pid))["wide_social_impact"] is True


async def test_the_deadlines_are_checked_as_at_creation_and_bad_input_changes_nothing(
    gz: Tenderer,
) -> None:
    procurement = await gz.create(enquiry_deadline=later(days=10))
    pid = str(procurement["id"])
    before = await _shown(gz, pid)
    deadline = datetime.fromisoformat(before["bid_deadline"])
    for body, field in [
        ({"bid_deadline": later(days=-1)}, "bid_deadline"),
        ({"bid_deadline": "2027-01-30T10:00:00"}, "bid_deadline"),  # no time zone
        ({"opening_at": (deadline - timedelta(hours=1)).isoformat()}, "opening_at"),
        ({"enquiry_deadline": (deadline + timedelta(hours=1)).isoformat()}, "enquiry_deadline"),
        ({"title": ""}, "title"),
        ({"technically_complex": "yes"}, "technically_complex"),
    ]:
        refused = await _patch(gz, pid, body)
        assert refused.status_code == 422, (body, refused.text)
        assert error_fields(refused) == {field}, (body, refused.text)
    # The bid period the law asks for (20 days for an open tender) is checked as at creation.
    short = await _patch(gz, pid, {"bid_deadline": later(days=15), "technically_complex": True})
    assert_rule_broken(short, "open_tender_min_days")
    assert short.json()["field"] == "bid_deadline"
    # The method and the money are fixed at creation.
    fixed: list[dict[str, Any]] = [
        {"method": "invited_tender"},
        {"budget_amount": "1.00"},
        {"budget_line_id": None},
    ]
    for body in fixed:
        refused = await _patch(gz, pid, body)
        assert refused.status_code in (400, 422), (body, refused.text)
    assert await _shown(gz, pid) == before
    # A later deadline moves the opening left at it along with it.
    new_deadline = datetime.now(UTC) + timedelta(days=30)
    moved = json_of(await _patch(gz, pid, {"bid_deadline": new_deadline.isoformat()}))
    assert datetime.fromisoformat(moved["bid_deadline"]) == new_deadline
    assert datetime.fromisoformat(moved["opening_at"]) == new_deadline
    assert moved["enquiry_deadline"] == before["enquiry_deadline"]


async def test_another_regions_draft_is_not_found(gz: Tenderer, sz: Tenderer) -> None:
    pid = str((await gz.create())["id"])
    before = await _shown(gz, pid)
    foreign = await sz.client.patch(
        f"{sz.base}/{pid}",
        headers=await sz.as_("civil_affairs_officer"),
        json={"technically_complex": True},
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    missing = await _patch(gz, str(uuid.uuid4()), {"technically_complex": True})
    assert missing.status_code == 404
    assert await _shown(gz, pid) == before


async def test_a_published_prequalification_keeps_the_title_and_requirements(
    gz: Tenderer,
) -> None:
    procurement = await gz.create(
        method="invited_tender",
        method_reason="limited_suppliers",
        method_justification="具备戒毒康复服务资质的机构有限",
        bid_deadline=later(days=30),
    )
    pid = str(procurement["id"])
    notice = await gz.client.post(
        f"{gz.base}/{pid}/prequalification-notice",
        headers=await gz.as_("civil_affairs_officer"),
        json={"applications_deadline": later(days=14)},
    )
    assert notice.status_code == 201, notice.text
    changed = await _patch(gz, pid, {"title": "改过的项目名称"})
    assert changed.status_code == 409 and "prequalification" in changed.json()["detail"]
    assert (await _shown(gz, pid))["title"] == procurement["title"]
    # Its deadlines are still the draft's to set: no invitation has gone out yet.
    moved = await _patch(gz, pid, {"bid_deadline": later(days=31)})
    assert moved.status_code == 200, moved.text
