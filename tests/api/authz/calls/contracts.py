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
