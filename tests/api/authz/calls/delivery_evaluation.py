"""Calls of third-party evaluation, evaluation organisations and ties, and credit facts. No
evaluation exists for the demo users: a random id shows who may call (the allowed get the
handler's 404), and the bodies that would change demo providers are ones the handler refuses."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import DQ, EV, EV1, T
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ, SUNSHINE_USCC

SCORES = {
    "scores": {
        "management_process": "9",
        "management_outcome": "8",
        "effect_process": "12",
        "effect_outcome": "17",
        "funds_process": "8",
        "funds_outcome": "8",
        "social_benefit": "13",
        "economic_benefit": "9",
    },
    "comments": "评估意见",
}


def _one(tail: str = "") -> str:
    return f"/v1/tenants/{GZ}/evaluations/{uuid.uuid4()}{tail}"


@calls(f"POST {EV}", 422)
async def _engage(w: World, h: Headers) -> httpx.Response:
    body = {"contract_id": str(uuid.uuid4()), "evaluator_id": str(uuid.uuid4())}
    return await w.client.post(f"/v1/tenants/{GZ}/evaluations", headers=h, json=body)


plain(f"GET {EV}")


@calls(f"GET {EV1}", 404)
async def _read(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_one(), headers=h)


@calls(f"PUT {EV1}/scores", 404)
async def _score(w: World, h: Headers) -> httpx.Response:
    return await w.client.put(_one("/scores"), headers=h, json=SCORES)


@calls(f"POST {EV1}/submission", 404)
async def _submit(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_one("/submission"), headers=h)


@calls(f"POST {EV1}/confirmation", 404)
async def _confirm(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_one("/confirmation"), headers=h, json={})


@calls(f"POST {EV1}/return", 404)
async def _return(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_one("/return"), headers=h, json={"note": "请补充"})


plain(f"GET {T}/evaluation-organisations")
plain("GET /v1/me/evaluations")


@calls("PUT /v1/platform/providers/{provider_id}/evaluator", 404)
async def _mark(w: World, h: Headers) -> httpx.Response:
    url = f"/v1/platform/providers/{uuid.uuid4()}/evaluator"
    return await w.client.put(url, headers=h, json={"is_evaluator": True, "note": "资质"})


plain("GET /v1/me/provider/ties")


@calls("POST /v1/me/provider/affiliations", 422)
async def _affiliate(w: World, h: Headers) -> httpx.Response:
    # 阳光's own code: refused, so the demo provider declares nothing.
    body = {"related_uscc": SUNSHINE_USCC, "relation": "parent"}
    return await w.client.post("/v1/me/provider/affiliations", headers=h, json=body)


@calls("DELETE /v1/me/provider/affiliations/{affiliation_id}", 404)
async def _unaffiliate(w: World, h: Headers) -> httpx.Response:
    return await w.client.delete(f"/v1/me/provider/affiliations/{uuid.uuid4()}", headers=h)


@calls("POST /v1/me/provider/persons", 422)
async def _person(w: World, h: Headers) -> httpx.Response:
    body = {"role": "director", "name": "张三", "id_number": "440106199001011234"}
    return await w.client.post("/v1/me/provider/persons", headers=h, json=body)


@calls("DELETE /v1/me/provider/persons/{person_id}", 404)
async def _unperson(w: World, h: Headers) -> httpx.Response:
    return await w.client.delete(f"/v1/me/provider/persons/{uuid.uuid4()}", headers=h)


plain(f"GET {T}/credit-facts")


@calls(f"GET {T}/provider-facts/{{provider_id}}", 404)
async def _provider_facts(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/provider-facts/{uuid.uuid4()}", headers=h)


plain("GET /v1/me/credit-facts")


@calls(f"POST {DQ}/from-facts", 422)
async def _from_facts(w: World, h: Headers) -> httpx.Response:
    body = {
        "provider_id": str(uuid.uuid4()),
        "fact_ids": [str(uuid.uuid4())],
        "scope": "tenant",
        "starts_on": "2027-01-01",
        "ends_on": "2028-01-01",
    }
    return await w.client.post(
        f"/v1/tenants/{GZ}/disqualifications/from-facts", headers=h, json=body
    )
