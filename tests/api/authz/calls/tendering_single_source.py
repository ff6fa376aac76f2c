"""Calls of a single-source notice's supplementary justification: a noticed single source (广州's
threshold lowered for it) with one objection, its notice dated back so that it has ended."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.calls.tendering import SMALL, _pr, _single_source, threshold_at
from tests.api.authz.expected import CIVIL_AFFAIRS_OFFICER, PR1, PROVIDER_ADMIN
from tests.api.authz.registry import calls
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ


async def _objected(w: World) -> str:
    async with threshold_at(w, SMALL["budget_amount"]):
        pid = await _single_source(w)
        officer = await w.as_role(CIVIL_AFFAIRS_OFFICER)
        noticed = await w.client.post(_pr(pid, "/single-source-notice"), headers=officer)
        assert noticed.status_code == 200, noticed.text
    objected = await w.client.post(
        _pr(pid, "/enquiries"),
        headers=await w.as_role(PROVIDER_ADMIN),
        json={"question": "对单一来源有异议。"},
    )
    assert objected.status_code == 201, objected.text
    assert w.admin_db is not None
    await w.admin_db.execute(
        "UPDATE notices SET published_at = now() - interval '14 days'"
        " WHERE tenant_id = $1 AND procurement_id = $2",
        GZ,
        uuid.UUID(pid),
    )
    return pid


@calls(f"POST {PR1}/supplementary-justification")
async def _justify(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _objected(w), "/supplementary-justification")
    return await w.client.post(
        url, headers=h, json={"objections_upheld": False, "opinion": "不成立"}
    )


@calls(f"GET {PR1}/supplementary-justification")
async def _package(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _objected(w), "/supplementary-justification"), headers=h)
