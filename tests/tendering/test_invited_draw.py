"""Invited suppliers come from a recorded random draw (政府采购法 art. 34, 87号令 art. 14): a
pool twice the number drawn, two witnesses, a seed the server picks and shows; a negotiation's
written recommendations, the buyer's share at most half (74号令 art. 12)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
import pytest

from tests.support.client import Client, Login, error_fields, json_of
from tests.support.supplier_library import admit
from tests.support.tendering import (
    Bidder,
    Tenderer,
    assert_rule_broken,
    later,
    procurement_body,
)

pytestmark = pytest.mark.usefixtures("demo")

INVITED = {
    "method": "invited_tender",
    "method_reason": "limited_suppliers",
    "method_justification": "具备戒毒康复服务资质的机构有限",
}


def json_of_list(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


def _refused(response: httpx.Response, field: str, code: str = "validation_failed") -> None:
    """A 422 with this code, naming this field."""
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code, response.text
    assert error_fields(response) == {field}, response.text


async def _buyer_pool(gz: Tenderer, pid: str, pool: list[Bidder]) -> list[dict[str, Any]]:
    document_id = await gz.written(pid)
    return [gz.recommendation(supplier, "buyer", document_id) for supplier in pool]


async def test_invitees_are_a_reproducible_random_draw_the_buyer_cannot_name(
    client: Client, gz: Tenderer
) -> None:
    pool = [await gz.bidder() for _ in range(6)]
    officer = await gz.as_("civil_affairs_officer")
    # The buyer's own list of invitees is refused: they come from the draw.
    named = await client.post(
        gz.base,
        headers=officer,
        json=procurement_body(
            await gz.line(), **INVITED, invited_provider_ids=[s.provider_id for s in pool[:3]]
        ),
    )
    _refused(named, "invited_provider_ids")

    pid = (await gz.create(**INVITED))["id"]
    record, invited = await gz.drawn(pid, pool, 3)
    # The record: the pool in the order drawn from, the seed, the witnesses by name, the time.
    assert record["pool"] == sorted(s.provider_id for s in pool)
    assert record["source"] == "recommendations" and record["draw"] == 3
    assert len(record["seed"]) == 32
    assert random.Random(record["seed"]).sample(record["pool"], 3) == record["invited"]
    assert [w["user_id"] for w in record["witnesses"]] == await gz.witnesses()
    assert all(w["name"] for w in record["witnesses"])
    assert {r["reason"] for r in record["recommendations"]} == {
        f"{s.name}具备同类服务经验" for s in pool
    }
    # Finance reads the same record; the procurement invites exactly the drawn.
    shown = await client.get(
        f"{gz.base}/{pid}/supplier-selection", headers=await gz.as_("finance_officer")
    )
    assert json_of(shown) == record
    procurement = await client.get(f"{gz.base}/{pid}", headers=officer)
    assert sorted(procurement.json()["invited_provider_ids"]) == sorted(record["invited"])
    # The draw stands: no second draw for a better result.
    again = await gz.select(
        pid,
        {
            "source": "recommendations",
            "draw": 3,
            "witness_ids": await gz.witnesses(),
            "recommendations": await _buyer_pool(gz, pid, pool),
        },
    )
    assert again.status_code == 409

    # Published, a pool member not drawn cannot bid; a drawn one can.
    assert (
        await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer)
    ).status_code == 200
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approved.status_code == 200, approved.text
    published = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert published.status_code == 200, published.text
    (outside, *_) = [s for s in pool if s not in invited]
    refused = await client.post(
        f"{gz.base}/{pid}/bids", headers=outside.headers, json={"price": "300000"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "provider_not_eligible"
    await gz.bid(pid, invited[0], "300000")


async def test_a_library_draw_takes_the_provinces_entries_registered_here(
    client: Client, gz: Tenderer, sz: Tenderer, login: Login
) -> None:
    mine = [await gz.bidder() for _ in range(6)]
    elsewhere = await sz.bidder()  # registered in 深圳 only: not drawn in 广州
    for supplier in [*mine, elsewhere]:
        await admit(client, login, supplier.provider_id, "special_groups")
    pid = (await gz.create(**INVITED))["id"]
    made = await gz.select(
        pid,
        {
            "source": "library",
            "category": "special_groups",
            "draw": 3,
            "witness_ids": await gz.witnesses(),
        },
    )
    record = json_of(made, 201)
    assert {s.provider_id for s in mine} <= set(record["pool"])
    assert elsewhere.provider_id not in record["pool"]
    assert record["pool"] == sorted(record["pool"])
    assert random.Random(record["seed"]).sample(record["pool"], 3) == record["invited"]
    # The pool must hold twice the number drawn: the same check as for recommendations (the
    # next test, and tests/tendering/test_supplier_library.py for the library's).


async def test_a_pool_under_twice_the_draw_is_refused(client: Client, gz: Tenderer) -> None:
    pool = [await gz.bidder() for _ in range(5)]
    pid = (await gz.create(**INVITED))["id"]
    small = await gz.select(
        pid,
        {
            "source": "recommendations",
            "draw": 3,
            "witness_ids": await gz.witnesses(),
            "recommendations": await _buyer_pool(gz, pid, pool),
        },
    )
    _refused(small, "draw", "pool_too_small")
    # An invited tender's pool is the buyer's recommendations, not the experts'.
    by_expert = await _buyer_pool(gz, pid, pool)
    by_expert[0]["by"] = "expert"
    experts = await gz.select(
        pid,
        {
            "source": "recommendations",
            "draw": 2,
            "witness_ids": await gz.witnesses(),
            "recommendations": by_expert,
        },
    )
    _refused(experts, "recommendations[0].by")
    # A recommendation without its written document is not one.
    unwritten = await _buyer_pool(gz, pid, pool)
    unwritten[1]["document_ids"] = [str(uuid.uuid4())]
    missing = await gz.select(
        pid,
        {
            "source": "recommendations",
            "draw": 2,
            "witness_ids": await gz.witnesses(),
            "recommendations": unwritten,
        },
    )
    _refused(missing, "recommendations[1].document_ids[0]")
    # Nothing was drawn, nobody invited.
    officer = await gz.as_("civil_affairs_officer")
    none = await gz.client.get(f"{gz.base}/{pid}/supplier-selection", headers=officer)
    assert none.status_code == 404
    procurement = await client.get(f"{gz.base}/{pid}", headers=officer)
    assert procurement.json()["invited_provider_ids"] == []


async def test_one_witness_is_not_enough(client: Client, gz: Tenderer) -> None:
    pool = [await gz.bidder() for _ in range(6)]
    pid = (await gz.create(**INVITED))["id"]
    recommendations = await _buyer_pool(gz, pid, pool)
    officer_id, approver_id = await gz.witnesses()
    finance_id = await gz.user_id("finance_officer")
    for witnesses, field in (
        ([officer_id], "witness_ids"),
        ([officer_id, officer_id], "witness_ids"),
        ([officer_id, finance_id], "witness_ids[1]"),
    ):
        refused = await gz.select(
            pid,
            {
                "source": "recommendations",
                "draw": 3,
                "witness_ids": witnesses,
                "recommendations": recommendations,
            },
        )
        _refused(refused, field)
    made = await gz.select(
        pid,
        {
            "source": "recommendations",
            "draw": 3,
            "witness_ids": [officer_id, approver_id],
            "recommendations": recommendations,
        },
    )
    assert made.status_code == 201, made.text


async def test_a_negotiations_recommendations_are_at_most_half_the_buyers(
    client: Client, gz: Tenderer
) -> None:
    suppliers = [await gz.bidder() for _ in range(4)]
    pid = (
        await gz.create(
            method="competitive_negotiation",
            method_reason="technically_complex",
            method_justification="服务内容需与供应商逐项谈判确定",
        )
    )["id"]
    document_id = await gz.written(pid)

    def by(*who: str) -> dict[str, Any]:
        return {
            "source": "recommendations",
            "recommendations": [
                gz.recommendation(supplier, kind, document_id)
                for supplier, kind in zip(suppliers, who, strict=False)
            ],
        }

    over = await gz.select(pid, by("buyer", "buyer", "expert"))
    _refused(over, "recommendations", "buyer_share_too_large")
    too_few = await gz.select(pid, by("buyer", "expert"))
    assert_rule_broken(too_few, "negotiation_min_suppliers")
    half = await gz.select(pid, by("buyer", "buyer", "expert", "expert"))
    record = json_of(half, 201)
    # Every recommended supplier is invited; no draw, no seed.
    assert (record["draw"], record["seed"]) == (None, None)
    assert sorted(record["invited"]) == sorted(s.provider_id for s in suppliers)
    procurement = await client.get(
        f"{gz.base}/{pid}", headers=await gz.as_("civil_affairs_officer")
    )
    assert sorted(procurement.json()["invited_provider_ids"]) == record["invited"]


async def test_another_regions_procurement_is_not_found(
    client: Client, gz: Tenderer, sz: Tenderer
) -> None:
    pool = [await gz.bidder() for _ in range(6)]
    pid = (await gz.create(**INVITED))["id"]
    await gz.drawn(pid, pool, 3)
    foreign = f"{sz.base}/{pid}/supplier-selection"
    read = await client.get(foreign, headers=await sz.as_("civil_affairs_officer"))
    assert read.status_code == 404 and read.json()["code"] == "not_found"
    drawn = await client.post(
        foreign,
        headers=await sz.as_("civil_affairs_officer"),
        json={"source": "library", "draw": 3, "witness_ids": await sz.witnesses()},
    )
    assert drawn.status_code == 404 and drawn.json()["code"] == "not_found"
    # A missing one reads the same.
    missing = await client.get(
        f"{sz.base}/{uuid.uuid4()}/supplier-selection",
        headers=await sz.as_("civil_affairs_officer"),
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


async def test_a_prequalification_pool_is_the_qualified_answers_to_its_notice(
    client: Client, gz: Tenderer, sz: Tenderer
) -> None:
    answering = [await gz.bidder() for _ in range(4)]
    stranger = await sz.bidder()  # registered in 深圳 only
    procurement = await gz.create(**INVITED)
    pid = procurement["id"]
    officer = await gz.as_("civil_affairs_officer")
    notice_url = f"{gz.base}/{pid}/prequalification-notice"
    short = await client.post(
        notice_url, headers=officer, json={"applications_deadline": later(days=1)}
    )
    _refused(short, "applications_deadline")
    out = await client.post(
        notice_url, headers=officer, json={"applications_deadline": later(days=14)}
    )
    assert out.status_code == 201, out.text
    public = await client.get(
        "/v1/notices", params={"kind": "prequalification", "q": procurement["title"]}
    )
    assert "资格预审公告" in public.json()["items"][0]["title"]

    apply_url = f"{gz.base}/{pid}/prequalification-applications"
    for provider in answering:
        assert (await client.post(apply_url, headers=provider.headers)).status_code == 201
    twice = await client.post(apply_url, headers=answering[0].headers)
    assert twice.status_code == 409
    elsewhere = await client.post(apply_url, headers=stranger.headers)
    assert elsewhere.status_code == 403

    draw = {"source": "prequalification", "draw": 3, "witness_ids": await gz.witnesses()}
    early = await gz.select(pid, draw)
    assert early.status_code == 409  # still taking applications
    await gz.admin_db.execute(
        "UPDATE prequalifications SET applications_deadline = now() - interval '1 second'"
        " WHERE tenant_id = $1 AND procurement_id = $2",
        gz.city,
        uuid.UUID(pid),
    )
    late = await client.post(apply_url, headers=(await gz.bidder()).headers)
    assert late.status_code == 409
    unjudged = await gz.select(pid, draw)
    assert unjudged.status_code == 409  # every answer needs its verdict first

    def review_url(provider: Bidder) -> str:
        return f"{apply_url}/{provider.provider_id}/review"

    *qualified, refused = answering
    no_reason = await client.post(review_url(refused), headers=officer, json={"qualified": False})
    _refused(no_reason, "reason")
    judged = await client.post(
        review_url(refused), headers=officer, json={"qualified": False, "reason": "无相应资质"}
    )
    assert judged.status_code == 200 and judged.json()["qualified"] is False
    for provider in qualified:
        ok = await client.post(review_url(provider), headers=officer, json={"qualified": True})
        assert ok.status_code == 200, ok.text

    # Three qualified, three drawn: a prequalified pool needs no more than the number drawn.
    record = json_of(await gz.select(pid, draw), 201)
    assert record["pool"] == sorted(p.provider_id for p in qualified)
    assert refused.provider_id not in record["invited"]
    assert random.Random(record["seed"]).sample(record["pool"], 3) == record["invited"]
    after = await client.post(review_url(refused), headers=officer, json={"qualified": True})
    assert after.status_code == 409
    listed = await client.get(apply_url, headers=await gz.as_("finance_officer"))
    assert {a["provider_id"]: a["qualified"] for a in json_of_list(listed)} == {
        **{p.provider_id: True for p in qualified},
        refused.provider_id: False,
    }
    foreign = await client.get(
        f"{sz.base}/{pid}/prequalification-applications",
        headers=await sz.as_("civil_affairs_officer"),
    )
    assert foreign.status_code == 404


async def test_a_negotiation_by_public_notice_takes_any_provider_registered_here(
    client: Client, gz: Tenderer, sz: Tenderer
) -> None:
    responding = [await gz.bidder() for _ in range(3)]
    stranger = await sz.bidder()
    invited_tender = (await gz.create(**INVITED))["id"]
    _refused(await gz.select(invited_tender, {"source": "notice"}), "source")
    pid = (
        await gz.create(
            method="competitive_negotiation",
            method_reason="technically_complex",
            method_justification="服务内容需与供应商逐项谈判确定",
            bid_deadline=later(days=10),
        )
    )["id"]
    _refused(await gz.select(pid, {"source": "notice", "draw": 3}), "draw")
    record = json_of(await gz.select(pid, {"source": "notice"}), 201)
    assert (record["source"], record["pool"], record["invited"]) == ("notice", [], [])
    officer = await gz.as_("civil_affairs_officer")
    assert (
        await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer)
    ).status_code == 200
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approved.status_code == 200, approved.text
    published = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert published.status_code == 200, published.text
    for provider in responding:
        await gz.bid(pid, provider, "340000")
    outside = await client.post(
        f"{gz.base}/{pid}/bids", headers=stranger.headers, json={"price": "300000"}
    )
    assert outside.status_code == 403 and outside.json()["code"] == "provider_not_eligible"
