"""Signing a contract: both sides accept the same document version by its SHA-256; the money
follows; a challenge or finance's order suspends it; the clock warns then escalates; the signed
contract is published and filed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.kit import workdays
from tests.support.client import error_fields, json_of
from tests.support.contracts import Deal, drafted_deal, run_award_notified, sweep
from tests.support.credit import confirmed
from tests.support.documents import add_version, pdf, sha, upload
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
async def deal(gz: Tenderer) -> Deal:
    return await drafted_deal(gz)


async def _line_committed(deal: Deal) -> Decimal:
    value = await deal.gz.admin_db.fetchval(
        "SELECT committed_amount FROM budget_lines WHERE id = $1",
        uuid.UUID(deal.contract["budget_line_id"]),
    )
    assert isinstance(value, Decimal)
    return value


async def test_both_sides_sign_one_version_and_the_price_stays_committed(deal: Deal) -> None:
    await deal.set_terms()
    document_id, digest = await deal.upload_document()
    officer = await deal.gz.as_("civil_affairs_officer")
    shown = json_of(await deal.client.get(f"{deal.path}/signing", headers=officer))
    assert shown["provider_id"] == deal.winner.provider_id and len(shown["provider_uscc"]) == 18
    assert shown["bars"] == [] and shown["may_sign"] is True and shown["obstacles"] == []

    # The signer's copy must be the current version.
    stale = await deal.sign("provider", document_id, "0" * 64)
    assert stale.status_code == 409 and stale.json()["code"] == "document_changed"
    assert error_fields(stale) == {"sha256"}
    # Another provider cannot reach this contract at all.
    other = await deal.client.post(
        f"{deal.path}/signatures/provider",
        headers=deal.others[0].headers,
        json={"document_id": document_id, "sha256": digest},
    )
    assert other.status_code == 404

    before = await _line_committed(deal)
    one = json_of(await deal.sign("provider", document_id, digest))
    assert one["status"] == "signing" and [s["party"] for s in one["signatures"]] == ["provider"]
    again = await deal.sign("provider", document_id, digest)
    assert again.status_code == 409 and again.json()["code"] == "already_signed"
    assert await deal.told("contracts.signed_by_one_side")

    both = json_of(await deal.sign("buyer", document_id, digest))
    assert both["status"] == "signed" and both["signed_sha256"] == digest
    signed_at = workdays.require_aware(datetime.fromisoformat(both["signed_at"]))
    assert (
        both["publish_by"].replace("Z", "+00:00")
        == workdays.end_of_nth_working_day(signed_at, 2).isoformat()
    )
    assert (
        both["file_by"].replace("Z", "+00:00")
        == workdays.end_of_nth_working_day(signed_at, 7).isoformat()
    )
    # The procurement held its budget (360,000.00); the contract keeps the price, the rest
    # goes back to the line in the same transaction.
    assert await _line_committed(deal) == before - Decimal("60000.00")
    commitments = await deal.gz.admin_db.fetch(
        "SELECT amount, purpose, released_at FROM budget_commitments"
        " WHERE reference_type = 'contract' AND reference_id = $1",
        uuid.UUID(deal.contract["id"]),
    )
    assert [(c["amount"], c["purpose"], c["released_at"]) for c in commitments] == [
        (Decimal("300000.00"), "contract", None)
    ]
    status = await deal.gz.admin_db.fetchval(
        "SELECT status FROM projects WHERE id = $1", uuid.UUID(deal.contract["project_id"])
    )
    assert status == "contracted"
    # The winner's bid security falls due within 5 working days of signing.
    due = await deal.gz.admin_db.fetchval(
        "SELECT due_at FROM bid_securities WHERE procurement_id = $1 AND winner",
        uuid.UUID(deal.procurement_id),
    )
    assert due == workdays.end_of_nth_working_day(signed_at, 5)
    assert len(await deal.told("contracts.signed")) >= 3  # civil affairs, finance, provider
    # Nothing is signed twice, and terms no longer change.
    late = await deal.sign("buyer", document_id, digest)
    assert late.status_code == 409 and late.json()["code"] == "contract_not_signable"
    terms = await deal.client.put(f"{deal.path}/terms", headers=officer, json={"scope": "x"})
    assert terms.status_code in (409, 422)


async def test_a_new_version_is_signed_again_by_both(deal: Deal) -> None:
    await deal.set_terms()
    document_id, digest = await deal.upload_document()
    assert (await deal.sign("provider", document_id, digest)).status_code == 200
    body = pdf(b"contract v2")
    officer = await deal.gz.as_("civil_affairs_officer")
    response = await add_version(deal.client, officer, document_id, body)
    assert response.status_code == 201, response.text
    # The old hash no longer signs; the new one signed by the buyer alone is not a contract.
    stale = await deal.sign("buyer", document_id, digest)
    assert stale.status_code == 409 and stale.json()["code"] == "document_changed"
    buyer = json_of(await deal.sign("buyer", document_id, sha(body)))
    assert buyer["status"] == "signing"
    done = json_of(await deal.sign("provider", document_id, sha(body)))
    assert done["status"] == "signed" and done["signed_sha256"] == sha(body)


async def test_no_signature_before_the_terms(deal: Deal) -> None:
    document_id, digest = await deal.upload_document()
    refused = await deal.sign("buyer", document_id, digest)
    assert refused.status_code == 409 and refused.json()["code"] == "contract_not_signable"
    assert (await deal.read())["signatures"] == []


async def test_signing_suspended_for_an_open_challenge_and_resumed_after_its_answer(
    deal: Deal,
) -> None:
    await deal.set_terms()
    document_id, digest = await deal.upload_document()
    loser = deal.others[0]
    base = f"{deal.gz.base}/{deal.procurement_id}"
    challenge = json_of(
        await deal.client.post(
            f"{base}/challenges", headers=loser.headers, json={"grounds": "评分有误，请复核。"}
        ),
        201,
    )
    approver = await deal.gz.as_("civil_affairs_approver")
    wrong = await deal.client.post(
        f"{deal.path}/suspensions",
        headers=approver,
        json={"reason": "质疑可能影响中标结果", "challenge_id": str(uuid.uuid4())},
    )
    assert wrong.status_code == 422 and error_fields(wrong) == {"challenge_id"}
    suspension = json_of(
        await deal.client.post(
            f"{deal.path}/suspensions",
            headers=approver,
            json={"reason": "质疑可能影响中标结果", "challenge_id": challenge["id"]},
        ),
        201,
    )
    assert suspension["in_force"] and suspension["ordered_by"] == "buyer"
    assert deal.winner.headers and await deal.told("contracts.suspended")
    refused = await deal.sign("provider", document_id, digest)
    assert refused.status_code == 409 and refused.json()["code"] == "contract_suspended"
    shown = json_of(await deal.client.get(f"{deal.path}/signing", headers=approver))
    assert not shown["may_sign"] and [c["id"] for c in shown["open_challenges"]] == [
        challenge["id"]
    ]
    lift = f"{deal.path}/suspensions/{suspension['id']}/lift"
    early = await deal.client.post(lift, headers=approver, json={"reason": "恢复"})
    assert early.status_code == 409 and early.json()["code"] == "challenge_still_open"

    answered = await deal.client.post(
        f"{base}/challenges/{challenge['id']}/answer",
        headers=approver,
        json={"outcome": "dismissed", "answer": "经复核，评分无误。"},
    )
    assert answered.status_code == 200, answered.text
    lifted = json_of(await deal.client.post(lift, headers=approver, json={"reason": "质疑不成立"}))
    assert lifted["in_force"] is False and lifted["lift_reason"] == "质疑不成立"
    assert (await deal.sign("provider", document_id, digest)).status_code == 200
    assert json_of(await deal.sign("buyer", document_id, digest))["status"] == "signed"


async def test_finance_orders_a_suspension_of_at_most_30_days(deal: Deal) -> None:
    await deal.set_terms()
    document_id, digest = await deal.upload_document()
    finance = await deal.gz.as_("finance_approver")
    orders = f"{deal.path}/suspension-orders"
    too_long = await deal.client.post(
        orders, headers=finance, json={"reason": "投诉处理期间", "days": 31}
    )
    assert too_long.status_code == 422 and error_fields(too_long) == {"days"}
    order = json_of(
        await deal.client.post(
            orders, headers=finance, json={"reason": "投诉处理期间", "days": 10}
        ),
        201,
    )
    starts = datetime.fromisoformat(order["starts_at"])
    assert (
        order["ends_at"].replace("Z", "+00:00")
        == workdays.calendar_deadline(starts, 10).isoformat()
    )
    refused = await deal.sign("buyer", document_id, digest)
    assert refused.status_code == 409 and refused.json()["code"] == "contract_suspended"
    # The buyer cannot lift finance's order; finance can.
    approver = await deal.gz.as_("civil_affairs_approver")
    not_its_own = await deal.client.post(
        f"{deal.path}/suspensions/{order['id']}/lift", headers=approver, json={"reason": "x"}
    )
    assert not_its_own.status_code == 404
    lifted = await deal.client.post(
        f"{orders}/{order['id']}/lift", headers=finance, json={"reason": "投诉处理完毕"}
    )
    assert json_of(lifted)["in_force"] is False
    assert (await deal.sign("buyer", document_id, digest)).status_code == 200


async def test_the_clock_warns_the_buyer_then_escalates_on_day_31(deal: Deal) -> None:
    await deal.set_terms()
    await sweep(deal.gz.sessionmaker)
    assert await deal.told("contracts.sign_due_soon") == []

    await deal.moved("sign_by = now() + interval '3 days'")
    await sweep(deal.gz.sessionmaker)
    await sweep(deal.gz.sessionmaker)
    warned = await deal.told("contracts.sign_due_soon")
    officers = await deal.gz.admin_db.fetch(
        "SELECT user_id FROM memberships WHERE tenant_id = $1"
        " AND role IN ('civil_affairs_officer', 'civil_affairs_approver')",
        deal.gz.city,
    )
    assert sorted(warned) == sorted({r["user_id"] for r in officers})  # once each
    assert await deal.told("contracts.sign_overdue") == []

    # Day 31 after the award notice: the region's administrator hears of it, once.
    await deal.moved("sign_by = now() - interval '1 day'")
    await sweep(deal.gz.sessionmaker)
    await sweep(deal.gz.sessionmaker)
    escalated = await deal.told("contracts.sign_overdue")
    admins = await deal.gz.admin_db.fetch(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'tenant_admin'",
        deal.gz.city,
    )
    assert admins and {r["user_id"] for r in admins} <= set(escalated)
    assert len(escalated) == len(set(escalated))
    # Late signing is still signing, recorded as late.
    document_id, digest = await deal.upload_document()
    assert (await deal.sign("provider", document_id, digest)).status_code == 200
    assert json_of(await deal.sign("buyer", document_id, digest))["status"] == "signed"
    late = await deal.gz.admin_db.fetchval(
        "SELECT after->>'late' FROM audit_log WHERE object_id = $1 AND action = 'contract.signed'",
        deal.contract["id"],
    )
    assert late == "true"


async def test_the_signed_contract_is_published_and_filed(deal: Deal) -> None:
    signed = await deal.signed()
    officer = await deal.gz.as_("civil_affairs_officer")
    finance = await deal.gz.as_("finance_officer")
    # Not yet signed contracts are not published: shown by a second, unsigned deal below.
    await deal.moved("publish_by = now() - interval '1 hour', file_by = now() - interval '1 hour'")
    await sweep(deal.gz.sessionmaker)
    assert await deal.told("contracts.publication_late")
    assert await deal.told("contracts.filing_late")

    published = json_of(
        await deal.client.post(
            f"{deal.path}/publication",
            headers=officer,
            json={"withheld": [{"part": "服务对象名单", "ground": "personal_information"}]},
        )
    )
    assert published["published_at"] is not None
    again = await deal.client.post(f"{deal.path}/publication", headers=officer, json={})
    assert again.status_code == 409
    # Anyone reads the notice, in every region, without signing in; the amount is in it.
    notices = json_of(
        await deal.client.get("/v1/notices", params={"kind": "contract", "limit": 200})
    )
    [notice] = [n for n in notices["items"] if n["procurement_id"] == deal.procurement_id]
    read = json_of(await deal.client.get(f"/v1/notices/{notice['id']}"))
    assert "300000.00" in read["body"] and deal.winner.name in read["body"]
    assert "服务对象名单" in read["body"]

    refused = await deal.client.post(f"{deal.path}/filing", headers=officer, json={})
    assert refused.status_code == 403
    filed = json_of(
        await deal.client.post(f"{deal.path}/filing", headers=finance, json={"note": "已备案"})
    )
    assert filed["filed_at"] is not None and signed["status"] == "signed"
    assert await deal.told("contracts.filed")
    twice = await deal.client.post(f"{deal.path}/filing", headers=finance, json={})
    assert twice.status_code == 409


async def test_an_unsigned_contract_is_neither_published_nor_filed(deal: Deal) -> None:
    officer = await deal.gz.as_("civil_affairs_officer")
    finance = await deal.gz.as_("finance_officer")
    publish = await deal.client.post(f"{deal.path}/publication", headers=officer, json={})
    assert publish.status_code == 409
    file = await deal.client.post(f"{deal.path}/filing", headers=finance, json={})
    assert file.status_code == 409


async def test_every_signing_route_from_another_region_finds_nothing(
    deal: Deal, sz: Tenderer
) -> None:
    await deal.set_terms()
    document_id, digest = await deal.upload_document()
    across = deal.path.replace(f"/tenants/{deal.gz.city}/", f"/tenants/{sz.city}/")
    signature = {"document_id": document_id, "sha256": digest}
    end = {"reason": "拒绝签订", "next_step": "procure_again"}
    calls = [
        ("GET", "signing", "civil_affairs_officer", None),
        ("POST", "signatures/buyer", "civil_affairs_approver", signature),
        ("POST", "refusal", "civil_affairs_approver", end),
        ("POST", "voiding", "finance_approver", end),
        ("POST", "suspensions", "civil_affairs_approver", {"reason": "质疑"}),
        ("POST", f"suspensions/{uuid.uuid4()}/lift", "civil_affairs_approver", {"reason": "x"}),
        ("POST", "suspension-orders", "finance_approver", {"reason": "投诉", "days": 5}),
        ("POST", f"suspension-orders/{uuid.uuid4()}/lift", "finance_approver", {"reason": "x"}),
        ("POST", "publication", "civil_affairs_officer", {}),
        ("POST", "filing", "finance_officer", {}),
        (
            "POST",
            "performance-security",
            "civil_affairs_officer",
            {"form": "cheque", "reference": "ZP-1", "received_on": "2026-12-01"},
        ),
        (
            "POST",
            "performance-security/return",
            "civil_affairs_officer",
            {"returned_on": "2026-12-01"},
        ),
    ]
    for method, tail, role, body in calls:
        response = await deal.client.request(
            method, f"{across}/{tail}", headers=await sz.as_(role), json=body
        )
        assert response.status_code == 404, (tail, response.text)
    # The winner, signing through the other region's path, finds nothing either.
    mine = await deal.client.post(
        f"{across}/signatures/provider", headers=deal.winner.headers, json=signature
    )
    assert mine.status_code == 404
    after = await deal.read()
    assert after["status"] == "drafting" and after["signatures"] == []
    assert after["suspensions"] == []


async def test_a_winner_who_refuses_is_reported_and_the_next_ranked_signs(deal: Deal) -> None:
    await deal.set_terms()
    document_id, digest = await deal.upload_document()
    approver = await deal.gz.as_("civil_affairs_approver")
    refused = json_of(
        await deal.client.post(
            f"{deal.path}/refusal",
            headers=approver,
            json={"reason": "中标人书面表示放弃签订合同", "next_step": "next_ranked"},
        )
    )
    assert refused["status"] == "refused" and refused["end_reason"]
    finance = await deal.gz.admin_db.fetch(
        "SELECT user_id FROM memberships WHERE tenant_id = $1"
        " AND role IN ('finance_officer', 'finance_approver')",
        deal.gz.city,
    )
    assert {r["user_id"] for r in finance} <= set(await deal.told("contracts.refusal_reported"))
    # Nothing more is signed on the refused contract.
    late = await deal.sign("provider", document_id, digest)
    assert late.status_code == 409

    # A new award notice to the next-ranked candidate drafts a new contract, with new 30 days.
    assert await run_award_notified(
        deal.gz.admin_db, deal.gz.sessionmaker, deal.procurement_id, deal.gz.city
    )
    officer = await deal.gz.as_("civil_affairs_officer")
    listed = json_of(
        await deal.client.get(
            f"/v1/tenants/{deal.gz.city}/contracts", headers=officer, params={"limit": 200}
        )
    )
    mine = [c for c in listed["items"] if c["procurement_id"] == deal.procurement_id]
    assert sorted(c["status"] for c in mine) == ["drafting", "refused"]
    [fresh] = [c for c in mine if c["status"] == "drafting"]
    assert fresh["provider_id"] != deal.winner.provider_id
    assert fresh["award_notice_at"] > deal.contract["award_notice_at"]
    [runner_up] = [b for b in deal.others if b.provider_id == fresh["provider_id"]]
    second = Deal(deal.gz, fresh, deal.procurement_id, runner_up, [deal.winner])
    assert (await second.signed())["status"] == "signed"


async def test_procuring_again_returns_the_money_to_the_line(deal: Deal) -> None:
    before = await _line_committed(deal)
    approver = await deal.gz.as_("civil_affairs_approver")
    ended = await deal.client.post(
        f"{deal.path}/refusal",
        headers=approver,
        json={"reason": "中标人逾期未签订合同", "next_step": "procure_again"},
    )
    assert json_of(ended)["status"] == "refused"
    assert await _line_committed(deal) == before - Decimal("360000.00")
    status = await deal.gz.admin_db.fetchval(
        "SELECT status FROM procurements WHERE id = $1", uuid.UUID(deal.procurement_id)
    )
    assert status == "failed"


async def test_finance_voids_an_award_and_the_next_ranked_is_awarded(deal: Deal) -> None:
    finance = await deal.gz.as_("finance_approver")
    voided = json_of(
        await deal.client.post(
            f"{deal.path}/voiding",
            headers=finance,
            json={"reason": "投诉成立，中标结果无效", "next_step": "next_ranked"},
        )
    )
    assert voided["status"] == "void"
    assert await run_award_notified(
        deal.gz.admin_db, deal.gz.sessionmaker, deal.procurement_id, deal.gz.city
    )
    winner = await deal.gz.admin_db.fetchval(
        "SELECT awarded_provider_id FROM procurements WHERE id = $1",
        uuid.UUID(deal.procurement_id),
    )
    assert str(winner) != deal.winner.provider_id
    # A bad next step changes nothing.
    bad = await deal.client.post(
        f"{deal.path}/voiding", headers=finance, json={"reason": "x", "next_step": "later"}
    )
    assert bad.status_code == 422 and error_fields(bad) == {"next_step"}


async def _budget_of_2028_for(deal: Deal, amount: str) -> str:
    """Finance approves a 2028 budget with a line for the contract's project: its next year's
    share. The line's id."""
    base = f"/v1/tenants/{deal.gz.city}"
    officer = await deal.gz.as_("civil_affairs_officer")
    budget = json_of(
        await deal.client.post(
            f"{base}/budgets",
            headers=officer,
            json={"fiscal_year": 2028, "title": "2028年度购买社会工作服务预算"},
        ),
        201,
    )
    line = json_of(
        await deal.client.post(
            f"{base}/budgets/{budget['id']}/lines",
            headers=officer,
            json={
                "project_id": deal.contract["project_id"],
                "amount": amount,
                "sources": [{"source": "general_budget", "amount": amount}],
            },
        ),
        201,
    )
    submitted = await deal.client.post(
        f"{base}/budgets/{budget['id']}/submit", headers=await deal.gz.as_("civil_affairs_approver")
    )
    assert submitted.status_code == 200, submitted.text
    decided = await deal.client.post(
        f"{base}/budgets/{budget['id']}/decision",
        headers=await deal.gz.as_("finance_approver"),
        json={"outcome": "approved", "comment": "同意安排跨年度项目2028年度资金"},
    )
    assert decided.status_code == 200, decided.text
    return str(line["id"])


async def test_a_two_year_contract_commits_each_year_against_its_own_line(deal: Deal) -> None:
    await deal.set_terms(
        period_end="2028-12-31",
        continuing_service_reason="持续性服务，跨年度资金已纳入中期财政规划。",
        year_shares=[
            {"fiscal_year": 2027, "amount": "150000.00"},
            {"fiscal_year": 2028, "amount": "150000.00"},
        ],
        instalments=[
            {"milestone": "2027年度服务", "amount": "150000.00", "due_on": "2027-12-31"},
            {"milestone": "2028年度服务", "amount": "150000.00", "due_on": "2028-12-31"},
        ],
    )
    document_id, digest = await deal.upload_document()
    # No 2028 money yet: no signature, by either side (财政部令第102号).
    early = await deal.sign("provider", document_id, digest)
    assert early.status_code == 409 and early.json()["code"] == "year_not_budgeted"

    line_2028 = await _budget_of_2028_for(deal, "200000.00")
    # One line a year: a second 2028 budget does not take the project again.
    officer = await deal.gz.as_("civil_affairs_officer")
    base = f"/v1/tenants/{deal.gz.city}/budgets"
    other = json_of(
        await deal.client.post(
            base, headers=officer, json={"fiscal_year": 2028, "title": "2028年度追加预算"}
        ),
        201,
    )
    twice = await deal.client.post(
        f"{base}/{other['id']}/lines",
        headers=officer,
        json={
            "project_id": deal.contract["project_id"],
            "amount": "1000.00",
            "sources": [{"source": "general_budget", "amount": "1000.00"}],
        },
    )
    assert twice.status_code == 422 and twice.json()["code"] == "project_unavailable"
    first_before = await _line_committed(deal)
    assert (await deal.sign("provider", document_id, digest)).status_code == 200
    signed = json_of(await deal.sign("buyer", document_id, digest))
    assert signed["status"] == "signed"
    shares = {y["fiscal_year"]: y for y in signed["year_shares"]}
    assert shares[2027]["line_id"] == deal.contract["budget_line_id"]
    assert shares[2028]["line_id"] == line_2028
    # 2027 keeps 150,000.00 of the procurement's 360,000.00; 2028's line holds its own share.
    assert await _line_committed(deal) == first_before - Decimal("210000.00")
    committed_2028 = await deal.gz.admin_db.fetchval(
        "SELECT committed_amount FROM budget_lines WHERE id = $1", uuid.UUID(line_2028)
    )
    assert committed_2028 == Decimal("150000.00")


async def test_a_suspension_after_signing_suspends_performance_and_its_payments(
    deal: Deal,
) -> None:
    await deal.signed()
    approver = await deal.gz.as_("civil_affairs_approver")
    suspension = json_of(
        await deal.client.post(
            f"{deal.path}/suspensions",
            headers=approver,
            json={"reason": "投诉处理期间中止履行合同"},
        ),
        201,
    )
    evidence = await upload(
        deal.client,
        deal.winner.headers,
        pdf(b"report " + uuid.uuid4().bytes),
        object_type="contract",
        object_id=deal.contract["id"],
        tenant=deal.gz.city,
    )
    ask = {
        "instalment_seq": 1,
        "amount": "90000.00",
        "evidence_document_ids": [json_of(evidence, 201)["id"]],
    }
    refused = await deal.client.post(f"{deal.path}/payments", headers=deal.winner.headers, json=ask)
    assert refused.status_code == 409 and refused.json()["code"] == "contract_suspended"
    lift = f"{deal.path}/suspensions/{suspension['id']}/lift"
    assert json_of(await deal.client.post(lift, headers=approver, json={"reason": "恢复履行"}))
    asked = await deal.client.post(f"{deal.path}/payments", headers=deal.winner.headers, json=ask)
    assert asked.status_code == 201, asked.text


async def test_the_performance_security_is_received_in_no_cash_and_returned(deal: Deal) -> None:
    officer = await deal.gz.as_("civil_affairs_officer")
    url = f"{deal.path}/performance-security"
    today = workdays.local_date(datetime.now(UTC)).isoformat()
    body = {"form": "bank_guarantee", "reference": "BG2027-0001", "received_on": today}
    early = await deal.client.post(url, headers=officer, json=body)
    assert early.status_code == 409  # not signed yet
    await deal.set_terms(security_return_terms="服务期满验收合格后5个工作日内无息退还。")
    document_id, digest = await deal.upload_document()
    assert (await deal.sign("provider", document_id, digest)).status_code == 200
    assert (await deal.sign("buyer", document_id, digest)).status_code == 200

    cash = await deal.client.post(url, headers=officer, json={**body, "form": "cash"})
    assert cash.status_code == 422 and error_fields(cash) == {"form"}
    ahead = await deal.client.post(url, headers=officer, json={**body, "received_on": "2099-01-01"})
    assert ahead.status_code == 422 and error_fields(ahead) == {"received_on"}
    held = json_of(await deal.client.post(url, headers=officer, json=body))
    assert (held["security_form"], held["security_received_on"]) == ("bank_guarantee", today)
    assert held["security_return_terms"].startswith("服务期满")
    assert (await deal.client.post(url, headers=officer, json=body)).status_code == 409
    back = json_of(
        await deal.client.post(
            f"{url}/return", headers=officer, json={"returned_on": today, "note": "已退还保函原件"}
        )
    )
    assert back["security_returned_on"] == today


async def test_a_bar_in_force_is_shown_and_refuses_the_signature(deal: Deal) -> None:
    await deal.set_terms()
    document_id, digest = await deal.upload_document()
    # The city bars the winner after the award notice (a confirmed disqualification).
    await confirmed(deal.client, deal.gz.login, deal.winner.provider_id, "province")
    officer = await deal.gz.as_("civil_affairs_officer")
    shown = json_of(await deal.client.get(f"{deal.path}/signing", headers=officer))
    assert not shown["may_sign"] and [b["source_tenant"] for b in shown["bars"]] == [deal.gz.city]
    for party in ("provider", "buyer"):
        refused = await deal.sign(party, document_id, digest)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "provider_disqualified"
    assert (await deal.read())["signatures"] == []
