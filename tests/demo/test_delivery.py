"""The demo's project that went all the way, in 广州: reported on, inspected and put right,
evaluated 良好, accepted and published, paid in full, completed and archived; and the panel's
outside member, signing in with the demo password, reaches that acceptance and nothing else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from services.demo import DEMO_PASSWORD
from services.demo.delivery import EVALUATOR_LOGIN, RECIPIENT_LOGIN, THIRD_PARTY_LOGIN
from tests.support.client import Client, Login, json_of
from tests.support.demo import GZ, SZ, city_login

pytestmark = pytest.mark.usefixtures("demo")


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    """A successful answer that is a JSON list."""
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def _completed(client: Client, login: Login, admin_db: asyncpg.Connection) -> dict[str, Any]:
    """The demo's second contract in 广州 (the first stays at its first instalment)."""
    rows = await admin_db.fetch(
        "SELECT object_id FROM audit_log WHERE tenant_id = $1 AND action = 'contract.drafted'"
        " AND request_id = 'demo-seed' ORDER BY seq",
        GZ,
    )
    assert len(rows) == 2
    officer = await login(city_login("civil_affairs_officer"))
    listed = await client.get(f"/v1/tenants/{GZ}/contracts", headers=officer, params={"limit": 200})
    [contract] = [c for c in json_of(listed)["items"] if c["id"] == rows[1]["object_id"]]
    return dict(contract)


async def test_the_demo_project_went_from_purchase_to_archive(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    contract = await _completed(client, login, admin_db)
    cid = contract["id"]
    officer = await login(city_login("civil_affairs_officer"))
    base = f"/v1/tenants/{GZ}"

    project = json_of(
        await client.get(f"{base}/projects/{contract['project_id']}", headers=officer)
    )
    assert project["status"] == "completed"

    # Two reports accepted; the second was returned once and submitted again.
    listed = _items(await client.get(f"{base}/contracts/{cid}/reports", headers=officer))
    reports = sorted(listed, key=_seq)
    assert [(_seq(r), r["status"]) for r in reports] == [(1, "accepted"), (2, "accepted")]
    assert [r["submissions"] for r in reports] == [1, 2]
    body = json_of(await client.get(f"{base}/reports/{reports[0]['id']}", headers=officer))
    assert body["served"] and all(isinstance(s["count"], int) for s in body["served"])
    assert body["hours"] and body["funds"] and body["progress"]

    # The inspection's finding ordered a rectification, answered and closed.
    [inspection] = json_of(
        await client.get(f"{base}/contracts/{cid}/inspections", headers=officer)
    )["items"]
    ordered = [f for f in inspection["findings"] if f["rectification_id"]]
    assert len(ordered) == 1
    rectification = json_of(
        await client.get(f"{base}/rectifications/{ordered[0]['rectification_id']}", headers=officer)
    )
    assert rectification["status"] == "closed"

    # Evaluated 良好 by the demo evaluation organisation, confirmed.
    evaluations = json_of(
        await client.get(f"{base}/evaluations", headers=officer, params={"contract_id": cid})
    )["items"]
    assert [(e["status"], e["grade"]) for e in evaluations] == [("confirmed", "good")]
    evaluator = await login(EVALUATOR_LOGIN)
    mine = _items(await client.get("/v1/me/evaluations", headers=evaluator))
    assert evaluations[0]["id"] in {e["id"] for e in mine}

    # Accepted: passed, signed by both sides on one PDF, published.
    [acceptance] = _items(await client.get(f"{base}/contracts/{cid}/acceptances", headers=officer))
    assert (acceptance["status"], acceptance["result"]) == ("published", "pass")
    assert acceptance["notice_id"] is not None
    assert sorted(s["party"] for s in acceptance["signatures"]) == ["buyer", "provider"]
    assert {s["sha256"] for s in acceptance["signatures"]} == {acceptance["signed_sha256"]}
    assert acceptance["panel"] == {"buyer": 1, "recipient": 1, "third_party": 1, "recorded": 3}

    # Paid in full: the final instalment after the acceptance.
    payments = json_of(await client.get(f"{base}/contracts/{cid}/payments", headers=officer))
    assert Decimal(payments["paid"]) == Decimal(contract["price"])
    assert Decimal(payments["remaining"]) == 0
    assert sorted(p["instalment_seq"] for p in payments["payments"]) == [1, 2, 3]
    assert {p["status"] for p in payments["payments"]} == {"paid"}

    # The project's archive is ready, and its zip matches its manifest.
    archives = json_of(
        await client.get(
            f"{base}/archives", headers=officer, params={"project_id": contract["project_id"]}
        )
    )["items"]
    [archive] = [a for a in archives if a["status"] == "ready"]
    verified = json_of(
        await client.post(f"{base}/archives/{archive['id']}/verify", headers=officer)
    )
    assert verified["ok"] is True and verified["files_checked"] > 0


def _seq(report: dict[str, Any]) -> int:
    return int(report["period"]["seq"])


@pytest.mark.parametrize("who", [RECIPIENT_LOGIN, THIRD_PARTY_LOGIN])
async def test_a_panel_member_signs_in_with_the_demo_password_and_reaches_that_acceptance_only(
    client: Client, login: Login, admin_db: asyncpg.Connection, who: str
) -> None:
    contract = await _completed(client, login, admin_db)
    officer = await login(city_login("civil_affairs_officer"))
    base = f"/v1/tenants/{GZ}"
    [acceptance] = _items(
        await client.get(f"{base}/contracts/{contract['id']}/acceptances", headers=officer)
    )
    member = await login(who, DEMO_PASSWORD)
    seen = json_of(await client.get(f"{base}/acceptances/{acceptance['id']}", headers=member))
    assert seen["id"] == acceptance["id"]
    assert seen["my_opinion"] is not None
    for url in (
        f"{base}/acceptances/{acceptance['id']}/panel",
        f"{base}/contracts/{contract['id']}/acceptances",
        f"{base}/contracts",
        f"{base}/contracts/{contract['id']}/reports",
        f"{base}/evaluations",
        f"{base}/archives",
        f"/v1/tenants/{SZ}/acceptances/{acceptance['id']}",
    ):
        response = await client.get(url, headers=member)
        assert response.status_code in (403, 404), (url, response.text)
