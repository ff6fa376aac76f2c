"""Calls of the credit routes: each cell disqualifies a provider of its own, never a demo one."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import CIVIL_AFFAIRS_APPROVER, CIVIL_AFFAIRS_OFFICER, DQ, DQ1, T
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support import credit
from tests.support.client import Headers
from tests.support.demo import GZ


async def _credit_provider(w: World) -> str:
    """A new provider that has applied to 广州 (so 广州 may disqualify it)."""
    provider = await credit.new_provider(w.client, w.login, approved_in=(), pending_in=(GZ,))
    return provider.id


async def _proposed(w: World) -> str:
    provider_id = await _credit_provider(w)
    recorded = await credit.record(w.client, await w.as_role(CIVIL_AFFAIRS_OFFICER), provider_id)
    return str(recorded["id"])


_shared_disqualifications: dict[int, str] = {}


async def _a_disqualification(w: World) -> str:
    if id(w) not in _shared_disqualifications:
        _shared_disqualifications[id(w)] = await _proposed(w)
    return _shared_disqualifications[id(w)]


@calls(f"POST {DQ}", 201)
async def _record_disqualification(w: World, h: Headers) -> httpx.Response:
    body = credit.record_body(await _credit_provider(w))
    return await w.client.post(f"/v1/tenants/{GZ}/disqualifications", headers=h, json=body)


plain(f"GET {DQ}")


@calls(f"GET {DQ1}")
async def _read_disqualification(w: World, h: Headers) -> httpx.Response:
    url = f"/v1/tenants/{GZ}/disqualifications/{await _a_disqualification(w)}"
    return await w.client.get(url, headers=h)


@calls(f"POST {DQ1}/confirm")
async def _confirm_disqualification(w: World, h: Headers) -> httpx.Response:
    url = f"/v1/tenants/{GZ}/disqualifications/{await _proposed(w)}/confirm"
    return await w.client.post(url, headers=h, json={})


@calls(f"POST {DQ1}/reject")
async def _reject_disqualification(w: World, h: Headers) -> httpx.Response:
    url = f"/v1/tenants/{GZ}/disqualifications/{await _proposed(w)}/reject"
    return await w.client.post(url, headers=h, json={"note": "证据不足"})


@calls(f"POST {DQ1}/revoke")
async def _revoke_disqualification(w: World, h: Headers) -> httpx.Response:
    disqualification_id = await _proposed(w)
    await credit.decide(w.client, await w.as_role(CIVIL_AFFAIRS_APPROVER), disqualification_id)
    url = f"/v1/tenants/{GZ}/disqualifications/{disqualification_id}/revoke"
    return await w.client.post(url, headers=h, json={"reason": "处罚决定被撤销"})


@calls(f"GET {T}/provider-bars/{{provider_id}}")
async def _provider_bars(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/provider-bars/{uuid.uuid4()}", headers=h)


plain("GET /v1/me/disqualifications")
