"""The demo world's contracts: in each demo city, one contract signed by both sides on a PDF in
the document store, published and filed, which the provider sees among its own; and seeding
the demo again adds nothing."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from services.demo import seed
from services.kit.db import make_engine, make_sessionmaker
from services.kit.settings import Settings
from tests.support.client import Client, Login, json_of
from tests.support.demo import GZ, SZ, city_login
from tests.support.documents import fetch

pytestmark = pytest.mark.usefixtures("demo")

SUPPLIERS = {GZ: "admin@sunshine.demo.org.cn", SZ: "admin@pengcheng.demo.org.cn"}


async def _demo_contract_ids(admin_db: asyncpg.Connection, city: str) -> list[str]:
    """The contracts the demo seed drafted in a city, as the audit trail records them."""
    rows = await admin_db.fetch(
        "SELECT object_id FROM audit_log WHERE tenant_id = $1 AND action = 'contract.drafted'"
        " AND request_id = 'demo-seed' ORDER BY seq",
        city,
    )
    return [row["object_id"] for row in rows]


async def _contract(client: Client, login: Login, city: str, contract_id: str) -> dict[str, Any]:
    officer = await login(city_login("civil_affairs_officer", city))
    listed = await client.get(
        f"/v1/tenants/{city}/contracts", headers=officer, params={"limit": 200}
    )
    found: list[dict[str, Any]] = [c for c in json_of(listed)["items"] if c["id"] == contract_id]
    [contract] = found
    return contract


@pytest.mark.parametrize("city", [GZ, SZ])
async def test_each_demo_city_has_one_signed_contract_published_filed_and_paid_once(
    client: Client, login: Login, admin_db: asyncpg.Connection, city: str
) -> None:
    # 广州's second is the project taken all the way (tests/demo/test_delivery.py).
    contract_ids = await _demo_contract_ids(admin_db, city)
    assert len(contract_ids) == {GZ: 2, SZ: 1}[city]
    contract_id = contract_ids[0]
    contract = await _contract(client, login, city, contract_id)
    assert contract["status"] == "signed"
    assert contract["published_at"] is not None and contract["filed_at"] is not None
    assert sorted(s["party"] for s in contract["signatures"]) == ["buyer", "provider"]
    assert {s["sha256"] for s in contract["signatures"]} == {contract["signed_sha256"]}

    price = Decimal(contract["price"])
    amounts = [Decimal(i["amount"]) for i in contract["instalments"]]
    assert sum(amounts) == price
    assert [i["final"] for i in contract["instalments"]] == [False, False, True]
    assert amounts[:2] == [price * Decimal("0.3"), price * Decimal("0.5")]
    assert Decimal(contract["performance_security"]) == price * Decimal("0.05")
    assert (contract["period_start"], contract["period_end"]) == ("2027-01-01", "2027-12-31")

    # The document both sides signed is a PDF in the store, whose SHA-256 they signed.
    officer = await login(city_login("civil_affairs_officer", city))
    link = await client.get(
        f"/v1/tenants/{city}/documents/{contract['signed_document_id']}/download",
        headers=officer,
    )
    stored = await fetch(json_of(link)["url"])
    assert stored.status_code == 200
    assert stored.content.startswith(b"%PDF-")
    assert hashlib.sha256(stored.content).hexdigest() == contract["signed_sha256"]

    # The provider sees it among its own contracts.
    supplier = await login(SUPPLIERS[city])
    answer = await client.get("/v1/me/contracts", headers=supplier)
    assert answer.status_code == 200, answer.text
    mine: list[dict[str, Any]] = answer.json()
    assert [c["status"] for c in mine if c["id"] == contract_id] == ["signed"]
    assert contract["provider_id"] in {c["provider_id"] for c in mine}

    # Its first instalment is paid, under the treasury, split over the line's sources.
    shown = await client.get(
        f"/v1/tenants/{city}/contracts/{contract_id}/payments", headers=supplier
    )
    payments = json_of(shown)
    assert payments["paid"] == f"{amounts[0]:.2f}"
    assert payments["remaining"] == f"{price - amounts[0]:.2f}"
    [paid] = payments["payments"]
    assert (paid["status"], paid["instalment_seq"], paid["mode"]) == ("paid", 1, "treasury")
    assert sum(Decimal(s["amount"]) for s in paid["sources"]) == amounts[0]


async def test_the_single_source_behind_it_is_public_from_result_to_contract(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    contract_id = (await _demo_contract_ids(admin_db, GZ))[0]
    contract = await _contract(client, login, GZ, contract_id)
    officer = await login(city_login("civil_affairs_officer", GZ))
    procurement = json_of(
        await client.get(
            f"/v1/tenants/{GZ}/procurements/{contract['procurement_id']}", headers=officer
        )
    )
    assert procurement["method"] == "single_source"
    budget = Decimal(procurement["budget_amount"])
    assert Decimal(contract["price"]) == (budget * Decimal("0.95")).quantize(Decimal("1"))
    kinds = await admin_db.fetch(
        "SELECT kind FROM notices WHERE tenant_id = $1 AND procurement_id = $2"
        " ORDER BY published_at",
        GZ,
        procurement["id"],
    )
    # Below the open-tender threshold no single-source notice is due (74号令 art. 38).
    assert [k["kind"] for k in kinds] == ["result", "contract"]


async def test_seeding_again_adds_nothing(
    settings: Settings, client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    count = "SELECT count(*) FROM audit_log WHERE request_id = 'demo-seed'"
    before = await admin_db.fetchval(count)
    contracts = {city: await _demo_contract_ids(admin_db, city) for city in (GZ, SZ)}
    engine = make_engine(settings.app_database_url, settings)
    try:
        await seed(make_sessionmaker(engine), settings)
    finally:
        await engine.dispose()
    assert await admin_db.fetchval(count) == before
    assert {city: await _demo_contract_ids(admin_db, city) for city in (GZ, SZ)} == contracts
