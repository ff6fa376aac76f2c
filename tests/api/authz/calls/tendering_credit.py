"""Call of the buyer's credit re-check, on a draft procurement: the guard is what is under test;
the re-check itself is tests/tendering/test_credit_checks.py's."""

from __future__ import annotations

import httpx

from tests.api.authz.calls.tendering import _pr, _procurement
from tests.api.authz.expected import PR1
from tests.api.authz.registry import calls
from tests.api.authz.world import World
from tests.support.client import Headers


# A draft has no suppliers yet: the handler's own 409.
@calls(f"POST {PR1}/credit-recheck", 409)
async def _recheck(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_pr(await _procurement(w), "/credit-recheck"), headers=h)
