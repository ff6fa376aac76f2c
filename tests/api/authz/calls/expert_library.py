"""Calls of the expert library's routes (a province's; in 广州 finance finds none) and of a
committee's replacement and external draws (the handler's 409 on a procurement that is not
being evaluated)."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.calls.tendering import _pr, _procurement
from tests.api.authz.expected import PR1, T
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers

plain(f"GET {T}/expert-library", 404)
plain(f"PUT {T}/expert-library", 404, body={"external_draws": False})
plain(f"GET {PR1}/committee/draws", procurement_id=_procurement)


@calls(f"POST {PR1}/committee/replacements", 409)
async def _replace(w: World, h: Headers) -> httpx.Response:
    body = {"user_id": str(uuid.uuid4()), "reason": "declined"}
    url = _pr(await _procurement(w), "/committee/replacements")
    return await w.client.post(url, headers=h, json=body)


@calls(f"POST {PR1}/committee/external", 409)
async def _external(w: World, h: Headers) -> httpx.Response:
    body = {
        "system": "广东省政府采购评审专家抽取系统",
        "record_number": "GD-2026-0001",
        "operator": "张三",
        "drawn_at": "2026-12-01T09:00:00+08:00",
        "speciality": "social_work",
        "expert_ids": [str(uuid.uuid4()) for _ in range(5)],
    }
    url = _pr(await _procurement(w), "/committee/external")
    return await w.client.post(url, headers=h, json=body)
