"""Calls of the acceptance routes. An acceptance exists only for a signed contract; the guard
runs before the handler, so a random id shows who may call: the allowed get the handler's
404 (a valid body each, so that nothing stops them before it)."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import AC1, ACS
from tests.api.authz.registry import calls
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ

PLAN = {"method": "实地走访、查阅档案", "planned_on": "2099-01-01"}
MEMBER = {"kind": "third_party", "login": "13800138000", "display_name": "第三方成员"}
OPINION = {"opinion": "达到要求", "scores": [{"seq": 1, "passed": True, "score": 90}]}
CONCLUSION = {"findings": [{"seq": 1, "passed": True, "reason": "达到要求"}], "summary": "合格"}
SIGNATURE = {"document_id": str(uuid.UUID(int=1)), "sha256": "0" * 64}


def _rounds() -> str:
    return f"/v1/tenants/{GZ}/contracts/{uuid.uuid4()}/acceptances"


def _one(tail: str = "") -> str:
    return f"/v1/tenants/{GZ}/acceptances/{uuid.uuid4()}{tail}"


@calls(f"POST {ACS}", 404)
async def _plan(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_rounds(), headers=h, json=PLAN)


@calls(f"GET {ACS}", 404)
async def _rounds_of(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_rounds(), headers=h)


@calls(f"GET {AC1}", 404)
async def _read(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_one(), headers=h)


@calls(f"GET {AC1}/panel", 404)
async def _panel(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_one("/panel"), headers=h)


@calls(f"POST {AC1}/panel", 404)
async def _seat(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_one("/panel"), headers=h, json=MEMBER)


@calls(f"DELETE {AC1}/panel/{{user_id}}", 404)
async def _unseat(w: World, h: Headers) -> httpx.Response:
    return await w.client.delete(_one(f"/panel/{uuid.uuid4()}"), headers=h)


@calls(f"PUT {AC1}/opinion", 404)
async def _opine(w: World, h: Headers) -> httpx.Response:
    return await w.client.put(_one("/opinion"), headers=h, json=OPINION)


@calls(f"POST {AC1}/conclusion", 404)
async def _conclude(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_one("/conclusion"), headers=h, json=CONCLUSION)


@calls(f"POST {AC1}/signatures/buyer", 404)
async def _sign_as_buyer(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_one("/signatures/buyer"), headers=h, json=SIGNATURE)


@calls(f"POST {AC1}/signatures/provider", 404)
async def _sign_as_provider(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_one("/signatures/provider"), headers=h, json=SIGNATURE)
