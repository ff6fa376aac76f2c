"""Calls of the supplier selection's routes: the guards are what is under test; the draw
itself is tests/tendering/test_invited_draw.py's."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.calls.tendering import (
    _SHARED,
    _invited_tender,
    _pr,
    _procurement,
    _registered_providers,
)
from tests.api.authz.expected import CIVIL_AFFAIRS_OFFICER, PR1
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers, json_of
from tests.support.demo import GZ
from tests.support.tendering import RECOMMENDATION_PDF, later


# An open tender invites nobody: the handler's own 409 for those who may choose suppliers.
@calls(f"POST {PR1}/supplier-selection", 409)
async def _select(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/supplier-selection")
    return await w.client.post(url, headers=h, json={"source": "library", "draw": 3})


async def _negotiation_with_suppliers(w: World) -> str:
    """A draft negotiation whose three suppliers came from written recommendations."""
    if "selected" not in _SHARED:
        officer = await w.as_role(CIVIL_AFFAIRS_OFFICER)
        pid = await _procurement(
            w,
            method="competitive_negotiation",
            method_reason="technically_complex",
            method_justification="服务内容需逐项谈判",
        )
        uploaded = await w.client.post(
            f"/v1/tenants/{GZ}/documents",
            headers=officer,
            params={"object_type": "tender", "object_id": pid, "filename": "推荐意见.pdf"},
            content=RECOMMENDATION_PDF,
        )
        document_id = json_of(uploaded, 201)["id"]
        recommendations = [
            {
                "provider_id": provider_id,
                "by": "buyer" if index == 0 else "expert",
                "recommender": "推荐人",
                "reason": "具备同类服务经验",
                "document_ids": [document_id],
            }
            for index, provider_id in enumerate(await _registered_providers(w))
        ]
        made = await w.client.post(
            _pr(pid, "/supplier-selection"),
            headers=officer,
            json={"source": "recommendations", "recommendations": recommendations},
        )
        json_of(made, 201)
        _SHARED["selected"] = pid
    return _SHARED["selected"]


plain(f"GET {PR1}/supplier-selection", procurement_id=_negotiation_with_suppliers)


def _notice() -> dict[str, str]:
    return {"applications_deadline": later(days=14)}


@calls(f"POST {PR1}/prequalification-notice", 201)
async def _prequalify(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _invited_tender(w), "/prequalification-notice")
    return await w.client.post(url, headers=h, json=_notice())


async def _prequalified(w: World) -> str:
    """A draft invited tender whose prequalification notice is out."""
    if "prequalified" not in _SHARED:
        pid = await _invited_tender(w)
        officer = await w.as_role(CIVIL_AFFAIRS_OFFICER)
        out = await w.client.post(
            _pr(pid, "/prequalification-notice"), headers=officer, json=_notice()
        )
        json_of(out, 201)
        _SHARED["prequalified"] = pid
    return _SHARED["prequalified"]


# The demo provider answers once: whichever of its users comes second gets the handler's 409.
@calls(f"POST {PR1}/prequalification-applications", 201, 409)
async def _apply(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _prequalified(w), "/prequalification-applications")
    return await w.client.post(url, headers=h)


# Nobody by that id answered: the handler's own 404.
@calls(f"POST {PR1}/prequalification-applications/{{provider_id}}/review", 404)
async def _review_application(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _prequalified(w), f"/prequalification-applications/{uuid.uuid4()}/review")
    return await w.client.post(url, headers=h, json={"qualified": True})


plain(f"GET {PR1}/prequalification-applications", procurement_id=_prequalified)
