"""Progress reports (服务进度报告) through the API: civil affairs sets a signed contract's
reporting schedule; the provider drafts and submits a report per period; civil affairs accepts
or returns it; the partner department whose declaration the project answers remarks on it; the
delivery sweep reminds the provider before a report is due and warns civil affairs once it is
late. Another provider's or another region's contract or report is a 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.delivery import tasks as delivery_tasks
from services.kit.db import PLATFORM_TENANT, transaction
from services.kit.jobs import JobContext
from tests.support.client import error_fields, json_of
from tests.support.contracts import Deal, single_source_deal
from tests.support.database import Sessions
from tests.support.demo import SZ
from tests.support.documents import pdf, upload
from tests.support.planning import Planner
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


class DeclaredPlanner(Planner):
    """Builds each project from a partner department's accepted declaration, so that the
    department reads what follows from it."""

    async def project(
        self, declaration_ids: list[str] | None = None, costed: bool = True, **changes: Any
    ) -> dict[str, Any]:
        declared = declaration_ids or [str((await self.accepted_declaration())["id"])]
        return await super().project(declared, costed, **changes)


@pytest.fixture
async def deal(gz: Tenderer) -> Deal:
    """A signed contract (2027-01-01 to 2027-12-31) whose project a partner department of
    广州 declared: target group ``migrants`` in 天河区 (440106), three targets, five cost lines."""
    gz.planner = DeclaredPlanner(gz.client, gz.login, gz.city)
    signed = await single_source_deal(gz, price="300000")
    await signed.signed()
    return signed


def content(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "activities": [
            {"held_on": "2027-01-16", "title": "亲子阅读小组", "participants": 18},
            {"held_on": "2027-02-20", "title": "社区融入游园会", "participants": 120},
        ],
        "served": [
            {
                "target_group": "migrants",
                "county_code": "440106",
                "street": "石牌街道",
                "count": 42,
            },
            {"target_group": "migrants", "county_code": "440106", "count": 7},
        ],
        "hours": [
            {"staff_level": "social_worker", "hours": "320.5"},
            {"staff_level": "volunteer", "hours": "96"},
        ],
        "progress": [
            {"target_index": 1, "actual_value": "49", "note": "按计划推进"},
            {"target_index": 2, "actual_value": "11"},
        ],
        "funds": [
            {"cost_line_no": 1, "spent": "51000.00"},
            {"cost_line_no": 3, "spent": "9000.00", "note": "场地与物资"},
        ],
        "problems": "春节期间部分家庭返乡，活动参与人数波动。",
    }
    body.update(changes)
    return body


async def _schedule(
    deal: Deal, body: dict[str, Any], role: str = "civil_affairs_officer"
) -> httpx.Response:
    return await deal.client.put(
        f"{deal.path}/report-schedule", headers=await deal.gz.as_(role), json=body
    )


def _report_path(deal: Deal, report_id: str, tail: str = "") -> str:
    return f"/v1/tenants/{deal.gz.city}/reports/{report_id}{tail}"


async def _draft(deal: Deal, seq: int = 1, **changes: Any) -> httpx.Response:
    return await deal.client.post(
        f"{deal.path}/reports",
        headers=deal.winner.headers,
        json={"period_seq": seq, "content": content(**changes)},
    )


async def _step(
    deal: Deal, report_id: str, step: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    return await deal.client.post(
        _report_path(deal, report_id, f"/{step}"), headers=headers, json=body
    )


async def _submitted(deal: Deal, seq: int = 1) -> dict[str, Any]:
    # The activities of content() fall in the first quarter; later periods report none.
    made = json_of(await (_draft(deal, seq) if seq == 1 else _draft(deal, seq, activities=[])), 201)
    return json_of(await _step(deal, made["id"], "submit", deal.winner.headers))


def _listed(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _told(deal: Deal, event_type: str, period: str) -> list[uuid.UUID]:
    rows = await deal.gz.admin_db.fetch(
        "SELECT user_id FROM notifications WHERE event_type = $1 AND data->>'contract_id' = $2"
        " AND data->>'period' = $3",
        event_type,
        deal.contract["id"],
        period,
    )
    return [row["user_id"] for row in rows]


async def _holders(deal: Deal, roles: tuple[str, ...]) -> set[uuid.UUID]:
    rows = await deal.gz.admin_db.fetch(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = ANY($2::text[])",
        deal.gz.city,
        list(roles),
    )
    return {row["user_id"] for row in rows}


async def _provider_admins(deal: Deal) -> set[uuid.UUID]:
    rows = await deal.gz.admin_db.fetch(
        "SELECT id FROM users WHERE provider_id = $1 AND provider_role = 'provider_admin'"
        " AND active",
        uuid.UUID(deal.winner.provider_id),
    )
    return {row["id"] for row in rows}


async def sweep(sessionmaker: Sessions) -> None:
    """The chronograph's delivery sweep, across every region, as one tick runs it."""
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        await delivery_tasks.reports_sweep(
            JobContext(session, PLATFORM_TENANT, f"sweep-{uuid.uuid4()}", None), {}
        )


# --- the schedule ---------------------------------------------------------------------------


async def test_schedule_periods_and_due_moments(deal: Deal) -> None:
    monthly = json_of(await _schedule(deal, {"kind": "monthly"}))
    assert monthly["due_days"] == 10
    assert len(monthly["periods"]) == 12
    first = monthly["periods"][0]
    assert (first["seq"], first["label"]) == (1, "2027年1月")
    assert (first["starts_on"], first["ends_on"]) == ("2027-01-01", "2027-01-31")
    assert monthly["periods"][-1]["ends_on"] == "2027-12-31"

    milestones = {
        "kind": "milestones",
        "due_days": 10,
        "milestones": [
            {"label": "第一阶段", "ends_on": "2027-06-15"},
            {"label": "第二阶段", "ends_on": "2027-10-20"},
        ],
    }
    changed = json_of(await _schedule(deal, milestones, role="civil_affairs_approver"))
    one, two = changed["periods"]
    assert (one["starts_on"], one["ends_on"]) == ("2027-01-01", "2027-06-15")
    assert (two["starts_on"], two["ends_on"]) == ("2027-06-16", "2027-10-20")
    # Ten days from the day after 15 June: 25 June, a Friday, to 24:00 Asia/Shanghai.
    assert _moment(one["due_at"]) == datetime(2027, 6, 25, 15, 59, 59, 999999, tzinfo=UTC)
    # The tenth day after 20 October is Saturday 30 October: it moves to Monday 1 November.
    assert _moment(two["due_at"]) == datetime(2027, 11, 1, 15, 59, 59, 999999, tzinfo=UTC)

    # Finance and the provider read it; the schedule is as civil affairs left it.
    for headers in (await deal.gz.as_("finance_officer"), deal.winner.headers):
        shown = json_of(await deal.client.get(f"{deal.path}/report-schedule", headers=headers))
        assert shown["kind"] == "milestones" and len(shown["periods"]) == 2

    quarterly = json_of(await _schedule(deal, {"kind": "quarterly", "due_days": 15}))
    assert [p["label"] for p in quarterly["periods"]] == [
        "2027年第1季度",
        "2027年第2季度",
        "2027年第3季度",
        "2027年第4季度",
    ]


async def test_schedule_refuses_bad_input_and_changes_nothing(deal: Deal) -> None:
    json_of(await _schedule(deal, {"kind": "quarterly"}))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "weekly"}, "kind"),
        ({"kind": "monthly", "due_days": 61}, "due_days"),
        (
            {"kind": "monthly", "milestones": [{"label": "x", "ends_on": "2027-03-01"}]},
            "milestones",
        ),
        ({"kind": "milestones"}, "milestones"),
        (
            {"kind": "milestones", "milestones": [{"label": "结项", "ends_on": "2028-01-31"}]},
            "milestones[0].ends_on",
        ),
        (
            {
                "kind": "milestones",
                "milestones": [
                    {"label": "二", "ends_on": "2027-08-01"},
                    {"label": "一", "ends_on": "2027-05-01"},
                ],
            },
            "milestones[1].ends_on",
        ),
    ]
    for body, field in cases:
        response = await _schedule(deal, body)
        assert response.status_code == 422, (body, response.text)
        assert error_fields(response) == {field}, response.text
    shown = json_of(
        await deal.client.get(
            f"{deal.path}/report-schedule", headers=await deal.gz.as_("civil_affairs_officer")
        )
    )
    assert shown["kind"] == "quarterly" and len(shown["periods"]) == 4


async def test_only_a_signed_contract_gets_a_schedule(gz: Tenderer) -> None:
    drafted = await single_source_deal(gz)
    response = await _schedule(drafted, {"kind": "monthly"})
    assert response.status_code == 409 and response.json()["code"] == "contract_not_signed"
    shown = await drafted.client.get(
        f"{drafted.path}/report-schedule", headers=await gz.as_("civil_affairs_officer")
    )
    assert shown.status_code == 404


# --- reports --------------------------------------------------------------------------------


async def test_submit_return_resubmit_accept(deal: Deal) -> None:
    json_of(await _schedule(deal, {"kind": "quarterly"}))
    officer = await deal.gz.as_("civil_affairs_officer")
    made = json_of(await _draft(deal), 201)
    assert made["status"] == "draft" and made["late"] is False
    assert made["served"][0] == {
        "target_group": "migrants",
        "county_code": "440106",
        "count": 42,
        "street": "石牌街道",
    }
    assert made["progress"][0]["target_name"] == "服务流动儿童人数"
    assert made["funds"][0]["description"] == "社会工作师"
    report_id = made["id"]

    # A draft is the provider's own: civil affairs neither lists nor reads it.
    listed = _listed(await deal.client.get(f"{deal.path}/reports", headers=officer))
    assert listed == []
    assert (
        await deal.client.get(_report_path(deal, report_id), headers=officer)
    ).status_code == 404
    # Only the administrator submits for the provider; civil affairs cannot review a draft.
    assert (await _step(deal, report_id, "accept", officer, {})).status_code == 404

    submitted = json_of(await _step(deal, report_id, "submit", deal.winner.headers))
    assert submitted["status"] == "submitted" and submitted["submissions"] == 1
    assert submitted["late"] is False
    assert set(await _told(deal, "delivery.report_submitted", "2027年第1季度")) == await _holders(
        deal, ("civil_affairs_officer", "civil_affairs_approver")
    )
    again = await _step(deal, report_id, "submit", deal.winner.headers)
    assert again.status_code == 409 and again.json()["code"] == "report_wrong_state"

    returned = json_of(
        await _step(deal, report_id, "return", officer, {"comment": "请补充经费使用凭证说明。"})
    )
    assert returned["status"] == "returned"
    assert [(c["kind"], c["body"]) for c in returned["comments"]] == [
        ("returned", "请补充经费使用凭证说明。")
    ]
    assert set(
        await _told(deal, "delivery.report_reviewed", "2027年第1季度")
    ) == await _provider_admins(deal)

    revised = await deal.client.put(
        _report_path(deal, report_id),
        headers=deal.winner.headers,
        json=content(problems="经费凭证已补充。"),
    )
    assert json_of(revised)["problems"] == "经费凭证已补充。"
    resubmitted = json_of(await _step(deal, report_id, "submit", deal.winner.headers))
    assert resubmitted["status"] == "submitted" and resubmitted["submissions"] == 2

    accepted = json_of(await _step(deal, report_id, "accept", officer, {"comment": "同意。"}))
    assert accepted["status"] == "accepted"
    assert [c["kind"] for c in accepted["comments"]] == ["returned", "accepted"]
    # Accepted is final: no second review, no edit.
    assert (await _step(deal, report_id, "return", officer, {"comment": "再看"})).status_code == 409
    edited = await deal.client.put(
        _report_path(deal, report_id), headers=deal.winner.headers, json=content()
    )
    assert edited.status_code == 409 and edited.json()["code"] == "report_wrong_state"

    # A full read by a government user is in the audit chain; a provider's own read is not.
    finance = await deal.gz.as_("finance_officer")
    before = await _reads(deal, report_id)
    assert (
        json_of(await deal.client.get(_report_path(deal, report_id), headers=finance))["id"]
        == report_id
    )
    json_of(await deal.client.get(_report_path(deal, report_id), headers=deal.winner.headers))
    assert await _reads(deal, report_id) == before + 1

    # The reported period stays as it is: a schedule that would change it is refused.
    refused = await _schedule(deal, {"kind": "monthly"})
    assert refused.status_code == 409 and refused.json()["code"] == "report_schedule_has_reports"
    kept = json_of(await _schedule(deal, {"kind": "quarterly", "due_days": 20}))
    assert kept["periods"][0]["report_id"] == report_id
    assert kept["periods"][0]["report_status"] == "accepted"


async def _reads(deal: Deal, report_id: str) -> int:
    count: int = await deal.gz.admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'report.read'"
        " AND object_id = $2",
        deal.gz.city,
        report_id,
    )
    return count


async def test_bad_report_input_is_refused_naming_the_field(deal: Deal) -> None:
    json_of(await _schedule(deal, {"kind": "quarterly"}))
    served = {"target_group": "migrants", "county_code": "440106", "count": 3}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"served": [{**served, "target_group": "drug_users"}]}, "content.served[0].target_group"),
        ({"served": [{**served, "county_code": "440304"}]}, "content.served[0].county_code"),
        # People are counted, never named.
        ({"served": [{**served, "names": ["张三"]}]}, "content.served[0].names"),
        ({"served": [{**served, "count": -1}]}, "content.served[0].count"),
        (
            {"progress": [{"target_index": 9, "actual_value": "1"}]},
            "content.progress[0].target_index",
        ),
        ({"funds": [{"cost_line_no": 99, "spent": "1.00"}]}, "content.funds[0].cost_line_no"),
        ({"funds": [{"cost_line_no": 1, "spent": 1000}]}, "content.funds[0].spent"),
        (
            {"activities": [{"held_on": "2027-05-01", "title": "小组", "participants": 3}]},
            "content.activities[0].held_on",
        ),
        ({"hours": [{"staff_level": "manager", "hours": "1"}]}, "content.hours[0].staff_level"),
    ]
    for changes, field in cases:
        response = await _draft(deal, **changes)
        assert response.status_code == 422, (changes, response.text)
        assert error_fields(response) == {field}, response.text
    no_period = await _draft(deal, seq=9)
    assert no_period.status_code == 422 and error_fields(no_period) == {"period_seq"}
    listed = await deal.client.get(f"{deal.path}/reports", headers=deal.winner.headers)
    assert _listed(listed) == []


async def test_no_report_before_the_schedule(deal: Deal) -> None:
    response = await _draft(deal)
    assert response.status_code == 409 and response.json()["code"] == "report_schedule_missing"


async def test_partner_department_remarks_on_its_projects_reports(deal: Deal, gz: Tenderer) -> None:
    json_of(await _schedule(deal, {"kind": "quarterly"}))
    report = await _submitted(deal)
    partner = await gz.as_("partner_department")
    listed = _listed(await deal.client.get(f"{deal.path}/reports", headers=partner))
    assert [r["id"] for r in listed] == [report["id"]]
    remarked = await _step(
        deal, report["id"], "comments", partner, {"comment": "建议增加心理支持小组。"}
    )
    body = json_of(remarked, 201)
    assert body["status"] == "submitted"
    assert [(c["kind"], c["body"]) for c in body["comments"]] == [
        ("remark", "建议增加心理支持小组。")
    ]
    # The department cannot decide: accepting is civil affairs'.
    assert (await _step(deal, report["id"], "accept", partner, {})).status_code == 403

    # A contract of a project no declaration of the department fed: nothing to see.
    gz.planner = Planner(gz.client, gz.login, gz.city)
    other = await single_source_deal(gz)
    hidden = await deal.client.get(f"{other.path}/reports", headers=partner)
    assert hidden.status_code == 404


async def test_another_provider_and_another_region_find_nothing(deal: Deal, sz: Tenderer) -> None:
    json_of(await _schedule(deal, {"kind": "quarterly"}))
    report = await _submitted(deal)
    stranger = deal.others[0].headers
    missing = f"/v1/tenants/{deal.gz.city}/reports/{uuid.uuid4()}"
    expected = (await deal.client.get(missing, headers=stranger)).json()["code"]
    for response in (
        await deal.client.get(f"{deal.path}/reports", headers=stranger),
        await deal.client.get(f"{deal.path}/report-schedule", headers=stranger),
        await deal.client.get(_report_path(deal, report["id"]), headers=stranger),
        await deal.client.put(_report_path(deal, report["id"]), headers=stranger, json=content()),
        await deal.client.post(
            f"{deal.path}/reports", headers=stranger, json={"period_seq": 2, "content": content()}
        ),
    ):
        assert response.status_code == 404 and response.json()["code"] == expected

    # 深圳's civil affairs, and the provider itself through 深圳's path, find nothing of 广州's.
    sz_officer = await sz.as_("civil_affairs_officer")
    in_sz = f"/v1/tenants/{SZ}"
    contract_id, report_id = deal.contract["id"], report["id"]
    for headers in (sz_officer, deal.winner.headers):
        for response in (
            await deal.client.get(f"{in_sz}/reports/{report_id}", headers=headers),
            await deal.client.get(f"{in_sz}/contracts/{contract_id}/reports", headers=headers),
            await deal.client.get(
                f"{in_sz}/contracts/{contract_id}/report-schedule", headers=headers
            ),
        ):
            assert response.status_code == 404, response.text
    for response in (
        await _step_in(deal, in_sz, report_id, "accept", sz_officer, {}),
        await deal.client.put(
            f"{in_sz}/contracts/{contract_id}/report-schedule",
            headers=sz_officer,
            json={"kind": "monthly"},
        ),
    ):
        assert response.status_code == 404, response.text
    shown = json_of(
        await deal.client.get(_report_path(deal, report_id), headers=deal.winner.headers)
    )
    assert shown["status"] == "submitted"


async def _step_in(
    deal: Deal, base: str, report_id: str, step: str, headers: dict[str, str], body: Any
) -> httpx.Response:
    return await deal.client.post(f"{base}/reports/{report_id}/{step}", headers=headers, json=body)


async def test_attachments_on_a_report_are_the_provider_s_own(deal: Deal) -> None:
    json_of(await _schedule(deal, {"kind": "quarterly"}))
    report = json_of(await _draft(deal), 201)
    mine = await upload(
        deal.client,
        deal.winner.headers,
        pdf(b"activity photos " + uuid.uuid4().bytes),
        object_type="report",
        object_id=report["id"],
        filename="活动签到表.pdf",
        tenant=deal.gz.city,
    )
    assert json_of(mine, 201)["object_type"] == "report"
    theirs = await upload(
        deal.client,
        deal.others[0].headers,
        pdf(b"not theirs " + uuid.uuid4().bytes),
        object_type="report",
        object_id=report["id"],
        filename="其他.pdf",
        tenant=deal.gz.city,
    )
    # As documents say of any object that is not the uploader's: no such one of yours.
    assert theirs.status_code == 422 and error_fields(theirs) == {"object_id"}, theirs.text
    officers = await upload(
        deal.client,
        await deal.gz.as_("civil_affairs_officer"),
        pdf(b"inspection notes " + uuid.uuid4().bytes),
        object_type="report",
        object_id=report["id"],
        filename="审核意见.pdf",
        tenant=deal.gz.city,
    )
    assert json_of(officers, 201)["object_id"] == report["id"]


# --- the chronograph --------------------------------------------------------------------------


async def _due(deal: Deal, seq: int, moment: datetime) -> None:
    await deal.gz.admin_db.execute(
        "UPDATE delivery_report_periods SET due_at = $3 WHERE tenant_id = $1 AND contract_id = $2"
        " AND seq = $4",
        deal.gz.city,
        uuid.UUID(deal.contract["id"]),
        moment,
        seq,
    )


async def test_sweep_reminds_before_due_and_warns_when_late(
    deal: Deal, sessionmaker: Sessions
) -> None:
    json_of(await _schedule(deal, {"kind": "quarterly"}))
    civil_affairs = await _holders(deal, ("civil_affairs_officer", "civil_affairs_approver"))
    now = datetime.now(UTC)
    # Period 2 is reported on in time; periods 1 and 2 then fall due.
    await _submitted(deal, seq=2)
    await _due(deal, 1, now + timedelta(days=2))
    await _due(deal, 2, now + timedelta(days=2))
    await sweep(sessionmaker)
    await sweep(sessionmaker)
    assert sorted(await _told(deal, "delivery.report_due_soon", "2027年第1季度")) == sorted(
        await _provider_admins(deal)
    )
    assert await _told(deal, "delivery.report_due_soon", "2027年第2季度") == []

    await _due(deal, 1, now - timedelta(hours=1))
    await _due(deal, 2, now - timedelta(hours=1))
    await sweep(sessionmaker)
    await sweep(sessionmaker)
    late = await _told(deal, "delivery.report_late", "2027年第1季度")
    assert sorted(late) == sorted(civil_affairs)  # each once
    assert await _told(deal, "delivery.report_late", "2027年第2季度") == []

    # Late is still taken, and marked so.
    made = json_of(await _draft(deal, seq=1), 201)
    submitted = json_of(await _step(deal, made["id"], "submit", deal.winner.headers))
    assert submitted["status"] == "submitted" and submitted["late"] is True


async def test_a_report_already_late_gets_only_the_warning(
    deal: Deal, sessionmaker: Sessions
) -> None:
    json_of(await _schedule(deal, {"kind": "quarterly"}))
    await _due(deal, 3, datetime.now(UTC) - timedelta(days=1))
    await sweep(sessionmaker)
    assert await _told(deal, "delivery.report_due_soon", "2027年第3季度") == []
    assert len(await _told(deal, "delivery.report_late", "2027年第3季度")) == len(
        await _holders(deal, ("civil_affairs_officer", "civil_affairs_approver"))
    )
