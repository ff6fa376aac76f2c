"""Regions kept apart: one provider bidding in two cities, and a city acting on another's
procurement."""

from __future__ import annotations

import pytest

from tests.support.client import Client, Login
from tests.support.demo import GZ, ROLE_LOGINS, SZ
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


async def test_one_provider_bids_in_two_cities_and_each_city_sees_only_its_own(
    client: Client, gz: Tenderer, sz: Tenderer, login: Login
) -> None:
    sunshine = await login(ROLE_LOGINS["provider_admin"])
    mine = {}
    for t in (gz, sz):
        procurement = await t.published()
        response = await client.post(
            f"{t.base}/{procurement['id']}/bids", headers=sunshine, json={"price": "300000"}
        )
        assert response.status_code == 201, response.text
        mine[t.city] = (procurement["id"], response.json()["id"])
    gz_pid, gz_bid = mine[GZ]
    # 深圳's people cannot reach 广州's procurement, by either path.
    sz_officer = await sz.as_("civil_affairs_officer")
    assert (
        await client.get(f"/v1/tenants/{SZ}/procurements/{gz_pid}", headers=sz_officer)
    ).status_code == 404
    assert (
        await client.get(f"/v1/tenants/{GZ}/procurements/{gz_pid}", headers=sz_officer)
    ).status_code == 403
    # The provider's own view in 深圳 does not list its 广州 bid.
    sz_pid, _ = mine[SZ]
    own = await client.get(f"/v1/tenants/{SZ}/procurements/{sz_pid}/my-bids", headers=sunshine)
    assert gz_bid not in {b["id"] for b in own.json()}
    cross = await client.get(f"/v1/tenants/{SZ}/procurements/{gz_pid}/my-bids", headers=sunshine)
    assert cross.json() == []


async def test_another_city_cannot_act_on_a_procurement(
    client: Client, gz: Tenderer, sz: Tenderer, login: Login
) -> None:
    procurement = await gz.create()
    pid = procurement["id"]
    valid = {"bid_id": pid, "valid": True}
    for method, path, role, body in [
        ("GET", "", "civil_affairs_officer", None),
        ("POST", "/publish", "civil_affairs_officer", {}),
        ("POST", "/cancel", "civil_affairs_approver", {"reason": "x"}),
        ("POST", "/approval", "finance_approver", {"approve": True}),
        ("GET", "/bids", "finance_officer", None),
        ("POST", "/award", "civil_affairs_approver", None),
        ("POST", "/rounds", "civil_affairs_officer", {}),
        ("POST", "/exclusions", "civil_affairs_officer", {"provider_id": pid, "reason": "x"}),
        ("POST", "/conclude-negotiation", "civil_affairs_officer", {"minutes": "x"}),
        ("GET", "/negotiation", "finance_officer", None),
        ("GET", "/enquiries/all", "civil_affairs_officer", None),
        ("POST", "/committee", "civil_affairs_officer", {"experts": 5, "speciality": "x"}),
        # The review after opening.
        ("POST", "/qualification-review", "civil_affairs_officer", {"verdicts": [valid]}),
        ("GET", "/review", "finance_officer", None),
    ]:
        response = await client.request(
            method,
            f"/v1/tenants/{SZ}/procurements/{pid}{path}",
            headers=await sz.as_(role),
            json=body,
        )
        assert response.status_code == 404, (path, response.text)
    # A provider registered in both cities, and a 深圳 expert, reach it no better.
    sunshine = await login(ROLE_LOGINS["provider_admin"])
    expert = await sz.as_("expert")
    for method, path, headers, body in [
        ("POST", "/bids", sunshine, {"price": "300000"}),
        ("POST", "/enquiries", sunshine, {"question": "x"}),
        ("POST", "/offers", sunshine, {"price": "300000"}),
        ("POST", "/challenges", sunshine, {"grounds": "x"}),
        ("GET", "/challenges", sunshine, None),
        ("POST", "/scores", expert, {"scores": [{"bid_id": pid, "criterion": "x", "score": "1"}]}),
        ("GET", "/scores", expert, None),
        ("POST", "/compliance-review", expert, {"verdicts": [valid]}),
        ("GET", "/review", expert, None),
        ("GET", "/review", sunshine, None),
    ]:
        response = await client.request(
            method, f"/v1/tenants/{SZ}/procurements/{pid}{path}", headers=headers, json=body
        )
        assert response.status_code == 404, (path, response.text)
    still = await client.get(f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer"))
    assert still.json()["status"] == "draft"
