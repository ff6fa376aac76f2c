"""Credit facts (信用事实): recorded by the region where they happened, read by another region's
civil affairs only through the narrow path, by the provider about itself, and the ground of a
prefilled disqualification."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from services.credit import service as credit
from services.credit.rules import add_years, today
from services.kit.audit import Actor
from services.kit.db import transaction
from tests.support.client import Client, Login, error_fields, json_of
from tests.support.database import Sessions
from tests.support.demo import SZ
from tests.support.evaluation import FAILING, GOOD, new_evaluator, signed_engagement
from tests.support.tendering import Bidder, Tenderer


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def _failed_provider(
    gz: Tenderer, client: Client, login: Login
) -> tuple[Bidder, dict[str, Any]]:
    """A provider of 广州 whose evaluation was confirmed 不合格, and the evaluation."""
    engagement = await signed_engagement(gz)
    confirmed = await engagement.graded(await new_evaluator(client, login), FAILING)
    assert confirmed["grade"] == "fail"
    return engagement.deal.winner, confirmed


async def test_facts_cross_regions_only_through_the_narrow_path(
    gz: Tenderer,
    sz: Tenderer,
    client: Client,
    login: Login,
    app_db: asyncpg.Connection,
) -> None:
    winner, evaluation = await _failed_provider(gz, client, login)
    provider_id = winner.provider_id
    gz_officer = await gz.as_("civil_affairs_officer")
    own = json_of(
        await client.get(
            f"/v1/tenants/{gz.city}/credit-facts",
            headers=gz_officer,
            params={"provider_id": provider_id},
        )
    )["items"]
    assert [(f["kind"], f["details"]["grade"], f["source_id"]) for f in own] == [
        ("evaluation_graded", "fail", evaluation["id"])
    ]

    # 深圳's own list holds only 深圳's facts …
    sz_officer = await sz.as_("civil_affairs_officer")
    listed = json_of(
        await client.get(
            f"/v1/tenants/{SZ}/credit-facts",
            headers=sz_officer,
            params={"provider_id": provider_id},
        )
    )
    assert listed["items"] == []
    # … and its civil affairs reads 广州's through the narrow path: where, when, what.
    across = json_of(
        await client.get(f"/v1/tenants/{SZ}/provider-facts/{provider_id}", headers=sz_officer)
    )
    [fact] = across["facts"]
    assert (fact["source_tenant"], fact["kind"], fact["details"]["grade"]) == (
        gz.city,
        "evaluation_graded",
        "fail",
    )
    assert fact["fact_id"] == own[0]["id"]
    assert "source_id" not in fact and "recorded_by" not in fact
    assert "不合格" in fact["summary"]

    # Below the API: the app's role bound to 深圳 sees none of 广州's rows.
    async with app_db.transaction():
        await app_db.execute(f"SET LOCAL app.tenant_id = '{SZ}'")
        assert (
            await app_db.fetchval(
                "SELECT count(*) FROM credit_facts WHERE provider_id = $1", uuid.UUID(provider_id)
            )
            == 0
        )
    # A provider's transaction may not use the path to read another provider's facts.
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with app_db.transaction():
            await app_db.execute(f"SET LOCAL app.tenant_id = '{SZ}'")
            await app_db.execute(f"SET LOCAL app.provider_id = '{uuid.uuid4()}'")
            await app_db.fetch("SELECT * FROM credit_facts_of($1)", uuid.UUID(provider_id))

    # Neither a partner department nor a provider reaches the path; the provider reads its own.
    for headers in (await sz.as_("partner_department"), await gz.as_("finance_officer")):
        denied = await client.get(f"/v1/tenants/{SZ}/provider-facts/{provider_id}", headers=headers)
        _problem(denied, 403, "forbidden")
    provider = winner.headers
    _problem(
        await client.get(f"/v1/tenants/{SZ}/provider-facts/{provider_id}", headers=provider),
        403,
        "forbidden",
    )
    mine = (await client.get("/v1/me/credit-facts", headers=provider)).json()
    assert [f["id"] for f in mine] == [own[0]["id"]]
    _problem(
        await client.get(f"/v1/tenants/{SZ}/provider-facts/{uuid.uuid4()}", headers=sz_officer),
        404,
        "not_found",
    )


async def test_a_fail_grade_opens_a_prefilled_disqualification_another_confirms(
    gz: Tenderer, sz: Tenderer, client: Client, login: Login, sessionmaker: Sessions
) -> None:
    winner, evaluation = await _failed_provider(gz, client, login)
    provider_id = winner.provider_id
    officer = await gz.as_("civil_affairs_officer")
    [fact] = json_of(
        await client.get(
            f"/v1/tenants/{gz.city}/credit-facts",
            headers=officer,
            params={"provider_id": provider_id},
        )
    )["items"]
    start = today()
    body = {
        "provider_id": provider_id,
        "fact_ids": [fact["id"]],
        "scope": "tenant",
        "starts_on": start.isoformat(),
        "ends_on": add_years(start, 1).isoformat(),
        "note": "评估不合格且经整改仍未达到合同约定的服务标准。",
    }
    path = f"/v1/tenants/{gz.city}/disqualifications/from-facts"

    # A fact that is no 不合格 grade nor a breach does not warrant it.
    async with transaction(sessionmaker, gz.city) as session:
        passed = await credit.record_fact(
            session,
            Actor(None, gz.city, "test"),
            provider_id=uuid.UUID(provider_id),
            kind=credit.FactKind.acceptance_passed,
            source_kind="acceptance",
            source_id=uuid.uuid4(),
            summary="结项验收合格",
            details={"standards_met": 5},
        )
        again = await credit.record_fact(
            session,
            Actor(None, gz.city, "test"),
            provider_id=uuid.UUID(provider_id),
            kind=credit.FactKind.acceptance_passed,
            source_kind="acceptance",
            source_id=passed.source_id,
            summary="结项验收合格",
            details={},
        )
        assert again.id == passed.id  # recorded once per source
    refused = await client.post(path, headers=officer, json={**body, "fact_ids": [str(passed.id)]})
    _problem(refused, 422, "facts_do_not_warrant")
    assert error_fields(refused) == {"fact_ids"}
    # Another region's officer cannot use 广州's facts; an unknown fact is named too.
    elsewhere = await client.post(
        f"/v1/tenants/{SZ}/disqualifications/from-facts",
        headers=await sz.as_("civil_affairs_officer"),
        json=body,
    )
    assert error_fields(elsewhere) == {"fact_ids"}
    unknown = await client.post(
        path, headers=officer, json={**body, "fact_ids": [fact["id"], str(uuid.uuid4())]}
    )
    assert error_fields(unknown) == {"fact_ids"}
    # The approver may not record one; the officer does.
    denied = await client.post(path, headers=await gz.as_("civil_affairs_approver"), json=body)
    _problem(denied, 403, "forbidden")

    proposed = json_of(await client.post(path, headers=officer, json=body), 201)
    assert proposed["status"] == "proposed"
    assert proposed["provider_id"] == provider_id
    assert fact["id"] in proposed["reason"] and fact["summary"] in proposed["reason"]
    assert "民发〔2012〕196号" in proposed["legal_basis"]
    # Four eyes as for any record: the approver, not the recorder, confirms.
    confirmed = await client.post(
        f"/v1/tenants/{gz.city}/disqualifications/{proposed['id']}/confirm",
        headers=await gz.as_("civil_affairs_approver"),
        json={},
    )
    assert json_of(confirmed)["status"] == "confirmed"
    assert evaluation["grade"] == "fail"


async def test_a_good_grade_is_a_fact_that_warrants_nothing(
    gz: Tenderer, client: Client, login: Login
) -> None:
    engagement = await signed_engagement(gz)
    confirmed = await engagement.graded(await new_evaluator(client, login), GOOD)
    officer = await gz.as_("civil_affairs_officer")
    [fact] = json_of(
        await client.get(
            f"/v1/tenants/{gz.city}/credit-facts",
            headers=officer,
            params={"provider_id": confirmed["provider_id"], "kind": "evaluation_graded"},
        )
    )["items"]
    start = today()
    refused = await client.post(
        f"/v1/tenants/{gz.city}/disqualifications/from-facts",
        headers=officer,
        json={
            "provider_id": confirmed["provider_id"],
            "fact_ids": [fact["id"]],
            "scope": "tenant",
            "starts_on": start.isoformat(),
            "ends_on": add_years(start, 1).isoformat(),
        },
    )
    _problem(refused, 422, "facts_do_not_warrant")
    # The provider reads its own fact.
    mine = (await client.get("/v1/me/credit-facts", headers=engagement.deal.winner.headers)).json()
    assert [f["id"] for f in mine] == [fact["id"]]
