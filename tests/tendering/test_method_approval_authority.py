"""Whose finance approves a non-open method: a county's at or above the open-tender threshold
goes to its city's finance (政府采购法 art. 27, 实施条例 art. 23, 74号令 art. 4); below it the
county's own finance approves, as 民发〔2012〕196号 asks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import httpx
import pytest

from tests.support.accounts import grant, open_account
from tests.support.client import Client, Login, error_fields, inbox, json_of
from tests.support.database import Sessions
from tests.support.demo import GZ, ROLE_LOGINS, SZ, city_login
from tests.support.jobs import relay_and_run
from tests.support.planning import Planner
from tests.support.tendering import PASSWORD, Tenderer, assert_rule_broken, later

pytestmark = pytest.mark.usefixtures("demo")

# A county of 广州 of the suite's own: 增城区's code, outside the codes other tests create
# and deactivate (tests/kit/test_audit.py draws 440120–440199).
COUNTY = "440118"
COUNTY_ROLES = (
    "civil_affairs_officer",
    "civil_affairs_approver",
    "finance_officer",
    "finance_approver",
)
# The county lowers the province's threshold (a region may only lower it): the demo budget
# line's 360,000 元 procurement then reaches it.
LOW_THRESHOLD = {"open_tender_threshold_yuan": "300000"}


@dataclass
class CountyPlanner(Planner):
    logins: dict[str, str] = field(default_factory=dict)

    async def as_(self, role: str) -> dict[str, str]:
        return await self.login(self.logins[role], PASSWORD)


@dataclass
class CountyTenderer(Tenderer):
    """The county's buyer and finance, on accounts of the suite's own."""

    logins: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.planner = CountyPlanner(self.client, self.login, self.city, self.logins)

    async def as_(self, role: str) -> dict[str, str]:
        return await self.login(self.logins[role], PASSWORD)


async def _county_tenant(client: Client, platform: dict[str, str]) -> None:
    created = await client.post(
        "/v1/platform/tenants", headers=platform, json={"code": COUNTY, "name": "增城区"}
    )
    assert created.status_code in (201, 409), created.text
    if created.status_code == 201:
        assert created.json()["parent_code"] == GZ


@pytest.fixture
async def county(client: Client, login: Login, tenderer_in: Any) -> CountyTenderer:
    """广州's county, with a civil affairs and a finance of accounts opened for this test."""
    platform = await login(ROLE_LOGINS["platform_admin"])
    await _county_tenant(client, platform)
    logins: dict[str, str] = {}
    for role in COUNTY_ROLES:
        _, email = await open_account(
            client, platform, PASSWORD, tenant=COUNTY, prefix=role.replace("_", "-")
        )
        await grant(client, platform, COUNTY, email, role)
        logins[role] = email
    gz: Tenderer = tenderer_in(GZ)
    return CountyTenderer(
        client, login, gz.admin_db, gz.sessionmaker, gz.settings, COUNTY, logins=logins
    )


async def _threshold(county: CountyTenderer, overrides: dict[str, str]) -> None:
    response = await county.client.put(
        f"/v1/tenants/{COUNTY}/tendering-rules",
        headers=await county.as_("civil_affairs_approver"),
        json=overrides,
    )
    assert response.status_code == 200, response.text


async def _submitted_negotiation(county: CountyTenderer) -> dict[str, Any]:
    procurement = await county.create(
        method="competitive_negotiation",
        method_reason="technically_complex",
        method_justification="服务内容需与供应商逐项谈判确定",
        bid_deadline=later(days=10),
    )
    submitted = await county.client.post(
        f"{county.base}/{procurement['id']}/submit-for-approval",
        headers=await county.as_("civil_affairs_officer"),
    )
    return json_of(submitted)


def _methods(city: str) -> str:
    return f"/v1/tenants/{city}/method-approvals"


async def _request_of(client: Client, headers: dict[str, str], pid: str) -> dict[str, Any]:
    listed = json_of(await client.get(_methods(GZ), headers=headers, params={"limit": 200}))
    found: list[dict[str, Any]] = [r for r in listed["items"] if r["procurement_id"] == pid]
    assert len(found) == 1, found
    return found[0]


async def _procurement(county: CountyTenderer, pid: str) -> dict[str, Any]:
    return json_of(
        await county.client.get(
            f"{county.base}/{pid}", headers=await county.as_("civil_affairs_officer")
        )
    )


async def _own_finance_decides(
    county: CountyTenderer, pid: str, body: dict[str, Any]
) -> httpx.Response:
    return await county.client.post(
        f"{county.base}/{pid}/approval",
        headers=await county.as_("finance_approver"),
        json=body,
    )


async def test_the_city_approves_a_county_negotiation_at_the_threshold(
    client: Client,
    login: Login,
    county: CountyTenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    await _threshold(county, LOW_THRESHOLD)
    submitted = await _submitted_negotiation(county)
    pid = str(submitted["id"])
    assert submitted["status"] == "awaiting_approval"
    assert submitted["approving_region"] == {"code": GZ, "name": "广州市"}

    # The county's own finance may not decide it: the city's is named.
    refused = await _own_finance_decides(county, pid, {"approve": True, "note": "同意"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "approval_belongs_to"
    assert refused.json()["approval_belongs_to"] == {"code": GZ, "name": "广州市"}
    assert (await _procurement(county, pid))["status"] == "awaiting_approval"

    # 广州's finance officer reads it; what the decision needs came with it.
    officer = await login(city_login("finance_officer", GZ))
    request = await _request_of(client, officer, pid)
    assert request["status"] == "pending"
    assert request["county"] == {"code": COUNTY, "name": "增城区"}
    assert request["method"] == "competitive_negotiation"
    assert request["method_reason"] == "technically_complex"
    assert request["budget_amount"] == submitted["budget_amount"]
    assert request["procurement_status"] == "awaiting_approval"
    one = await client.get(f"{_methods(GZ)}/{request['id']}", headers=officer)
    assert json_of(one)["id"] == request["id"]
    # The officer reads, only the approver decides.
    decision = f"{_methods(GZ)}/{request['id']}/decision"
    assert (await client.post(decision, headers=officer, json={"approve": True})).status_code == 403

    # 深圳's finance finds no such request, in its own region or by 广州's path.
    sz_finance = await login(city_login("finance_approver", SZ))
    assert (
        await client.get(f"{_methods(SZ)}/{request['id']}", headers=sz_finance)
    ).status_code == 404
    sz_decision = f"{_methods(SZ)}/{request['id']}/decision"
    sz_tried = await client.post(sz_decision, headers=sz_finance, json={"approve": True})
    assert sz_tried.status_code == 404, sz_tried.text
    assert (
        await client.get(f"{_methods(GZ)}/{request['id']}", headers=sz_finance)
    ).status_code == 403

    approver = await login(city_login("finance_approver", GZ))
    # The city's finance was told of the request filed with it, once, in the city.
    await relay_and_run(sessionmaker, broker)
    await relay_and_run(sessionmaker, broker)
    filed = await inbox(client, approver, "tendering.method_approval_filed")
    mine = [n for n in filed if n["data"].get("request_id") == request["id"]]
    assert len(mine) == 1, filed
    assert mine[0]["data"]["county_name"] == "增城区"
    assert not await inbox(client, sz_finance, "tendering.method_approval_filed")

    decided = json_of(
        await client.post(decision, headers=approver, json={"approve": True, "note": "同意谈判"})
    )
    assert decided["status"] == "approved" and decided["note"] == "同意谈判"
    again = await client.post(decision, headers=approver, json={"approve": False, "note": "撤回"})
    assert again.status_code == 409, again.text

    await relay_and_run(sessionmaker, broker)
    approved = await _procurement(county, pid)
    assert approved["status"] == "approved"
    assert approved["approving_region"] == {"code": GZ, "name": "广州市"}
    assert approved["approval_note"] == "同意谈判"
    assert approved["approved_by"] == decided["decided_by"] and approved["approved_at"]
    assert approved["transitions"][-1]["to_status"] == "approved"
    told = await inbox(
        client, await county.as_("civil_affairs_officer"), "tendering.method_approved"
    )
    assert any(n["data"].get("procurement_id") == pid for n in told), told


async def test_a_refusal_needs_a_note_and_sends_the_county_draft_back(
    client: Client,
    login: Login,
    county: CountyTenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    await _threshold(county, LOW_THRESHOLD)
    pid = str((await _submitted_negotiation(county))["id"])
    approver = await login(city_login("finance_approver", GZ))
    request = await _request_of(client, approver, pid)
    decision = f"{_methods(GZ)}/{request['id']}/decision"

    bare = await client.post(decision, headers=approver, json={"approve": False})
    assert bare.status_code == 422, bare.text
    assert error_fields(bare) == {"note"}
    still = json_of(await client.get(f"{_methods(GZ)}/{request['id']}", headers=approver))
    assert still["status"] == "pending"

    refused = await client.post(
        decision, headers=approver, json={"approve": False, "note": "应公开招标"}
    )
    assert json_of(refused)["status"] == "refused"
    await relay_and_run(sessionmaker, broker)
    draft = await _procurement(county, pid)
    assert draft["status"] == "draft" and draft["approval_note"] == "应公开招标"
    told = await inbox(
        client, await county.as_("civil_affairs_officer"), "tendering.method_refused"
    )
    assert any(n["data"].get("procurement_id") == pid for n in told), told

    # Submitted again, it is a new request; the refused one stays as it was.
    again = await client.post(
        f"{county.base}/{pid}/submit-for-approval",
        headers=await county.as_("civil_affairs_officer"),
    )
    assert json_of(again)["status"] == "awaiting_approval"
    pending = json_of(
        await client.get(_methods(GZ), headers=approver, params={"status": "pending"})
    )
    assert [r["procurement_id"] for r in pending["items"]].count(pid) == 1


async def test_below_the_threshold_the_countys_own_finance_approves(
    client: Client, login: Login, county: CountyTenderer
) -> None:
    await _threshold(county, {})  # the province's 4,000,000 元: 360,000 is below it
    submitted = await _submitted_negotiation(county)
    pid = str(submitted["id"])
    assert submitted["approving_region"] == {"code": COUNTY, "name": "增城区"}
    approved = json_of(await _own_finance_decides(county, pid, {"approve": True, "note": "同意"}))
    assert approved["status"] == "approved"
    # Nothing went to the city.
    listed = json_of(
        await client.get(
            _methods(GZ),
            headers=await login(city_login("finance_officer", GZ)),
            params={"limit": 200},
        )
    )
    assert pid not in {r["procurement_id"] for r in listed["items"]}


async def test_a_citys_own_procurement_stays_with_its_own_finance(gz: Tenderer) -> None:
    procurement = await gz.create(
        method="competitive_negotiation",
        method_reason="technically_complex",
        method_justification="服务内容需逐项谈判",
        bid_deadline=later(days=10),
    )
    submitted = await gz.client.post(
        f"{gz.base}/{procurement['id']}/submit-for-approval",
        headers=await gz.as_("civil_affairs_officer"),
    )
    assert json_of(submitted)["approving_region"] == {"code": GZ, "name": "广州市"}


async def test_an_unknown_request_is_not_found(client: Client, login: Login) -> None:
    approver = await login(city_login("finance_approver", GZ))
    missing = f"{_methods(GZ)}/{uuid.uuid4()}"
    assert (await client.get(missing, headers=approver)).status_code == 404
    decided = await client.post(f"{missing}/decision", headers=approver, json={"approve": True})
    assert decided.status_code == 404


async def test_the_city_approves_a_county_single_source_after_its_notice_and_objections(
    client: Client,
    login: Login,
    county: CountyTenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    await _threshold(county, LOW_THRESHOLD)
    only = await county.bidder("唯一的精神康复社工机构")
    objector = await county.bidder()
    noticed = await county.single_source(
        only, "该机构为本区唯一具备精神康复社工服务能力的机构", notice=True
    )
    pid = str(noticed["id"])
    assert noticed["approving_region"] == {"code": GZ, "name": "广州市"}
    approver = await login(city_login("finance_approver", GZ))
    request = await _request_of(client, approver, pid)
    assert request["method"] == "single_source"
    [proposed] = request["proposed_providers"]
    assert proposed["name"] == "唯一的精神康复社工机构" and len(proposed["uscc"]) == 18
    assert request["notice_published_at"] and request["approvable_from"]
    decision = f"{_methods(GZ)}/{request['id']}/decision"

    too_soon = await client.post(decision, headers=approver, json={"approve": True})
    assert_rule_broken(too_soon, "single_source_notice_working_days")

    objection = await client.post(
        f"{county.base}/{pid}/enquiries",
        headers=objector.headers,
        json={"question": "我机构同样具备该服务能力，对单一来源有异议。"},
    )
    assert objection.status_code == 201, objection.text
    # As if the notice had run: the county's notice and the request's date move back.
    await county.notice_ran(pid)
    await county.admin_db.execute(
        "UPDATE method_approval_requests SET approvable_from = now() - interval '1 day'"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(request["id"]),
    )
    seen = json_of(await client.get(f"{_methods(GZ)}/{request['id']}", headers=approver))
    assert seen["open_objections"] == 1
    unanswered = await client.post(decision, headers=approver, json={"approve": True})
    assert unanswered.status_code == 409 and "objection" in unanswered.json()["detail"]

    # The county's supplementary justification finds the objection unfounded (74号令 art. 40).
    justified = await client.post(
        f"{county.base}/{pid}/supplementary-justification",
        headers=await county.as_("civil_affairs_officer"),
        json={
            "objections_upheld": False,
            "opinion": "经核实，异议人不具备精神康复专业资质，异议不成立。",
        },
    )
    assert justified.status_code == 200, justified.text
    assert json_of(justified)["status"] == "awaiting_approval"
    approved = await client.post(decision, headers=approver, json={"approve": True})
    assert json_of(approved)["status"] == "approved"
    await relay_and_run(sessionmaker, broker)
    assert (await _procurement(county, pid))["status"] == "approved"


async def test_a_cancelled_county_procurement_withdraws_its_request_in_the_city(
    client: Client, login: Login, county: CountyTenderer
) -> None:
    await _threshold(county, LOW_THRESHOLD)
    pid = str((await _submitted_negotiation(county))["id"])
    approver = await login(city_login("finance_approver", GZ))
    assert (await _request_of(client, approver, pid))["status"] == "pending"

    cancelled = await client.post(
        f"{county.base}/{pid}/cancel",
        headers=await county.as_("civil_affairs_approver"),
        json={"reason": "服务需求已由其他项目覆盖"},
    )
    assert json_of(cancelled)["status"] == "cancelled"
    request = await _request_of(client, approver, pid)
    assert request["status"] == "withdrawn"
    assert request["note"] == "服务需求已由其他项目覆盖" and request["decided_at"]
    assert request["procurement_status"] == "cancelled"
    pending = json_of(
        await client.get(_methods(GZ), headers=approver, params={"status": "pending"})
    )
    assert pid not in {r["procurement_id"] for r in pending["items"]}
    decided = await client.post(
        f"{_methods(GZ)}/{request['id']}/decision", headers=approver, json={"approve": True}
    )
    assert decided.status_code == 409 and "withdrawn" in decided.json()["detail"]
