"""Amendments of a signed contract: supplementary purchases within 10 % of the original price
(政府采购法 art. 49), changes and termination on a lawful ground (art. 50); each kept in every
version, signed by both sides on one document hash, then in effect, with its money, and
published."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from bench.server import Granian
from services.kit.settings import Settings
from tests.support.client import error_fields, json_of
from tests.support.contracts import Deal, single_source_deal
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
async def deal(gz: Tenderer) -> Deal:
    signed = await single_source_deal(gz, price="300000")
    assert (await signed.signed())["status"] == "signed"
    return signed


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "supplementary_purchase",
        "reason": "辖区新增流动儿童120名，需追加同类课后托管服务。",
        "amount": "30000.00",
        "effective_on": "2027-06-01",
        "description": "按原合同条款追加课后托管服务120人次/月，服务内容与标准不变。",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _change(**changes: Any) -> dict[str, Any]:
    return (
        _body(
            kind="change",
            amount=None,
            ground="public_interest",
            reason="服务场地被征用为防汛安置点，继续在原址服务将损害社会公共利益。",
            description="服务地点由原社区活动中心变更为街道综合服务中心。",
        )
        | changes
    )


def _termination(**changes: Any) -> dict[str, Any]:
    return (
        _body(
            kind="termination",
            amount=None,
            ground="force_majeure",
            reason="特大洪灾致服务对象整体搬迁，合同目的不能实现。",
            description="自生效之日起解除合同，已支付款项不再退还，未支付部分不再支付。",
        )
        | changes
    )


async def _line_committed(deal: Deal) -> Decimal:
    value = await deal.gz.admin_db.fetchval(
        "SELECT committed_amount FROM budget_lines WHERE id = $1",
        uuid.UUID(deal.contract["budget_line_id"]),
    )
    assert isinstance(value, Decimal)
    return value


async def _draft(deal: Deal, body: dict[str, Any]) -> httpx.Response:
    officer = await deal.gz.as_("civil_affairs_officer")
    return await deal.client.post(f"{deal.path}/amendments", headers=officer, json=body)


async def _with_document(deal: Deal, body: dict[str, Any], marker: bytes) -> dict[str, Any]:
    """The amendment's document uploaded to the contract, and the amendment drafted on it;
    the amendment with ``sha256`` of its document added."""
    document_id, digest = await deal.upload_document(marker)
    drafted = json_of(await _draft(deal, body | {"document_id": document_id}), 201)
    return drafted | {"sha256": digest}


async def _sign(deal: Deal, amendment: dict[str, Any], party: str) -> httpx.Response:
    headers = (
        deal.winner.headers if party == "provider" else await deal.gz.as_("civil_affairs_approver")
    )
    return await deal.client.post(
        f"{deal.path}/amendments/{amendment['id']}/signatures/{party}",
        headers=headers,
        json={"document_id": amendment["document_id"], "sha256": amendment["sha256"]},
    )


async def _listed(deal: Deal, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await deal.client.get(f"{deal.path}/amendments", headers=headers)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


async def _in_effect(deal: Deal, amendment: dict[str, Any]) -> dict[str, Any]:
    assert json_of(await _sign(deal, amendment, "provider"))["status"] == "signing"
    return json_of(await _sign(deal, amendment, "buyer"))


async def test_a_supplementary_purchase_of_at_most_ten_percent_takes_effect(deal: Deal) -> None:
    # 33,000.00 is 11 % of the original 300,000.00: a new procurement, not an amendment.
    over = await _draft(deal, _body(amount="33000.00"))
    assert over.status_code == 422 and over.json()["code"] == "supplementary_over_limit"
    assert error_fields(over) == {"amount"} and over.json()["available"] == "30000.00"

    before = await _line_committed(deal)
    drafted = await _with_document(deal, _body(amount="30000.00"), b"supplementary")
    assert drafted["status"] == "drafted" and drafted["version"] == 1
    assert drafted["amount"] == "30000.00" and drafted["ground"] is None
    assert await deal.told("contracts.amendment_drafted")  # the provider

    one = json_of(await _sign(deal, drafted, "provider"))
    assert one["status"] == "signing" and [s["party"] for s in one["signatures"]] == ["provider"]
    again = await _sign(deal, drafted, "provider")
    assert again.status_code == 409 and again.json()["code"] == "already_signed"
    assert await deal.told("contracts.amendment_signed_by_one_side")  # civil affairs
    assert await _line_committed(deal) == before  # nothing moves before both signed

    done = json_of(await _sign(deal, drafted, "buyer"))
    assert done["status"] == "effective" and done["effective_at"] is not None
    assert await _line_committed(deal) == before + Decimal("30000.00")
    contract = await deal.read()
    assert contract["price"] == "300000.00"  # the original price, what 10 % is measured on
    assert contract["supplementary_total"] == "30000.00" and contract["value"] == "330000.00"
    assert len(await deal.told("contracts.amendment_effective")) >= 3  # both sides, finance

    # The 10 % is used up: not a fen more.
    full = await _draft(deal, _body(amount="0.01"))
    assert full.status_code == 422 and full.json()["code"] == "supplementary_over_limit"
    notice = json_of(await deal.client.get(f"/v1/notices/{done['notice_id']}"))
    assert notice["title"].endswith("补充合同公告") and notice["kind"] == "amendment"
    assert "30000.00" in notice["body"] and "330000.00" in notice["body"]
    # Signed: it is neither revised nor withdrawn.
    officer = await deal.gz.as_("civil_affairs_officer")
    one_path = f"{deal.path}/amendments/{drafted['id']}"
    revised = await deal.client.put(one_path, headers=officer, json=_body(amount="1000.00"))
    assert revised.status_code == 409 and revised.json()["code"] == "amendment_closed"
    withdrawn = await deal.client.post(
        f"{one_path}/withdrawal", headers=officer, json={"reason": "撤回"}
    )
    assert withdrawn.status_code == 409 and withdrawn.json()["code"] == "amendment_closed"


async def test_six_percent_then_six_percent_refuses_the_second(deal: Deal) -> None:
    first = json_of(await _draft(deal, _body(amount="18000.00")), 201)
    # The first counts once drafted, signed or not.
    second = await _draft(deal, _body(amount="18000.00"))
    assert second.status_code == 422 and second.json()["code"] == "supplementary_over_limit"
    assert error_fields(second) == {"amount"} and second.json()["available"] == "12000.00"
    assert json_of(await _draft(deal, _body(amount="12000.00")), 201)["status"] == "drafted"
    # Withdrawn, the first counts no more.
    officer = await deal.gz.as_("civil_affairs_officer")
    withdrawn = json_of(
        await deal.client.post(
            f"{deal.path}/amendments/{first['id']}/withdrawal",
            headers=officer,
            json={"reason": "需求变化，不再追加"},
        )
    )
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["withdraw_reason"] == "需求变化，不再追加"
    assert json_of(await _draft(deal, _body(amount="18000.00")), 201)["amount"] == "18000.00"
    listed = await _listed(deal, officer)
    assert [a["status"] for a in listed] == ["withdrawn", "drafted", "drafted"]


async def test_a_change_on_the_public_interest_is_signed_and_published(deal: Deal) -> None:
    before = await _line_committed(deal)
    drafted = await _with_document(deal, _change(), b"change")
    assert drafted["ground"] == "public_interest" and drafted["amount"] is None
    done = await _in_effect(deal, drafted)
    assert done["status"] == "effective" and done["notice_id"] is not None
    assert await _line_committed(deal) == before
    assert (await deal.read())["status"] == "signed"
    # Anyone reads the notice without signing in, in every region.
    notice = json_of(await deal.client.get(f"/v1/notices/{done['notice_id']}"))
    assert notice["title"].endswith("合同变更公告")
    assert notice["procurement_id"] == deal.procurement_id
    assert "防汛安置点" in notice["body"] and "街道综合服务中心" in notice["body"]
    assert "第五十条" in notice["body"] and deal.winner.name in notice["body"]


async def test_a_termination_returns_the_unpaid_money_and_ends_the_contract(deal: Deal) -> None:
    supplementary = await _with_document(deal, _body(amount="30000.00"), b"supplementary")
    await _in_effect(deal, supplementary)
    pending = json_of(await _draft(deal, _change()), 201)
    committed = await _line_committed(deal)

    terminated = await _in_effect(deal, await _with_document(deal, _termination(), b"end"))
    assert terminated["status"] == "effective"
    # Nothing was paid: the price and the supplementary purchase go back to the line.
    assert await _line_committed(deal) == committed - Decimal("330000.00")
    open_commitments = await deal.gz.admin_db.fetchval(
        "SELECT count(*) FROM budget_commitments WHERE reference_type = 'contract'"
        " AND reference_id = $1 AND released_at IS NULL",
        uuid.UUID(deal.contract["id"]),
    )
    assert open_commitments == 0
    contract = await deal.read()
    assert contract["status"] == "terminated" and contract["ended_at"] is not None
    assert "特大洪灾" in contract["end_reason"] and "不可抗力" in contract["end_reason"]
    notice = json_of(await deal.client.get(f"/v1/notices/{terminated['notice_id']}"))
    assert notice["title"].endswith("合同解除公告")

    # Nothing more is amended, and what was still open was withdrawn with the contract.
    refused = await _draft(deal, _change())
    assert refused.status_code == 409 and refused.json()["code"] == "contract_not_in_force"
    officer = await deal.gz.as_("civil_affairs_officer")
    left = json_of(
        await deal.client.get(f"{deal.path}/amendments/{pending['id']}", headers=officer)
    )
    assert left["status"] == "withdrawn" and left["withdraw_reason"] == "合同已解除"


async def test_every_version_is_kept_and_a_signature_counts_for_its_own(deal: Deal) -> None:
    drafted = await _with_document(deal, _body(amount="10000.00"), b"v1")
    officer = await deal.gz.as_("civil_affairs_officer")
    path = f"{deal.path}/amendments/{drafted['id']}"
    assert json_of(await _sign(deal, drafted, "provider"))["status"] == "signing"
    body = _body(amount="12000.00", document_id=drafted["document_id"])
    second = json_of(await deal.client.put(path, headers=officer, json=body))
    assert second["version"] == 2 and second["status"] == "drafted"
    # The provider signed version 1: the buyer's signature of version 2 is not both sides'.
    buyer = json_of(await _sign(deal, drafted, "buyer"))
    assert buyer["status"] == "signing"
    assert [(s["party"], s["amendment_version"]) for s in buyer["signatures"]] == [
        ("provider", 1),
        ("buyer", 2),
    ]
    body = _body(amount="15000.00", document_id=drafted["document_id"])
    third = json_of(await deal.client.put(path, headers=officer, json=body))
    assert third["version"] == 3 and third["amount"] == "15000.00"
    read = json_of(await deal.client.get(path, headers=officer))
    assert [(v["version"], v["amount"]) for v in read["versions"]] == [
        (1, "10000.00"),
        (2, "12000.00"),
        (3, "15000.00"),
    ]
    # A revision stays within 10 % with the others, not counting its own earlier versions.
    assert json_of(await deal.client.put(path, headers=officer, json=_body(amount="30000.00")))
    kind = await deal.client.put(path, headers=officer, json=_change())
    assert kind.status_code == 422 and error_fields(kind) == {"kind"}
    finance = await deal.gz.as_("finance_officer")
    assert len(json_of(await deal.client.get(path, headers=finance))["versions"]) == 4


async def test_bad_input_is_refused_naming_the_field(deal: Deal) -> None:
    cases = [
        (_body(amount=30000.0), "amount"),  # money as a JSON number
        (_body(amount="-100.00"), "amount"),
        (_body(amount="100.001"), "amount"),
        (_body(amount="0.00"), "amount"),
        (_body(amount=None), "amount"),  # a supplementary purchase says how much
        (_body(ground="public_interest"), "ground"),  # and has no ground
        (_termination(ground=None), "ground"),  # a termination has one
        (_change(amount="100.00"), "amount"),  # and adds no money
        (_body(effective_on="2020-01-01"), "effective_on"),  # before the contract
        (_body(document_id=str(uuid.uuid4())), "document_id"),
        (_body(signed=True), "signed"),  # an unknown field
    ]
    for body, field in cases:
        refused = await _draft(deal, body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in error_fields(refused), (body, refused.text)
    # The contract's own signed document is not an amendment's.
    contract = await deal.read()
    own = await _draft(deal, _body(document_id=contract["signed_document_id"]))
    assert own.status_code == 422 and error_fields(own) == {"document_id"}
    officer = await deal.gz.as_("civil_affairs_officer")
    assert await _listed(deal, officer) == []


async def test_only_a_signed_contract_is_amended(gz: Tenderer) -> None:
    unsigned = await single_source_deal(gz, price="300000")
    refused = await _draft(unsigned, _body())
    assert refused.status_code == 409 and refused.json()["code"] == "contract_not_in_force"


async def test_the_line_refuses_a_supplementary_purchase_it_cannot_fund(deal: Deal) -> None:
    drafted = await _with_document(deal, _body(amount="30000.00"), b"unfunded")
    json_of(await _sign(deal, drafted, "provider"))
    # Other work took the rest of the line in the meantime.
    await deal.gz.admin_db.execute(
        "UPDATE budget_lines SET committed_amount = approved_amount WHERE id = $1",
        uuid.UUID(deal.contract["budget_line_id"]),
    )
    refused = await _sign(deal, drafted, "buyer")
    assert refused.status_code == 409 and refused.json()["code"] == "budget_exceeded"
    assert error_fields(refused) == {"amount"}
    officer = await deal.gz.as_("civil_affairs_officer")
    path = f"{deal.path}/amendments/{drafted['id']}"
    after = json_of(await deal.client.get(path, headers=officer))
    assert after["status"] == "signing" and len(after["signatures"]) == 1
    assert (await deal.read())["value"] == "300000.00"


async def test_the_provider_reads_and_signs_its_own_contracts_amendments_only(
    deal: Deal,
) -> None:
    drafted = await _with_document(deal, _change(), b"own")
    path = f"{deal.path}/amendments"
    mine = await _listed(deal, deal.winner.headers)
    assert [a["id"] for a in mine] == [drafted["id"]]
    other = deal.others[0].headers
    assert (await deal.client.get(path, headers=other)).status_code == 404
    assert (await deal.client.get(f"{path}/{drafted['id']}", headers=other)).status_code == 404
    signature = {"document_id": drafted["document_id"], "sha256": drafted["sha256"]}
    signed = await deal.client.post(
        f"{path}/{drafted['id']}/signatures/provider", headers=other, json=signature
    )
    assert signed.status_code == 404
    # The buyer's officer is not the approver who signs.
    officer = await deal.gz.as_("civil_affairs_officer")
    buyer = await deal.client.post(
        f"{path}/{drafted['id']}/signatures/buyer", headers=officer, json=signature
    )
    assert buyer.status_code == 403
    stale = await deal.client.post(
        f"{path}/{drafted['id']}/signatures/provider",
        headers=deal.winner.headers,
        json=signature | {"sha256": "0" * 64},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "document_changed"
    read = json_of(await deal.client.get(f"{path}/{drafted['id']}", headers=officer))
    assert read["signatures"] == []


async def test_every_amendment_route_from_another_region_finds_nothing(
    deal: Deal, sz: Tenderer
) -> None:
    drafted = await _with_document(deal, _body(amount="10000.00"), b"across")
    across = deal.path.replace(f"/tenants/{deal.gz.city}/", f"/tenants/{sz.city}/")
    one = f"amendments/{drafted['id']}"
    signature = {"document_id": drafted["document_id"], "sha256": drafted["sha256"]}
    calls = [
        ("GET", "amendments", "civil_affairs_officer", None),
        ("POST", "amendments", "civil_affairs_officer", _body(amount="1000.00")),
        ("GET", one, "finance_officer", None),
        ("PUT", one, "civil_affairs_officer", _body(amount="1000.00")),
        ("POST", f"{one}/withdrawal", "civil_affairs_officer", {"reason": "撤回"}),
        ("POST", f"{one}/signatures/buyer", "civil_affairs_approver", signature),
    ]
    for method, tail, role, body in calls:
        response = await deal.client.request(
            method, f"{across}/{tail}", headers=await sz.as_(role), json=body
        )
        assert response.status_code == 404, (tail, response.text)
    # The winner, through the other region's path, finds nothing either.
    for method, tail, body in [
        ("GET", "amendments", None),
        ("GET", one, None),
        ("POST", f"{one}/signatures/provider", signature),
    ]:
        response = await deal.client.request(
            method, f"{across}/{tail}", headers=deal.winner.headers, json=body
        )
        assert response.status_code == 404, (tail, response.text)
    officer = await deal.gz.as_("civil_affairs_officer")
    [after] = await _listed(deal, officer)
    assert after["status"] == "drafted" and after["version"] == 1 and after["signatures"] == []


async def _waiting_on_the_contract(admin_db: asyncpg.Connection, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        waiting = await admin_db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            # The statement's text is cut short there: its FOR UPDATE is not always in it.
            " AND wait_event_type = 'Lock' AND query LIKE 'SELECT contracts.%'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} requests never queued for the contract")


async def test_two_drafts_racing_for_the_last_of_the_ten_percent(
    deal: Deal, api_server: Granian, settings: Settings
) -> None:
    """Two drafts of 6 % at once: each would pass alone; the contract's lock makes the second
    count the first."""
    headers = await deal.gz.as_("civil_affairs_officer")
    holder = await asyncpg.connect(settings.admin_database_url.replace("+asyncpg", ""))
    async with httpx.AsyncClient(base_url=api_server.base_url, trust_env=False, timeout=60) as http:
        try:
            transaction = holder.transaction()
            await transaction.start()
            await holder.execute(
                "SELECT 1 FROM contracts WHERE tenant_id = $1 AND id = $2::uuid FOR UPDATE",
                deal.gz.city,
                deal.contract["id"],
            )
            racing = [
                asyncio.create_task(
                    http.post(
                        f"{deal.path}/amendments",
                        headers=headers,
                        json=_body(amount="18000.00"),
                    )
                )
                for _ in range(2)
            ]
            await _waiting_on_the_contract(deal.gz.admin_db, 2)
            await transaction.rollback()
            responses = await asyncio.gather(*racing)
        finally:
            await holder.close()
    assert sorted(r.status_code for r in responses) == [201, 422], [r.text for r in responses]
    [refused] = [r for r in responses if r.status_code == 422]
    assert refused.json()["code"] == "supplementary_over_limit"
    assert refused.json()["available"] == "12000.00"


async def test_a_termination_after_a_payment_keeps_what_was_paid(deal: Deal) -> None:
    paid = await deal.paid_first_instalment()
    committed = await _line_committed(deal)
    terminated = await _in_effect(deal, await _with_document(deal, _termination(), b"end"))
    assert terminated["status"] == "effective"
    # 90,000.00 was paid and stays committed; the other 210,000.00 goes back to the line.
    assert Decimal(paid["amount"]) == Decimal("90000.00")
    assert await _line_committed(deal) == committed - Decimal("210000.00")
    kept = await deal.gz.admin_db.fetch(
        "SELECT amount FROM budget_commitments WHERE reference_type = 'contract'"
        " AND reference_id = $1 AND released_at IS NULL",
        uuid.UUID(deal.contract["id"]),
    )
    assert [row["amount"] for row in kept] == [Decimal("90000.00")]
    # Nothing more is asked for on a terminated contract.
    more = await deal.client.post(
        f"{deal.path}/payments",
        headers=deal.winner.headers,
        json={
            "instalment_seq": 2,
            "amount": "1.00",
            "evidence_document_ids": [paid["evidence"][0]["document_id"]],
        },
    )
    assert more.status_code == 409, more.text


async def test_a_region_that_tightened_the_share_refuses_what_the_law_would_allow(
    deal: Deal,
) -> None:
    rules = f"/v1/tenants/{deal.gz.city}/tendering-rules"
    approver = await deal.gz.as_("civil_affairs_approver")
    tightened = await deal.client.put(
        rules, headers=approver, json={"supplementary_max_percent": "5"}
    )
    assert tightened.status_code == 200, tightened.text
    try:
        over = await _draft(deal, _body(amount="18000.00"))  # 6 %: lawful, not here
        assert over.status_code == 422 and over.json()["code"] == "supplementary_over_limit"
        assert error_fields(over) == {"amount"} and "5 %" in over.json()["detail"]
        within = await _draft(deal, _body(amount="15000.00"))  # exactly 5 %
        assert within.status_code == 201, within.text
    finally:
        reset = await deal.client.put(rules, headers=approver, json={})
        assert reset.status_code == 200, reset.text
