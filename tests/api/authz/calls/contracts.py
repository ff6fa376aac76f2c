"""Calls of the contracts routes. A contract exists only after an award notice; the guard runs
before the handler, so a random id shows who may call: the allowed get the handler's 404."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import T
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ

plain(f"GET {T}/contracts")
plain("GET /v1/me/contracts")


@calls(f"GET {T}/contracts/{{contract_id}}", 404)
async def _read_contract(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/contracts/{uuid.uuid4()}", headers=h)


@calls(f"PUT {T}/contracts/{{contract_id}}/terms", 404)
async def _set_terms(w: World, h: Headers) -> httpx.Response:
    terms = {
        "scope": "服务范围",
        "quality_requirements": "质量要求",
        "breach_liability": "违约责任",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "instalments": [{"milestone": "首期", "amount": "100.00", "due_on": "2027-01-31"}],
    }
    url = f"/v1/tenants/{GZ}/contracts/{uuid.uuid4()}/terms"
    return await w.client.put(url, headers=h, json=terms)


def _contract(tail: str) -> str:
    return f"/v1/tenants/{GZ}/contracts/{uuid.uuid4()}/{tail}"


SIGNATURE = {"document_id": str(uuid.UUID(int=1)), "sha256": "0" * 64}
END = {"reason": "中标人拒绝签订合同", "next_step": "next_ranked"}


@calls(f"GET {T}/contracts/{{contract_id}}/signing", 404)
async def _signing(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_contract("signing"), headers=h)


@calls(f"POST {T}/contracts/{{contract_id}}/signatures/buyer", 404)
async def _sign_as_buyer(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("signatures/buyer"), headers=h, json=SIGNATURE)


@calls(f"POST {T}/contracts/{{contract_id}}/signatures/provider", 404)
async def _sign_as_provider(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("signatures/provider"), headers=h, json=SIGNATURE)


@calls(f"POST {T}/contracts/{{contract_id}}/refusal", 404)
async def _refusal(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("refusal"), headers=h, json=END)


@calls(f"POST {T}/contracts/{{contract_id}}/voiding", 404)
async def _voiding(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("voiding"), headers=h, json=END)


@calls(f"POST {T}/contracts/{{contract_id}}/suspensions", 404)
async def _suspend(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("suspensions"), headers=h, json={"reason": "质疑"})


@calls(f"POST {T}/contracts/{{contract_id}}/suspensions/{{suspension_id}}/lift", 404)
async def _lift(w: World, h: Headers) -> httpx.Response:
    url = _contract(f"suspensions/{uuid.uuid4()}/lift")
    return await w.client.post(url, headers=h, json={"reason": "质疑不成立"})


@calls(f"POST {T}/contracts/{{contract_id}}/suspension-orders", 404)
async def _order(w: World, h: Headers) -> httpx.Response:
    body = {"reason": "投诉处理期间", "days": 10}
    return await w.client.post(_contract("suspension-orders"), headers=h, json=body)


@calls(f"POST {T}/contracts/{{contract_id}}/suspension-orders/{{suspension_id}}/lift", 404)
async def _lift_order(w: World, h: Headers) -> httpx.Response:
    url = _contract(f"suspension-orders/{uuid.uuid4()}/lift")
    return await w.client.post(url, headers=h, json={"reason": "投诉处理完毕"})


@calls(f"POST {T}/contracts/{{contract_id}}/publication", 404)
async def _publish(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("publication"), headers=h, json={})


@calls(f"POST {T}/contracts/{{contract_id}}/performance-security", 404)
async def _security_received(w: World, h: Headers) -> httpx.Response:
    body = {"form": "bank_guarantee", "reference": "BG-001", "received_on": "2026-12-01"}
    return await w.client.post(_contract("performance-security"), headers=h, json=body)


@calls(f"POST {T}/contracts/{{contract_id}}/performance-security/return", 404)
async def _security_returned(w: World, h: Headers) -> httpx.Response:
    body = {"returned_on": "2026-12-01"}
    return await w.client.post(_contract("performance-security/return"), headers=h, json=body)


@calls(f"POST {T}/contracts/{{contract_id}}/filing", 404)
async def _file(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("filing"), headers=h, json={})


# --- payments ---

plain(f"GET {T}/payment-settings")


@calls(f"PUT {T}/payment-settings")
async def _payment_settings(w: World, h: Headers) -> httpx.Response:
    # The national defaults: what the region has, so no other test sees a change.
    body = {"mode": "treasury", "payment_days": 30}
    return await w.client.put(f"/v1/tenants/{GZ}/payment-settings", headers=h, json=body)


@calls(f"GET {T}/contracts/{{contract_id}}/payments", 404)
async def _payments(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_contract("payments"), headers=h)


@calls(f"POST {T}/contracts/{{contract_id}}/payments", 404)
async def _request_payment(w: World, h: Headers) -> httpx.Response:
    body = {
        "instalment_seq": 1,
        "amount": "100.00",
        "evidence_document_ids": [str(uuid.UUID(int=1))],
    }
    return await w.client.post(_contract("payments"), headers=h, json=body)


@calls(f"POST {T}/contracts/{{contract_id}}/payments/{{payment_id}}/confirmation", 404)
async def _confirm_payment(w: World, h: Headers) -> httpx.Response:
    url = _contract(f"payments/{uuid.uuid4()}/confirmation")
    return await w.client.post(url, headers=h, json={"note": "交付成果已核实"})


@calls(f"POST {T}/contracts/{{contract_id}}/payments/{{payment_id}}/return", 404)
async def _return_payment(w: World, h: Headers) -> httpx.Response:
    url = _contract(f"payments/{uuid.uuid4()}/return")
    return await w.client.post(url, headers=h, json={"reason": "材料不全"})


@calls(f"POST {T}/contracts/{{contract_id}}/payments/{{payment_id}}/approval", 404)
async def _approve_payment(w: World, h: Headers) -> httpx.Response:
    url = _contract(f"payments/{uuid.uuid4()}/approval")
    return await w.client.post(url, headers=h, json={})


@calls(f"POST {T}/contracts/{{contract_id}}/payments/{{payment_id}}/paid", 404)
async def _record_paid(w: World, h: Headers) -> httpx.Response:
    url = _contract(f"payments/{uuid.uuid4()}/paid")
    return await w.client.post(url, headers=h, json={"paid_on": "2026-12-01", "voucher": "GK001"})


# --- amendments ---

AMENDMENT = {
    "kind": "supplementary_purchase",
    "reason": "服务对象增加",
    "amount": "1000.00",
    "effective_on": "2027-03-01",
    "description": "增加同类服务",
}


def _amendment(tail: str = "") -> str:
    return _contract(f"amendments/{uuid.uuid4()}{tail}")


@calls(f"GET {T}/contracts/{{contract_id}}/amendments", 404)
async def _amendments(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_contract("amendments"), headers=h)


@calls(f"POST {T}/contracts/{{contract_id}}/amendments", 404)
async def _draft_amendment(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("amendments"), headers=h, json=AMENDMENT)


@calls(f"GET {T}/contracts/{{contract_id}}/amendments/{{amendment_id}}", 404)
async def _read_amendment(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_amendment(), headers=h)


@calls(f"PUT {T}/contracts/{{contract_id}}/amendments/{{amendment_id}}", 404)
async def _revise_amendment(w: World, h: Headers) -> httpx.Response:
    return await w.client.put(_amendment(), headers=h, json=AMENDMENT)


@calls(f"POST {T}/contracts/{{contract_id}}/amendments/{{amendment_id}}/withdrawal", 404)
async def _withdraw_amendment(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_amendment("/withdrawal"), headers=h, json={"reason": "撤回"})


@calls(f"POST {T}/contracts/{{contract_id}}/amendments/{{amendment_id}}/signatures/buyer", 404)
async def _sign_amendment_as_buyer(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_amendment("/signatures/buyer"), headers=h, json=SIGNATURE)


@calls(f"POST {T}/contracts/{{contract_id}}/amendments/{{amendment_id}}/signatures/provider", 404)
async def _sign_amendment_as_provider(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_amendment("/signatures/provider"), headers=h, json=SIGNATURE)
