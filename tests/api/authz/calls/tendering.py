"""Calls of the tendering routes: a small line funds many small procurements; the guards are what
is under test. And the region's legal rules."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.api.authz.expected import (
    CIVIL_AFFAIRS_APPROVER,
    CIVIL_AFFAIRS_OFFICER,
    PR,
    PR1,
    TR,
    T,
)
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ
from tests.support.tendering import procurement_body

plain(f"GET {TR}")


@calls(f"PUT {TR}")
async def _set_tendering_rules(w: World, h: Headers) -> httpx.Response:
    # The national defaults: 广州's rules stay as every other test expects them.
    return await w.client.put(f"/v1/tenants/{GZ}/tendering-rules", headers=h, json={})


# --- procurements ---------------------------------------------------------------------------

_SHARED: dict[str, str] = {}


async def _tender_line(w: World, fresh: bool = False) -> str:
    if fresh or "line" not in _SHARED:
        budget = await w.planner().approved_budget()
        _SHARED["line"] = budget["lines"][0]["id"]
    return _SHARED["line"]


# Each cell's procurement commits this much of the shared line; a spent line is replaced.
SMALL = {"budget_amount": "100.00", "ceiling_price": "90.00", "bid_security": "0"}


async def _create(w: World, h: Headers, **changes: Any) -> httpx.Response:
    url = f"/v1/tenants/{GZ}/procurements"
    body = procurement_body(await _tender_line(w), **SMALL, **changes)
    created = await w.client.post(url, headers=h, json=body)
    if created.status_code == 409 and created.json().get("code") == "budget_exceeded":
        body = procurement_body(await _tender_line(w, fresh=True), **SMALL, **changes)
        created = await w.client.post(url, headers=h, json=body)
    return created


async def _procurement(w: World, publish: bool = False, **changes: Any) -> str:
    officer = await w.as_role(CIVIL_AFFAIRS_OFFICER)
    created = await _create(w, officer, **changes)
    assert created.status_code == 201, created.text
    pid = str(created.json()["id"])
    if publish:
        url = f"/v1/tenants/{GZ}/procurements/{pid}/publish"
        published = await w.client.post(url, headers=officer, json={})
        assert published.status_code == 200, published.text
    return pid


async def _registered_providers(w: World) -> list[str]:
    """Three providers registered in 广州: the demo's two and one more."""
    if "providers" not in _SHARED:
        officer = await w.as_role(CIVIL_AFFAIRS_APPROVER)
        registration_id = await w.pending_registration()
        approved = await w.client.post(
            f"/v1/tenants/{GZ}/provider-registrations/{registration_id}/approve",
            headers=officer,
            json={},
        )
        assert approved.status_code == 200, approved.text
        listed = await w.client.get(
            f"/v1/tenants/{GZ}/provider-registrations",
            headers=officer,
            params={"status": "approved", "limit": 200},
        )
        _SHARED["providers"] = ",".join(r["provider_id"] for r in listed.json()["items"][:3])
    return _SHARED["providers"].split(",")


async def _invited_tender(w: World) -> str:
    """A draft invited tender (its invitees are drawn later, tendering_selection.py)."""
    return await _procurement(
        w,
        method="invited_tender",
        method_reason="limited_suppliers",
        method_justification="资质机构有限",
    )


async def _single_source(w: World) -> str:
    """A draft single-source procurement, proposing the first registered provider."""
    return await _procurement(
        w,
        method="single_source",
        method_reason="only_one_supplier",
        method_justification="唯一供应商",
        proposed_provider_id=(await _registered_providers(w))[0],
    )


@asynccontextmanager
async def threshold_at(w: World, yuan: str) -> AsyncIterator[None]:
    """广州's open-tender threshold lowered to ``yuan``; its rules put back afterwards."""
    url = f"/v1/tenants/{GZ}/tendering-rules"
    approver = await w.as_role(CIVIL_AFFAIRS_APPROVER)
    lowered = await w.client.put(url, headers=approver, json={"open_tender_threshold_yuan": yuan})
    assert lowered.status_code == 200, lowered.text
    try:
        yield
    finally:
        back = await w.client.put(url, headers=approver, json={})
        assert back.status_code == 200, back.text


def _pr(pid: str, tail: str = "") -> str:
    return f"/v1/tenants/{GZ}/procurements/{pid}{tail}"


@calls(f"POST {PR}", 201)
async def _create_procurement(w: World, h: Headers) -> httpx.Response:
    return await _create(w, h)


plain(f"GET {PR}")
plain(f"GET {PR1}", procurement_id=_procurement)
# A fresh draft each cell: the buyer marks it (87号令 art. 47).
plain(f"PATCH {PR1}", body={"technically_complex": True}, procurement_id=_procurement)
plain(f"POST {PR1}/submit-for-approval", procurement_id=_invited_tender)


@calls(f"POST {PR1}/single-source-notice")
async def _single_source_notice(w: World, h: Headers) -> httpx.Response:
    # Due only at the open-tender threshold: 广州's lowered to the cells' small amount.
    async with threshold_at(w, SMALL["budget_amount"]):
        pid = await _single_source(w)
        return await w.client.post(_pr(pid, "/single-source-notice"), headers=h)


@calls(f"POST {PR1}/approval")
async def _approve_method(w: World, h: Headers) -> httpx.Response:
    pid = await _invited_tender(w)
    officer = await w.as_role(CIVIL_AFFAIRS_OFFICER)
    submitted = await w.client.post(_pr(pid, "/submit-for-approval"), headers=officer)
    assert submitted.status_code == 200, submitted.text
    return await w.client.post(_pr(pid, "/approval"), headers=h, json={"approve": True})


@calls(f"POST {PR1}/publish")
async def _publish_procurement(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_pr(await _procurement(w), "/publish"), headers=h, json={})


@calls(f"POST {PR1}/cancel")
async def _cancel_procurement(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/cancel")
    return await w.client.post(url, headers=h, json={"reason": "需求变化"})


# Before the opening the bids are sealed: the handler's own 409.
plain(f"GET {PR1}/bids", 409, procurement_id=_procurement)


# A draft has no opened bids to evaluate: the handler's own 409.
@calls(f"POST {PR1}/committee", 409)
async def _draw_committee(w: World, h: Headers) -> httpx.Response:
    body = {"experts": 5, "speciality": "social_work"}
    return await w.client.post(_pr(await _procurement(w), "/committee"), headers=h, json=body)


plain(f"GET {PR1}/committee", procurement_id=_procurement)
plain(f"GET {PR1}/report", procurement_id=_procurement)
plain(f"POST {PR1}/award", 409, procurement_id=_procurement)
plain(f"POST {PR1}/result", 409, procurement_id=_procurement)


@calls(f"POST {PR1}/enquiries/{{enquiry_id}}/answer", 404)
async def _answer_enquiry(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), f"/enquiries/{uuid.uuid4()}/answer")
    return await w.client.post(url, headers=h, json={"answer": "答复"})


@calls(f"POST {PR1}/challenges/{{challenge_id}}/answer", 404)
async def _answer_challenge(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), f"/challenges/{uuid.uuid4()}/answer")
    return await w.client.post(url, headers=h, json={"outcome": "dismissed", "answer": "不成立"})


@calls(f"POST {PR1}/enquiries", 201)
async def _ask(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), "/enquiries")
    return await w.client.post(url, headers=h, json={"question": "服务期从何时开始？"})


@calls(f"POST {PR1}/bids", 201)
async def _bid(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), "/bids")
    return await w.client.post(url, headers=h, json={"price": "80.00"})


@calls(f"PUT {PR1}/bids/{{bid_id}}", 404)
async def _replace_bid(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), f"/bids/{uuid.uuid4()}")
    return await w.client.put(url, headers=h, json={"price": "80.00"})


@calls(f"POST {PR1}/bids/{{bid_id}}/withdraw", 404)
async def _withdraw_bid(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), f"/bids/{uuid.uuid4()}/withdraw")
    return await w.client.post(url, headers=h)


plain(f"GET {PR1}/my-bids", procurement_id=_procurement)


# No result to challenge yet: the handler's own 409.
@calls(f"POST {PR1}/challenges", 409)
async def _challenge(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), "/challenges")
    return await w.client.post(url, headers=h, json={"grounds": "评审不公"})


plain(f"GET {PR1}/enquiries/all", procurement_id=_procurement)
plain(f"GET {PR1}/challenges", procurement_id=_procurement)
plain(f"GET {PR1}/bid-securities", procurement_id=_procurement)


# Nothing is owed before an award notice: the handler's own 404.
@calls(f"POST {PR1}/bid-securities/{{bid_id}}/return", 404)
async def _return_bid_security(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), f"/bid-securities/{uuid.uuid4()}/return")
    return await w.client.post(url, headers=h, json={"note": "银行转账退回"})


# A draft open tender has no negotiation: the handler's own 409.
@calls(f"POST {PR1}/rounds", 409)
async def _open_round(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_pr(await _procurement(w), "/rounds"), headers=h, json={})


plain(f"GET {PR1}/negotiation", procurement_id=_procurement)


@calls(f"POST {PR1}/conclude-negotiation", 409)
async def _conclude_negotiation(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/conclude-negotiation")
    return await w.client.post(url, headers=h, json={"minutes": "纪要"})


@calls(f"POST {PR1}/exclusions", 409)
async def _exclude(w: World, h: Headers) -> httpx.Response:
    body = {"provider_id": str(uuid.uuid4()), "reason": "未实质性响应"}
    return await w.client.post(_pr(await _procurement(w), "/exclusions"), headers=h, json=body)


@calls(f"POST {PR1}/offers", 409)
async def _offer(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/offers")
    return await w.client.post(url, headers=h, json={"price": "80.00"})


plain(f"GET {PR1}/my-offers", procurement_id=_procurement)


# Scores are taken during the evaluation only: the handler's own 409.
@calls(f"POST {PR1}/scores", 409)
async def _score(w: World, h: Headers) -> httpx.Response:
    body = {"scores": [{"bid_id": str(uuid.uuid4()), "criterion": "服务方案", "score": "1"}]}
    return await w.client.post(_pr(await _procurement(w), "/scores"), headers=h, json=body)


# Nobody has scored: a non-member learns nothing (404); the buyer is told to wait (409).
plain(f"GET {PR1}/scores", 404, 409, procurement_id=_procurement)


# The library is the province's: in 广州 finance finds none (404).
@calls(f"PUT {T}/experts/{{user_id}}", 404)
async def _register_expert(w: World, h: Headers) -> httpx.Response:
    user_id, _ = await w.fresh_expert()
    body = {"user_id": user_id, "specialities": ["social_work"], "employer": "某大学"}
    return await w.client.put(f"/v1/tenants/{GZ}/experts/{user_id}", headers=h, json=body)


plain(f"GET {T}/experts", 404)
