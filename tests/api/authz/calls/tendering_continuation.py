"""Calls of a failed tender's continuation by negotiation: the guard is what is under test;
the continuation itself is tests/tendering/test_continuation.py's."""

from __future__ import annotations

import httpx

from tests.api.authz.calls.tendering import _pr, _procurement
from tests.api.authz.expected import PR1
from tests.api.authz.registry import calls
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.tendering import later


# A draft open tender has not failed: the handler's own 409 for those who may ask.
@calls(f"POST {PR1}/continuation", 409)
async def _continue(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        _pr(await _procurement(w), "/continuation"),
        headers=h,
        json={
            "method": "competitive_negotiation",
            "documents_sound": True,
            "justification": "两家供应商实质性响应，申请竞争性谈判",
            "bid_deadline": later(days=10),
        },
    )
