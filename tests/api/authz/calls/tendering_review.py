"""Calls of the review routes after a tender's opening, on a draft procurement: the guards are
what is under test; the review itself is tests/tendering/test_review.py's."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.calls.tendering import _pr, _procurement
from tests.api.authz.expected import PR1
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers


def _verdicts() -> dict[str, object]:
    return {"verdicts": [{"bid_id": str(uuid.uuid4()), "valid": True}]}


# A draft has no opened bids to review: the handler's own 409.
@calls(f"POST {PR1}/qualification-review", 409)
async def _qualify(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/qualification-review")
    return await w.client.post(url, headers=h, json=_verdicts())


# Nobody sits on a draft's committee: a 404 for every role that may sit on one.
@calls(f"POST {PR1}/compliance-review", 404)
async def _comply(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/compliance-review")
    return await w.client.post(url, headers=h, json=_verdicts())


# The buyer, finance and a bidder read (nothing yet); an expert off the committee gets a 404.
plain(f"GET {PR1}/review", 200, 404, procurement_id=_procurement)
