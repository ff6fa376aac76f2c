"""Calls of the inspections and rectifications routes. The guard runs before the handler, so
a random id shows who may call: the allowed get the handler's 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from services.kit import workdays
from tests.api.authz.expected import T
from tests.api.authz.registry import calls
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ


def _contract(tail: str) -> str:
    return f"/v1/tenants/{GZ}/contracts/{uuid.uuid4()}/{tail}"


def _rectification(tail: str = "") -> str:
    return f"/v1/tenants/{GZ}/rectifications/{uuid.uuid4()}{tail}"


def _inspection() -> dict[str, object]:
    """Valid for both bureaus: the use of funds only."""
    return {
        "manner": "announced",
        "inspected_on": workdays.local_date(datetime.now(UTC)).isoformat(),
        "place": "社工站",
        "inspectors": ["检查员"],
        "scope": ["use_of_funds"],
        "findings": [],
    }


@calls(f"POST {T}/contracts/{{contract_id}}/inspections", 404)
async def _record(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_contract("inspections"), headers=h, json=_inspection())


@calls(f"GET {T}/contracts/{{contract_id}}/inspections", 404)
async def _list_inspections(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_contract("inspections"), headers=h)


@calls(f"GET {T}/inspections/{{inspection_id}}", 404)
async def _read_inspection(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/inspections/{uuid.uuid4()}", headers=h)


@calls(f"GET {T}/contracts/{{contract_id}}/rectifications", 404)
async def _list_rectifications(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_contract("rectifications"), headers=h)


@calls(f"GET {T}/rectifications/{{rectification_id}}", 404)
async def _read_rectification(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_rectification(), headers=h)


@calls(f"POST {T}/rectifications/{{rectification_id}}/answer", 404)
async def _answer(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_rectification("/answer"), headers=h, json={"text": "已整改"})


@calls(f"POST {T}/rectifications/{{rectification_id}}/close", 404)
async def _close(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_rectification("/close"), headers=h, json={"note": "销号"})


@calls(f"POST {T}/rectifications/{{rectification_id}}/reopen", 404)
async def _reopen(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_rectification("/reopen"), headers=h, json={"reason": "未到位"})
