"""Calls of the progress-report routes. A random contract or report id shows who may call: the
guard runs first, and the allowed get the handler's 404."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import RP1, RPS, RS
from tests.api.authz.registry import calls
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ

CONTENT = {"problems": "无"}
COMMENT = {"comment": "请补充活动记录"}


def _contract(tail: str) -> str:
    return f"/v1/tenants/{GZ}/contracts/{uuid.uuid4()}/{tail}"


def _report(tail: str = "") -> str:
    return f"/v1/tenants/{GZ}/reports/{uuid.uuid4()}{tail}"


@calls(f"GET {RS}", 404)
async def _read_schedule(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_contract("report-schedule"), headers=h)


@calls(f"PUT {RS}", 404)
async def _set_schedule(w: World, h: Headers) -> httpx.Response:
    return await w.client.put(_contract("report-schedule"), headers=h, json={"kind": "monthly"})


@calls(f"GET {RPS}", 404)
async def _list_reports(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_contract("reports"), headers=h)


@calls(f"POST {RPS}", 404)
async def _draft(w: World, h: Headers) -> httpx.Response:
    body = {"period_seq": 1, "content": CONTENT}
    return await w.client.post(_contract("reports"), headers=h, json=body)


@calls(f"GET {RP1}", 404)
async def _read(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_report(), headers=h)


@calls(f"PUT {RP1}", 404)
async def _revise(w: World, h: Headers) -> httpx.Response:
    return await w.client.put(_report(), headers=h, json=CONTENT)


@calls(f"POST {RP1}/submit", 404)
async def _submit(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_report("/submit"), headers=h)


@calls(f"POST {RP1}/accept", 404)
async def _accept(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_report("/accept"), headers=h, json={})


@calls(f"POST {RP1}/return", 404)
async def _return(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_report("/return"), headers=h, json=COMMENT)


@calls(f"POST {RP1}/comments", 404)
async def _comment(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_report("/comments"), headers=h, json=COMMENT)
