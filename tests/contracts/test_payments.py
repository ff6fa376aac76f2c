"""Payments (拨付) of a signed contract: the provider asks for an instalment with its evidence;
civil affairs confirms the deliverables; finance approves where it approves; the payment is
recorded and split over the line's funding sources; nothing passes the instalment or the price,
however many ask at once; the final instalment waits for the acceptance; the clock warns."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from bench.server import Granian
from services.kit import workdays
from tests.support.client import error_fields, json_of
from tests.support.contracts import Deal, single_source_deal, sweep
from tests.support.documents import pdf, upload
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

CIVIL_AFFAIRS = ("civil_affairs_officer", "civil_affairs_approver")
FINANCE = ("finance_officer", "finance_approver")


@pytest.fixture
async def deal(gz: Tenderer) -> Deal:
    return await single_source_deal(gz, price="300000")


async def _set(deal: Deal, mode: str, days: int = 30) -> dict[str, Any]:
    response = await deal.client.put(
        f"/v1/tenants/{deal.gz.city}/payment-settings",
        headers=await deal.gz.as_("finance_approver"),
        json={"mode": mode, "payment_days": days},
    )
    return json_of(response)


@pytest.fixture
async def treasury(deal: Deal) -> Deal:
    await _set(deal, "treasury")
    return deal


@pytest.fixture
async def approval(deal: Deal) -> AsyncIterator[Deal]:
    await _set(deal, "finance_approval")
    yield deal
    await _set(deal, "treasury")


async def _evidence(deal: Deal, marker: bytes = b"report") -> str:
    """The provider attaches a delivery report to its contract."""
    response = await upload(
        deal.client,
        deal.winner.headers,
        pdf(b"delivery " + marker + uuid.uuid4().bytes),
        object_type="contract",
        object_id=deal.contract["id"],
        filename="阶段服务报告.pdf",
        tenant=deal.gz.city,
    )
    return str(json_of(response, 201)["id"])


async def _ask(deal: Deal, seq: int, amount: Any, evidence: str, **more: Any) -> httpx.Response:
    body = {"instalment_seq": seq, "amount": amount, "evidence_document_ids": [evidence], **more}
    return await deal.client.post(f"{deal.path}/payments", headers=deal.winner.headers, json=body)


async def _step(deal: Deal, payment_id: str, step: str, role: str, body: Any) -> httpx.Response:
    return await deal.client.post(
        f"{deal.path}/payments/{payment_id}/{step}", headers=await deal.gz.as_(role), json=body
    )


async def _shown(deal: Deal, role: str | None = None) -> dict[str, Any]:
    headers = deal.winner.headers if role is None else await deal.gz.as_(role)
    return json_of(await deal.client.get(f"{deal.path}/payments", headers=headers))


async def _holders(deal: Deal, roles: tuple[str, ...]) -> set[uuid.UUID]:
    rows = await deal.gz.admin_db.fetch(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = ANY($2::text[])",
        deal.gz.city,
        list(roles),
    )
    return {row["user_id"] for row in rows}


async def _provider_admins(deal: Deal) -> set[uuid.UUID]:
    rows = await deal.gz.admin_db.fetch(
        "SELECT id FROM users WHERE provider_id = $1 AND provider_role = 'provider_admin'"
        " AND active",
        uuid.UUID(deal.winner.provider_id),
    )
    return {row["id"] for row in rows}


async def _totals(deal: Deal) -> tuple[Decimal, list[Decimal], int]:
    """The guard's columns and the number of payments, as the database holds them."""
    db = deal.gz.admin_db
    contract_id = uuid.UUID(deal.contract["id"])
    on_contract = await db.fetchval(
        "SELECT requested_total FROM contracts WHERE id = $1", contract_id
    )
    on_instalments = await db.fetch(
        "SELECT requested_total FROM contract_instalments WHERE contract_id = $1 ORDER BY seq",
        contract_id,
    )
    count = await db.fetchval(
        "SELECT count(*) FROM contract_payments WHERE contract_id = $1", contract_id
    )
    return on_contract, [row["requested_total"] for row in on_instalments], count


def _today() -> str:
    return workdays.local_date(datetime.now(UTC)).isoformat()


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_treasury_request_confirm_pay_split_over_the_sources(treasury: Deal) -> None:
    deal = treasury
    await _set(deal, "treasury", days=45)
    await deal.signed()
    evidence = await _evidence(deal)
    asked = json_of(await _ask(deal, 1, "90000.00", evidence, note="首期款"), 201)
    assert asked["status"] == "requested" and asked["mode"] == "treasury"
    assert asked["amount"] == "90000.00" and asked["note"] == "首期款"
    assert [e["document_id"] for e in asked["evidence"]] == [evidence]
    assert asked["evidence"][0]["version"] == 1 and len(asked["evidence"][0]["sha256"]) == 64
    assert asked["payer"]["id"] == deal.gz.city
    assert asked["payee"] == {"id": deal.winner.provider_id, "name": deal.winner.name}
    assert set(await deal.told("contracts.payment_requested")) == await _holders(
        deal, CIVIL_AFFAIRS
    )

    # Finance sees it too, but the deliverables are civil affairs' to confirm.
    seen = await _shown(deal, "finance_officer")
    assert seen["requested"] == "90000.00" and seen["paid"] == "0.00"
    assert seen["payments"][0]["status"] == "requested"
    confirmed = json_of(
        await _step(deal, asked["id"], "confirmation", "civil_affairs_officer", {"note": "已核实"})
    )
    assert confirmed["status"] == "confirmed" and confirmed["confirmation_note"] == "已核实"
    # 45 days from the day after the confirmation, to 24:00 of the last (条例 arts. 8–9).
    at = _moment(confirmed["confirmed_at"])
    assert _moment(confirmed["pay_by"]) == workdays.calendar_deadline(at, 45)
    told = set(await deal.told("contracts.payment_confirmed"))
    assert told == await _provider_admins(deal)  # treasury: finance is not asked
    again = await _step(deal, asked["id"], "confirmation", "civil_affairs_approver", {})
    assert again.status_code == 409 and again.json()["code"] == "payment_wrong_state"
    # Under 国库集中支付 neither approval nor finance's record.
    approval = await _step(deal, asked["id"], "approval", "finance_approver", {})
    assert approval.status_code == 409 and approval.json()["code"] == "payment_wrong_state"
    paid_body = {"paid_on": _today(), "voucher": "GK2026-000123"}
    by_finance = await _step(deal, asked["id"], "paid", "finance_officer", paid_body)
    assert by_finance.status_code == 403 and by_finance.json()["code"] == "not_your_step"
    ahead = await _step(
        deal, asked["id"], "paid", "civil_affairs_officer", {**paid_body, "paid_on": "2099-01-01"}
    )
    assert ahead.status_code == 422 and error_fields(ahead) == {"paid_on"}

    paid = json_of(await _step(deal, asked["id"], "paid", "civil_affairs_officer", paid_body))
    assert paid["status"] == "paid" and paid["voucher"] == "GK2026-000123"
    assert paid["paid_on"] == _today()
    # The line's sources share the amount in proportion, to the fen, the rest on the largest.
    sources = await deal.gz.admin_db.fetch(
        "SELECT source, coalesce(approved_amount, requested_amount) AS weight"
        " FROM budget_line_sources WHERE line_id = $1",
        uuid.UUID(deal.contract["budget_line_id"]),
    )
    weights = {row["source"]: row["weight"] for row in sources}
    shares = {s["source"]: Decimal(s["amount"]) for s in paid["sources"]}
    assert set(shares) == set(weights) and len(shares) == 2
    assert sum(shares.values()) == Decimal("90000.00")
    total = sum(weights.values())
    largest = max(weights, key=lambda source: weights[source])
    for source, share in shares.items():
        exact = Decimal("90000.00") * weights[source] / total
        assert share == exact.quantize(Decimal("0.01"), rounding="ROUND_DOWN") or (
            source == largest and abs(share - exact) < Decimal("0.02")
        )
    stored = await deal.gz.admin_db.fetch(
        "SELECT source, amount FROM contract_payment_sources WHERE payment_id = $1",
        uuid.UUID(paid["id"]),
    )
    assert {row["source"]: row["amount"] for row in stored} == shares
    assert await deal.told("contracts.payment_paid")

    # Everyone concerned sees paid, due and remaining.
    for role in (None, "civil_affairs_approver", "finance_approver"):
        shown = await _shown(deal, role)
        assert (shown["price"], shown["requested"], shown["confirmed"]) == (
            "300000.00",
            "90000.00",
            "90000.00",
        )
        owed = (shown["paid"], shown["due"], shown["remaining"])
        assert owed == ("90000.00", "0.00", "210000.00")
        first = shown["instalments"][0]
        assert (first["requested"], first["requestable"], first["paid"]) == (
            "90000.00",
            "0.00",
            "90000.00",
        )
        assert [p["status"] for p in shown["payments"]] == ["paid"]
        assert shown["payments"][0]["sources"] == paid["sources"]
    actions = await deal.gz.admin_db.fetch(
        "SELECT action FROM audit_log WHERE object_id = $1 ORDER BY seq", paid["id"]
    )
    assert [a["action"] for a in actions] == [
        "contract_payment.requested",
        "contract_payment.confirmed",
        "contract_payment.paid",
    ]


async def test_finance_approves_or_returns_where_it_approves(approval: Deal) -> None:
    deal = approval
    await deal.signed()
    evidence = await _evidence(deal)
    first = json_of(await _ask(deal, 1, "50000.00", evidence), 201)
    second = json_of(await _ask(deal, 1, "40000.00", evidence), 201)
    assert first["mode"] == "finance_approval"

    json_of(await _step(deal, first["id"], "confirmation", "civil_affairs_approver", {}))
    told = set(await deal.told("contracts.payment_confirmed"))
    assert await _holders(deal, FINANCE) | await _provider_admins(deal) <= told
    paid_body = {"paid_on": _today(), "voucher": "GK-7788"}
    not_yet = await _step(deal, first["id"], "paid", "finance_approver", paid_body)
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "payment_wrong_state"
    by_civil_affairs = await _step(deal, first["id"], "paid", "civil_affairs_officer", paid_body)
    assert by_civil_affairs.status_code == 403
    approved = json_of(
        await _step(deal, first["id"], "approval", "finance_officer", {"note": "同意拨付"})
    )
    assert approved["status"] == "approved" and approved["approval_note"] == "同意拨付"
    assert await _provider_admins(deal) <= set(await deal.told("contracts.payment_approved"))
    paid = json_of(await _step(deal, first["id"], "paid", "finance_approver", paid_body))
    assert paid["status"] == "paid"
    assert sum(Decimal(s["amount"]) for s in paid["sources"]) == Decimal("50000.00")

    # Finance returns a confirmed request with its reasons; the amount may be asked again.
    json_of(await _step(deal, second["id"], "confirmation", "civil_affairs_officer", {}))
    no_reason = await _step(deal, second["id"], "return", "finance_approver", {})
    assert no_reason.status_code == 422 and error_fields(no_reason) == {"reason"}
    by_buyer = await _step(deal, second["id"], "return", "civil_affairs_officer", {"reason": "x"})
    assert by_buyer.status_code == 403 and by_buyer.json()["code"] == "not_your_step"
    returned = json_of(
        await _step(deal, second["id"], "return", "finance_officer", {"reason": "发票金额不符"})
    )
    assert returned["status"] == "returned" and returned["returned_party"] == "finance"
    assert returned["return_reason"] == "发票金额不符"
    told = set(await deal.told("contracts.payment_returned"))
    assert await _provider_admins(deal) | await _holders(deal, CIVIL_AFFAIRS) <= told
    assert await _totals(deal) == (
        Decimal("50000.00"),
        [Decimal("50000.00"), Decimal("0.00"), Decimal("0.00")],
        2,
    )
    # Civil affairs returns a request before confirming it.
    third = json_of(await _ask(deal, 1, "40000.00", evidence), 201)
    back = json_of(
        await _step(deal, third["id"], "return", "civil_affairs_officer", {"reason": "材料不全"})
    )
    assert back["returned_party"] == "buyer"
    late = await _step(deal, third["id"], "confirmation", "civil_affairs_officer", {})
    assert late.status_code == 409
    shown = await _shown(deal)
    assert (shown["requested"], shown["paid"], shown["remaining"]) == (
        "50000.00",
        "50000.00",
        "250000.00",
    )
    assert shown["instalments"][0]["requestable"] == "40000.00"
    assert [p["status"] for p in shown["payments"]] == ["paid", "returned", "returned"]


async def test_nothing_past_the_instalment_or_the_price_and_bad_input_changes_nothing(
    treasury: Deal,
) -> None:
    deal = treasury
    evidence = await _evidence(deal)
    unsigned = await _ask(deal, 1, "100.00", evidence)
    assert unsigned.status_code == 409 and unsigned.json()["code"] == "contract_not_signed"
    await deal.signed()
    beyond = await _ask(deal, 1, "90000.01", evidence)
    assert beyond.status_code == 422 and beyond.json()["code"] == "instalment_exceeded"
    assert error_fields(beyond) == {"amount"} and beyond.json()["available"] == "90000.00"
    above_price = await _ask(deal, 2, "300000.00", evidence)
    assert above_price.status_code == 422 and error_fields(above_price) == {"amount"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"amount": 100.5}, "amount"),
        ({"amount": 100}, "amount"),
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"instalment_seq": 4}, "instalment_seq"),
        ({"evidence_document_ids": []}, "evidence_document_ids"),
        ({"evidence_document_ids": [str(uuid.uuid4())]}, "evidence_document_ids"),
        ({"paid": True}, "paid"),
    ]
    for change, field in cases:
        body = {"instalment_seq": 1, "amount": "100.00", "evidence_document_ids": [evidence]}
        response = await deal.client.post(
            f"{deal.path}/payments", headers=deal.winner.headers, json={**body, **change}
        )
        assert response.status_code == 422, (change, response.text)
        assert error_fields(response) == {field}, (change, response.text)
    assert await _totals(deal) == (Decimal("0.00"), [Decimal("0.00")] * 3, 0)
    assert (await _shown(deal))["payments"] == []
    # Within the instalment, to the fen: fine.
    json_of(await _ask(deal, 1, "90000.00", evidence), 201)
    assert (await _ask(deal, 1, "0.01", evidence)).status_code == 422


async def test_the_final_instalment_waits_for_the_acceptance(treasury: Deal) -> None:
    deal = treasury
    await deal.signed()
    evidence = await _evidence(deal)
    final = json_of(await _ask(deal, 3, "60000.00", evidence), 201)  # filed: allowed
    early = await _step(deal, final["id"], "confirmation", "civil_affairs_officer", {})
    assert early.status_code == 409 and early.json()["code"] == "awaiting_acceptance"
    assert (await _shown(deal))["accepted_at"] is None
    # The acceptance step of a later stage records accepted_at; here the database does.
    await deal.moved("accepted_at = now()")
    json_of(await _step(deal, final["id"], "confirmation", "civil_affairs_officer", {}))
    paid = await _step(
        deal, final["id"], "paid", "civil_affairs_officer", {"paid_on": _today(), "voucher": "GK9"}
    )
    assert json_of(paid)["status"] == "paid"
    assert (await _shown(deal))["accepted_at"] is not None


async def _queued_on_the_contract(admin_db: asyncpg.Connection, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        waiting = await admin_db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE contracts%'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} requests never queued for the contract")


async def test_twenty_requests_at_once_only_those_that_fit(
    treasury: Deal, api_server: Granian
) -> None:
    """Twenty requests of 7,000.00 for the 90,000.00 of the first instalment, on a real
    server, all released at once: twelve fit (84,000.00), eight are refused, none over."""
    deal = treasury
    await deal.signed()
    evidence = await _evidence(deal)
    body = {"instalment_seq": 1, "amount": "7000.00", "evidence_document_ids": [evidence]}
    url = f"/v1/tenants/{deal.gz.city}/contracts/{deal.contract['id']}/payments"
    holder = await asyncpg.connect(deal.gz.settings.admin_database_url.replace("+asyncpg", ""))
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(
        base_url=api_server.base_url, trust_env=False, timeout=120, limits=limits
    ) as http:
        try:
            # Hold the contract's row so that every request reads it, then races at the guard.
            transaction = holder.transaction()
            await transaction.start()
            await holder.execute(
                "SELECT 1 FROM contracts WHERE id = $1 FOR UPDATE", uuid.UUID(deal.contract["id"])
            )
            racing = [
                asyncio.create_task(http.post(url, headers=deal.winner.headers, json=body))
                for _ in range(20)
            ]
            await _queued_on_the_contract(deal.gz.admin_db, 5)
            await transaction.rollback()
            responses = await asyncio.gather(*racing)
        finally:
            await holder.close()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 12 + [422] * 8, [r.text for r in responses if r.status_code >= 500]
    refused = [r.json() for r in responses if r.status_code == 422]
    assert {r["code"] for r in refused} == {"instalment_exceeded"}
    assert await _totals(deal) == (
        Decimal("84000.00"),
        [Decimal("84000.00"), Decimal("0.00"), Decimal("0.00")],
        12,
    )
    # The last 6,000.00 still fits, exactly; then nothing more.
    json_of(await _ask(deal, 1, "6000.00", evidence), 201)
    assert (await _ask(deal, 1, "0.01", evidence)).status_code == 422
    assert (await _totals(deal))[0] == Decimal("90000.00")


async def test_the_clock_warns_before_the_last_day_to_pay_and_once_it_passed(
    approval: Deal,
) -> None:
    deal = approval
    await deal.signed()
    evidence = await _evidence(deal)
    asked = json_of(await _ask(deal, 1, "90000.00", evidence), 201)
    json_of(await _step(deal, asked["id"], "confirmation", "civil_affairs_officer", {}))
    await sweep(deal.gz.sessionmaker)
    assert await deal.told("contracts.payment_due_soon") == []
    db = deal.gz.admin_db

    async def pay_by(interval: str) -> None:
        await db.execute(
            f"UPDATE contract_payments SET pay_by = now() + interval '{interval}' WHERE id = $1",
            uuid.UUID(asked["id"]),
        )

    # Civil affairs and finance (who approves here) hear 5 days before, once.
    await pay_by("3 days")
    await sweep(deal.gz.sessionmaker)
    await sweep(deal.gz.sessionmaker)
    soon = await deal.told("contracts.payment_due_soon")
    assert sorted(soon) == sorted(await _holders(deal, CIVIL_AFFAIRS + FINANCE))
    assert await deal.told("contracts.payment_overdue") == []
    # And again once the last day has passed, once.
    await pay_by("-1 day")
    await sweep(deal.gz.sessionmaker)
    await sweep(deal.gz.sessionmaker)
    overdue = await deal.told("contracts.payment_overdue")
    assert sorted(overdue) == sorted(await _holders(deal, CIVIL_AFFAIRS + FINANCE))

    # The second instalment's day passes with nothing asked: civil affairs hears, once.
    assert await deal.told("contracts.instalment_not_requested") == []
    await db.execute(
        "UPDATE contract_instalments SET due_on = current_date - 2"
        " WHERE contract_id = $1 AND seq = 2",
        uuid.UUID(deal.contract["id"]),
    )
    await sweep(deal.gz.sessionmaker)
    await sweep(deal.gz.sessionmaker)
    unrequested = await deal.told("contracts.instalment_not_requested")
    assert sorted(unrequested) == sorted(await _holders(deal, CIVIL_AFFAIRS))


async def test_another_provider_finds_nothing(treasury: Deal) -> None:
    deal = treasury
    await deal.signed()
    evidence = await _evidence(deal)
    asked = json_of(await _ask(deal, 1, "1000.00", evidence), 201)
    other = deal.others[0].headers
    assert (await deal.client.get(f"{deal.path}/payments", headers=other)).status_code == 404
    body = {"instalment_seq": 1, "amount": "1000.00", "evidence_document_ids": [evidence]}
    mine = await deal.client.post(f"{deal.path}/payments", headers=other, json=body)
    assert mine.status_code == 404
    # The contract's own provider reads its payments; staff cannot ask (the guard).
    assert [p["id"] for p in (await _shown(deal))["payments"]] == [asked["id"]]
    assert (await _totals(deal))[2] == 1


async def test_every_payment_route_from_another_region_finds_nothing(
    treasury: Deal, sz: Tenderer
) -> None:
    deal = treasury
    await deal.signed()
    evidence = await _evidence(deal)
    asked = json_of(await _ask(deal, 1, "1000.00", evidence), 201)
    across = deal.path.replace(f"/tenants/{deal.gz.city}/", f"/tenants/{sz.city}/")
    one = f"payments/{asked['id']}"
    paid = {"paid_on": _today(), "voucher": "GK1"}
    calls: list[tuple[str, str, str, dict[str, str] | None]] = [
        ("GET", "payments", "civil_affairs_officer", None),
        ("GET", "payments", "finance_officer", None),
        ("POST", f"{one}/confirmation", "civil_affairs_officer", {}),
        ("POST", f"{one}/return", "civil_affairs_officer", {"reason": "越权"}),
        ("POST", f"{one}/return", "finance_approver", {"reason": "越权"}),
        ("POST", f"{one}/approval", "finance_approver", {}),
        ("POST", f"{one}/paid", "civil_affairs_officer", paid),
        ("POST", f"{one}/paid", "finance_approver", paid),
    ]
    for method, tail, role, body in calls:
        response = await deal.client.request(
            method, f"{across}/{tail}", headers=await sz.as_(role), json=body
        )
        assert response.status_code == 404, (tail, role, response.text)
    # The winner, asking through the other region's path, finds nothing either.
    ask = {"instalment_seq": 1, "amount": "1000.00", "evidence_document_ids": [evidence]}
    mine = await deal.client.post(f"{across}/payments", headers=deal.winner.headers, json=ask)
    assert mine.status_code == 404
    after = await _shown(deal)
    assert [p["status"] for p in after["payments"]] == ["requested"]
    assert await _totals(deal) == (
        Decimal("1000.00"),
        [Decimal("1000.00"), Decimal("0.00"), Decimal("0.00")],
        1,
    )
    # A region's setting is its own: 广州's finance cannot touch 深圳's.
    theirs = f"/v1/tenants/{sz.city}/payment-settings"
    refused = await deal.client.put(
        theirs,
        headers=await deal.gz.as_("finance_approver"),
        json={"mode": "finance_approval", "payment_days": 10},
    )
    assert refused.status_code == 403
    kept = json_of(await deal.client.get(theirs, headers=await sz.as_("finance_officer")))
    assert kept["mode"] == "treasury" and kept["payment_days"] == 30


async def test_the_payment_setting_is_finance_s_and_at_most_60_days(gz: Tenderer) -> None:
    url = f"/v1/tenants/{gz.city}/payment-settings"
    approver = await gz.as_("finance_approver")
    try:
        for body, field in (
            ({"mode": "treasury", "payment_days": 61}, "payment_days"),
            ({"mode": "treasury", "payment_days": 0}, "payment_days"),
            ({"mode": "treasury", "payment_days": "30"}, "payment_days"),
            ({"mode": "cash", "payment_days": 30}, "mode"),
            ({"mode": "treasury", "payment_days": 30, "extra": 1}, "extra"),
        ):
            response = await gz.client.put(url, headers=approver, json=body)
            assert response.status_code == 422, (body, response.text)
            assert error_fields(response) == {field}, (body, response.text)
        one_day = {"mode": "treasury", "payment_days": 1}
        officer = await gz.client.put(url, headers=await gz.as_("finance_officer"), json=one_day)
        assert officer.status_code == 403
        done = json_of(
            await gz.client.put(
                url, headers=approver, json={"mode": "finance_approval", "payment_days": 60}
            )
        )
        assert (done["mode"], done["payment_days"]) == ("finance_approval", 60)
        assert done["updated_by"] is not None
        read = json_of(await gz.client.get(url, headers=await gz.as_("civil_affairs_officer")))
        assert (read["mode"], read["payment_days"]) == ("finance_approval", 60)
        provider = await gz.client.get(url, headers=(await gz.bidder()).headers)
        assert provider.status_code == 403
    finally:
        defaults = {"mode": "treasury", "payment_days": 30}
        json_of(await gz.client.put(url, headers=approver, json=defaults))
