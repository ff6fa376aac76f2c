"""A contract is drafted from the award notice, told by tendering through the outbox; the buyer
sets its terms within the law: the instalments sum exactly to the awarded price, the
performance security is at most 10 % of it, a period over a year says why."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from services.contracts import tasks as contract_tasks
from services.kit import workdays
from services.kit.jobs import run_once
from services.tendering import service as tendering
from tests.support.client import Client, error_fields
from tests.support.contracts import run_award_notified, terms
from tests.support.database import Sessions
from tests.support.demo import GZ, SZ
from tests.support.documents import pdf, upload
from tests.support.tendering import Tenderer, assert_rule_broken

pytestmark = pytest.mark.usefixtures("demo")


async def _run_award_notified(
    admin_db: asyncpg.Connection, sessionmaker: Sessions, pid: str, tenant: str = GZ
) -> bool:
    return await run_award_notified(admin_db, sessionmaker, pid, tenant)


_terms = terms


@pytest.fixture
async def drafted(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection, sessionmaker: Sessions
) -> tuple[dict[str, Any], str]:
    """A contract drafted from a fresh open tender's award: (the contract, its procurement)."""
    pid, _ = await gz.with_result()
    assert await _run_award_notified(admin_db, sessionmaker, pid)
    officer = await gz.as_("civil_affairs_officer")
    listed = await client.get(f"/v1/tenants/{GZ}/contracts", headers=officer, params={"limit": 200})
    assert listed.status_code == 200, listed.text
    [contract] = [c for c in listed.json()["items"] if c["procurement_id"] == pid]
    return contract, pid


async def test_the_award_notice_drafts_the_contract_once(
    client: Client,
    gz: Tenderer,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
    drafted: tuple[dict[str, Any], str],
) -> None:
    contract, pid = drafted
    procurement = await admin_db.fetchrow(
        "SELECT awarded_provider_id, awarded_price, award_notice_at, budget_amount"
        " FROM procurements WHERE id = $1",
        uuid.UUID(pid),
    )
    assert contract["status"] == "drafting"
    assert contract["provider_id"] == str(procurement["awarded_provider_id"])
    # The awarded price, never the budget.
    assert contract["price"] == "300000.00" == f"{procurement['awarded_price']:.2f}"
    assert procurement["budget_amount"] > procurement["awarded_price"]
    # 30 days from the day after the award notice, to 24:00 of the 30th (政府采购法 art. 46).
    sign_by = workdays.calendar_deadline(procurement["award_notice_at"], 30)
    assert contract["sign_by"].replace("Z", "+00:00") == sign_by.isoformat()
    assert contract["instalments"] == []
    # The parties: the city's civil affairs bureau and the winner with its USCC.
    provider = await admin_db.fetchrow(
        "SELECT name, uscc FROM providers WHERE id = $1", procurement["awarded_provider_id"]
    )
    assert provider is not None
    assert (contract["provider_name"], contract["provider_uscc"]) == (
        provider["name"],
        provider["uscc"],
    )
    bureau = await admin_db.fetchrow(
        "SELECT id, name FROM organisations WHERE tenant_id = $1 AND kind = 'civil_affairs'"
        " ORDER BY created_at, id LIMIT 1",
        GZ,
    )
    assert bureau is not None
    assert contract["buyer_organisation_id"] == str(bureau["id"])
    assert contract["buyer_name"] == bureau["name"]
    # What the procurement documents carried from the project, as planning keeps it.
    project = await admin_db.fetchrow(
        "SELECT county_code, target_groups, estimated_beneficiaries FROM projects WHERE id = $1",
        uuid.UUID(contract["project_id"]),
    )
    assert project is not None
    assert contract["county_code"] == project["county_code"]
    assert contract["target_groups"] == list(project["target_groups"])
    assert contract["beneficiaries"] == project["estimated_beneficiaries"]
    targets = await admin_db.fetch(
        "SELECT name, unit, target_value FROM project_targets WHERE project_id = $1"
        " ORDER BY line_no",
        uuid.UUID(contract["project_id"]),
    )
    assert len(targets) == 3
    assert [(t["name"], t["unit"], Decimal(t["target_value"])) for t in contract["targets"]] == [
        (t["name"], t["unit"], t["target_value"]) for t in targets
    ]
    # The same notice again (a replayed message): nothing new.
    assert not await _run_award_notified(admin_db, sessionmaker, pid)
    count = await admin_db.fetchval(
        "SELECT count(*) FROM contracts WHERE procurement_id = $1", uuid.UUID(pid)
    )
    assert count == 1
    finance = await gz.as_("finance_officer")
    read = await client.get(f"/v1/tenants/{GZ}/contracts/{contract['id']}", headers=finance)
    assert read.status_code == 200 and read.json()["id"] == contract["id"]


async def test_terms_within_the_law_are_set_and_the_rest_refused(
    client: Client,
    gz: Tenderer,
    sz: Tenderer,
    admin_db: asyncpg.Connection,
    drafted: tuple[dict[str, Any], str],
) -> None:
    contract, _ = drafted
    officer = await gz.as_("civil_affairs_officer")
    url = f"/v1/tenants/{GZ}/contracts/{contract['id']}/terms"

    async def unchanged() -> None:
        row = await admin_db.fetchrow(
            "SELECT scope, performance_security FROM contracts WHERE id = $1",
            uuid.UUID(contract["id"]),
        )
        assert row is not None and row["scope"] is None and row["performance_security"] is None
        assert not await admin_db.fetchval(
            "SELECT count(*) FROM contract_instalments WHERE contract_id = $1",
            uuid.UUID(contract["id"]),
        )

    short = _terms()
    short["instalments"][0]["amount"] = "89999.99"
    refused = await client.put(url, headers=officer, json=short)
    assert refused.status_code == 422 and refused.json()["code"] == "schedule_does_not_sum"
    # 10.01 % of the price is more than the law allows (实施条例 art. 48).
    over = await client.put(url, headers=officer, json=_terms(performance_security="30030.00"))
    assert_rule_broken(over, "performance_security_max_percent")
    # Two years without the reason a continuing service gives.
    long = _terms(period_end="2028-12-31")
    long["instalments"][2]["due_on"] = "2029-01-31"
    too_long = await client.put(url, headers=officer, json=long)
    assert too_long.status_code == 422 and too_long.json()["code"] == "period_too_long"
    for bad in (
        _terms(performance_security=15000.0),  # money as a float
        _terms(performance_security="-1.00"),
        _terms(performance_security="100.001"),
        _terms(signed=True),  # an unknown field
    ):
        assert (await client.put(url, headers=officer, json=bad)).status_code == 422
    # Another region's buyer finds no such contract, and changes nothing.
    sz_officer = await sz.as_("civil_affairs_officer")
    across = f"/v1/tenants/{SZ}/contracts/{contract['id']}"
    assert (await client.get(across, headers=sz_officer)).status_code == 404
    assert (
        await client.put(f"{across}/terms", headers=sz_officer, json=_terms())
    ).status_code == 404
    await unchanged()

    # Exactly 10 % is lawful; a two-year continuing service says why.
    lawful = _terms(performance_security="30000.00")
    done = await client.put(url, headers=officer, json=lawful)
    assert done.status_code == 200, done.text
    body = done.json()
    assert [i["amount"] for i in body["instalments"]] == ["90000.00", "150000.00", "60000.00"]
    assert [i["final"] for i in body["instalments"]] == [False, False, True]
    assert body["performance_security"] == "30000.00"
    assert body["period_end"] == date(2027, 12, 31).isoformat()
    long["continuing_service_reason"] = "持续性服务，两个年度预算均已安排。"
    # Running into 2028, it says each fiscal year's share of the price.
    unsplit = await client.put(url, headers=officer, json=long)
    assert unsplit.status_code == 422 and error_fields(unsplit) == {"year_shares"}
    long["year_shares"] = [
        {"fiscal_year": 2027, "amount": "150000.00"},
        {"fiscal_year": 2028, "amount": "149999.99"},
    ]
    uneven = await client.put(url, headers=officer, json=long)
    assert uneven.status_code == 422 and uneven.json()["code"] == "schedule_does_not_sum"
    long["year_shares"][1]["amount"] = "150000.00"
    two_years = await client.put(url, headers=officer, json=long)
    assert two_years.status_code == 200, two_years.text
    assert two_years.json()["period_end"] == "2028-12-31"
    assert [(y["fiscal_year"], y["amount"]) for y in two_years.json()["year_shares"]] == [
        (2027, "150000.00"),
        (2028, "150000.00"),
    ]


async def test_the_contract_takes_documents_from_both_sides_and_no_one_else(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection, sessionmaker: Sessions
) -> None:
    pid, bidders = await gz.with_result()
    assert await _run_award_notified(admin_db, sessionmaker, pid)
    contract_id = await admin_db.fetchval(
        "SELECT id FROM contracts WHERE procurement_id = $1", uuid.UUID(pid)
    )
    officer = await gz.as_("civil_affairs_officer")
    winner, loser = bidders[0], bidders[1]
    buyer_copy = await upload(
        client, officer, pdf(), object_type="contract", object_id=contract_id, filename="合同.pdf"
    )
    assert buyer_copy.status_code == 201, buyer_copy.text
    own = await upload(client, winner.headers, pdf(), object_type="contract", object_id=contract_id)
    assert own.status_code == 201, own.text
    # Not a party: refused, and a contract that does not exist is no place for documents.
    for headers, object_id in ((loser.headers, contract_id), (officer, uuid.uuid4())):
        refused = await upload(client, headers, pdf(), object_type="contract", object_id=object_id)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "object_id"


async def test_a_provider_sees_its_own_contracts_in_every_region_and_no_other(
    client: Client,
    gz: Tenderer,
    sz: Tenderer,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
) -> None:
    gz_pid, gz_bidders = await gz.with_result()
    sz_pid, sz_bidders = await sz.with_result()
    assert await _run_award_notified(admin_db, sessionmaker, gz_pid)
    assert await _run_award_notified(admin_db, sessionmaker, sz_pid, tenant=SZ)
    winner = gz_bidders[0]
    # 广州's winner won in 深圳 too (set as the owner would see it: one provider, two regions).
    await admin_db.execute(
        "UPDATE contracts SET provider_id = $1 WHERE procurement_id = $2",
        uuid.UUID(winner.provider_id),
        uuid.UUID(sz_pid),
    )
    mine = await client.get("/v1/me/contracts", headers=winner.headers)
    assert mine.status_code == 200, mine.text
    assert {(c["tenant_id"], c["procurement_id"]) for c in mine.json()} == {
        (GZ, gz_pid),
        (SZ, sz_pid),
    }
    # The other bidders, and 深圳's original winner now, have none.
    for other in (gz_bidders[1], sz_bidders[0]):
        theirs = await client.get("/v1/me/contracts", headers=other.headers)
        assert theirs.status_code == 200 and theirs.json() == []


async def _notified_again(sessionmaker: Sessions, pid: str) -> bool:
    """The award-notified job for a later notice of the same procurement."""
    return await run_once(
        contract_tasks.draft_from_award,
        tendering.AWARD_NOTIFIED,
        GZ,
        f"award-notified:{pid}:{uuid.uuid4()}",
        {"procurement_id": pid},
        None,
        sessionmaker,
    )


async def test_a_new_award_notice_redrafts_a_draft_and_a_withdrawn_one_waits(
    client: Client,
    gz: Tenderer,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
    drafted: tuple[dict[str, Any], str],
) -> None:
    contract, pid = drafted
    officer = await gz.as_("civil_affairs_officer")
    url = f"/v1/tenants/{GZ}/contracts/{contract['id']}"
    set_ = await client.put(f"{url}/terms", headers=officer, json=_terms())
    assert set_.status_code == 200, set_.text
    # The award withdrawn (an upheld challenge clears the notice) before the job ran: it waits.
    await gz.moved(pid, "award_notice_at = NULL")
    assert await _notified_again(sessionmaker, pid)
    assert (await client.get(url, headers=officer)).json()["price"] == "300000.00"
    # A new result and notice name another winner at another price: the draft follows it, and
    # the schedule and security set against the old price are gone.
    second = await admin_db.fetchrow(
        "SELECT id, provider_id, price FROM bids WHERE procurement_id = $1 AND rank = 2",
        uuid.UUID(pid),
    )
    await gz.moved(
        pid,
        f"award_notice_at = now(), awarded_bid_id = '{second['id']}',"
        f" awarded_provider_id = '{second['provider_id']}', awarded_price = {second['price']}",
    )
    assert await _notified_again(sessionmaker, pid)
    redrafted = (await client.get(url, headers=officer)).json()
    assert redrafted["provider_id"] == str(second["provider_id"])
    assert redrafted["price"] == f"{second['price']:.2f}" == "310000.00"
    assert redrafted["instalments"] == [] and redrafted["performance_security"] is None
    assert redrafted["scope"] == _terms()["scope"]  # the documents' terms stay
    actions = await admin_db.fetch(
        "SELECT action FROM audit_log WHERE object_id = $1 ORDER BY seq", contract["id"]
    )
    assert [a["action"] for a in actions] == [
        "contract.drafted",
        "contract.terms_set",
        "contract.redrafted",
    ]


async def test_a_partner_department_reads_the_contracts_of_projects_it_declared(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection, drafted: tuple[dict[str, Any], str]
) -> None:
    contract, _ = drafted
    partner = await gz.as_("partner_department")
    url = f"/v1/tenants/{GZ}/contracts"

    async def listed() -> list[str]:
        page = await client.get(url, headers=partner, params={"limit": 200})
        assert page.status_code == 200, page.text
        return [c["id"] for c in page.json()["items"]]

    # Not a project its declarations fed: nothing to see, and the contract looks absent.
    assert contract["id"] not in await listed()
    assert (await client.get(f"{url}/{contract['id']}", headers=partner)).status_code == 404
    # The department's accepted declaration feeds the project (as planning records it).
    declaration = await gz.planner.accepted_declaration()
    await admin_db.execute(
        "INSERT INTO project_declarations (tenant_id, declaration_id, project_id, organisation_id)"
        " VALUES ($1, $2, $3, $4)",
        GZ,
        uuid.UUID(declaration["id"]),
        uuid.UUID(contract["project_id"]),
        uuid.UUID(declaration["organisation_id"]),
    )
    assert contract["id"] in await listed()
    read = await client.get(f"{url}/{contract['id']}", headers=partner)
    assert read.status_code == 200 and read.json()["price"] == "300000.00"
    # Reading is all it does.
    refused = await client.put(f"{url}/{contract['id']}/terms", headers=partner, json=_terms())
    assert refused.status_code == 403
