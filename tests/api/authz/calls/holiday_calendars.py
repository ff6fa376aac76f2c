"""Calls of the holiday calendar routes (platform data, entered by a platform administrator)."""

from __future__ import annotations

import httpx

from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers

# A year far from any deadline of the other tests: entering it moves nothing of theirs.
YEAR = 2099

plain("GET /v1/platform/holiday-calendars")


@calls("PUT /v1/platform/holiday-calendars/{year}")
async def _enter_year(w: World, h: Headers) -> httpx.Response:
    body = {"notice_no": "国办发明电〔2098〕1号", "holidays": ["2099-01-01"], "workdays": []}
    return await w.client.put(f"/v1/platform/holiday-calendars/{YEAR}", headers=h, json=body)
