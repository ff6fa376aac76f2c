"""Calls of the statistics routes: the nation's figures, 广州's, and the rows behind one, each
as JSON and as an .xlsx download."""

from __future__ import annotations

import httpx

from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ

plain("GET /v1/statistics/national")
plain("GET /v1/statistics/national.xlsx")
plain("GET /v1/statistics/{tenant}")
plain("GET /v1/statistics/{tenant}/statistics.xlsx")


@calls("GET /v1/statistics/{tenant}/rows")
async def _rows(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(
        f"/v1/statistics/{GZ}/rows", headers=h, params={"metric": "procurements"}
    )


@calls("GET /v1/statistics/{tenant}/rows.xlsx")
async def _rows_xlsx(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(
        f"/v1/statistics/{GZ}/rows.xlsx", headers=h, params={"metric": "procurements"}
    )
