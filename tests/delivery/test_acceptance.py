"""结项验收 through the API: a signed contract's acceptance plan, its panel with accounts scoped
to one acceptance, the members' opinions, the conclusion, the report both sides sign, its
publication and what a pass and a fail do — the final instalment, the project, rectifications
and a re-acceptance, a further fail as the contract's breach."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from services.delivery import rectifications
from services.kit.audit import Actor
from services.kit.db import transaction
from tests.support.acceptance import new_round, plan, plan_body, today
from tests.support.client import error_fields, inbox, json_of
from tests.support.contracts import Deal, single_source_deal
from tests.support.demo import SZ, city_login
from tests.support.documents import pdf, upload
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
async def deal(gz: Tenderer) -> Deal:
    deal = await single_source_deal(gz, price="300000")
    await deal.signed()
    return deal


async def _final_instalment_confirmation(deal: Deal) -> tuple[str, int, Any]:
    """The provider asks for the final instalment; civil affairs tries to confirm it."""
    evidence = await upload(
        deal.client,
        deal.winner.headers,
        pdf(b"final report " + uuid.uuid4().bytes),
        object_type="contract",
        object_id=deal.contract["id"],
        filename="结项报告.pdf",
        tenant=deal.gz.city,
    )
    final = (await deal.read())["instalments"][-1]
    assert final["final"] is True
    asked = await deal.client.post(
        f"{deal.path}/payments",
        headers=deal.winner.headers,
        json={
            "instalment_seq": final["seq"],
            "amount": final["amount"],
            "evidence_document_ids": [json_of(evidence, 201)["id"]],
        },
    )
    payment = json_of(asked, 201)["id"]
    confirmed = await deal.client.post(
        f"{deal.path}/payments/{payment}/confirmation",
        headers=await deal.gz.as_("civil_affairs_officer"),
        json={},
    )
    return payment, confirmed.status_code, confirmed.json()


async def _accepted_at(deal: Deal) -> str | None:
    """When the contract passed its acceptance, as the payments show it."""
    shown = await deal.client.get(
        f"{deal.path}/payments", headers=await deal.gz.as_("civil_affairs_officer")
    )
    accepted: str | None = json_of(shown)["accepted_at"]
    return accepted


async def _project_status(deal: Deal) -> str:
    status: str = await deal.gz.admin_db.fetchval(
        "SELECT status FROM projects WHERE tenant_id = $1 AND id = $2",
        deal.gz.city,
        uuid.UUID((await deal.read())["project_id"]),
    )
    return status


async def _close_rectifications(deal: Deal, acceptance_id: str) -> None:
    """The provider answers each rectification the round ordered; civil affairs closes it."""
    admin_db = deal.gz.admin_db
    provider_user = await admin_db.fetchval(
        "SELECT id FROM users WHERE provider_id = $1 ORDER BY created_at LIMIT 1",
        uuid.UUID(deal.winner.provider_id),
    )
    officer = await admin_db.fetchval(
        "SELECT id FROM users WHERE email = $1", city_login("civil_affairs_officer", deal.gz.city)
    )
    provider = Actor(provider_user, deal.gz.city, provider_id=uuid.UUID(deal.winner.provider_id))
    buyer = Actor(officer, deal.gz.city)
    async with transaction(deal.gz.sessionmaker, deal.gz.city) as session:
        ordered = await rectifications.of_contract(
            session,
            deal.gz.city,
            uuid.UUID(deal.contract["id"]),
            source_id=uuid.UUID(acceptance_id),
        )
        for r in ordered:
            await rectifications.answer(session, provider, r.id, "已按合同补足服务并完善档案。")
            await rectifications.close(session, buyer, r.id, "复查合格，予以销号。")


async def test_a_pass_publishes_releases_the_final_instalment_and_completes(deal: Deal) -> None:
    # The final instalment waits for the acceptance.
    payment, status, refused = await _final_instalment_confirmation(deal)
    assert status == 409 and refused["code"] == "awaiting_acceptance"

    accepted = await new_round(deal)
    body = accepted.body
    assert body["round"] == 1 and body["status"] == "open"
    sources = [s["source"] for s in body["standards"]]
    # The contract's quality requirements (and targets) first, the buyer's addition last.
    assert sources[-1] == "buyer" and "contract" in sources
    assert any(s["name"] == "合同约定的质量要求" for s in body["standards"])

    buyer = await accepted.seat("buyer")
    recipient = await accepted.seat("recipient", name="服务对象家长代表甲")
    third = await accepted.seat("third_party", name="第三方评估专家乙")
    # Accounts opened for the acceptance get a one-time password, once; the buyer's own not.
    assert buyer.password is None and recipient.password and third.password
    stored = await deal.gz.admin_db.fetchval(
        "SELECT password_hash FROM users WHERE id = $1", uuid.UUID(recipient.user_id)
    )
    assert recipient.password not in stored

    # Not everyone has spoken: no conclusion yet.
    json_of(await accepted.opine(buyer))
    early = await accepted.conclude()
    assert early.status_code == 409 and early.json()["code"] == "acceptance_opinions_missing"
    json_of(await accepted.opine(recipient))
    shown = json_of(await accepted.opine(third))
    assert shown["panel"] == {"buyer": 1, "recipient": 1, "third_party": 1, "recorded": 3}
    assert shown["my_opinion"]["scores"][0]["score"] == 90
    # Members judge on their own: no tallies of the others before the conclusion.
    assert shown["tallies"] == []

    # A member reads the acceptance: counts, not names; the panel by name is the buyer's.
    member_headers = await accepted.headers_of(recipient)
    seen = await deal.client.get(accepted.path, headers=member_headers)
    assert seen.status_code == 200 and "服务对象家长代表甲" not in seen.text
    names = await deal.client.get(f"{accepted.path}/panel", headers=member_headers)
    assert names.status_code == 403
    panel = json_of(
        await deal.client.get(f"{accepted.path}/panel", headers=await accepted.officer())
    )
    assert {m["display_name"] for m in panel["members"]} >= {
        "服务对象家长代表甲",
        "第三方评估专家乙",
    }
    assert all(m["opinion"] is not None for m in panel["members"])
    reads = await deal.gz.admin_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE object_id = $1 AND action = 'acceptance.panel_read'",
        accepted.id,
    )
    assert reads == 1

    concluded = json_of(await accepted.conclude())
    assert concluded["status"] == "concluded" and concluded["result"] == "pass"
    assert concluded["tallies"][0] == {
        "seq": 1,
        "passed": 3,
        "failed": 0,
        "mean_score": "90.0",
    }
    # Opinions are closed once concluded.
    late = await accepted.opine(recipient)
    assert late.status_code == 409 and late.json()["code"] == "acceptance_wrong_state"

    document_id, digest = await accepted.report()
    # A signature of another version than the current one is refused, naming sha256.
    wrong = await accepted.sign("provider", document_id, "0" * 64)
    assert wrong.status_code == 409 and wrong.json()["code"] == "document_changed"
    one = json_of(await accepted.sign("provider", document_id, digest))
    assert one["status"] == "concluded" and [s["party"] for s in one["signatures"]] == ["provider"]
    again = await accepted.sign("provider", document_id, digest)
    assert again.status_code == 409 and again.json()["code"] == "already_signed"
    assert (await _accepted_at(deal)) is None

    done = json_of(await accepted.sign("buyer", document_id, digest))
    assert done["status"] == "published" and done["signed_sha256"] == digest
    assert (await _accepted_at(deal)) is not None
    assert await _project_status(deal) == "completed"

    # Published for everyone, naming the provider and the result, and no member.
    notice = json_of(await deal.client.get(f"/v1/notices/{done['notice_id']}"))
    assert notice["kind"] == "acceptance"
    assert deal.contract["provider_name"] in notice["body"] and "合格" in notice["body"]
    for member in accepted.members:
        assert member.display_name not in notice["body"] + str(notice["data"])

    # The provider's administrators were told, by the platform's own inbox.
    told = await inbox(deal.client, deal.winner.headers, "delivery.acceptance_published")
    assert [n["data"]["acceptance_id"] for n in told] == [accepted.id]
    for member in accepted.members:
        assert member.display_name not in told[0]["body"]

    # The final instalment now goes through.
    confirmed = await deal.client.post(
        f"{deal.path}/payments/{payment}/confirmation",
        headers=await deal.gz.as_("civil_affairs_officer"),
        json={},
    )
    assert json_of(confirmed)["status"] != "requested"
    paid = await deal.client.post(
        f"{deal.path}/payments/{payment}/paid",
        headers=await deal.gz.as_("civil_affairs_officer"),
        json={"paid_on": today(), "voucher": "GK2027-YS0001"},
    )
    assert json_of(paid)["status"] == "paid"

    # Accepted once: no further round.
    after = await plan(deal)
    assert after.status_code == 409 and after.json()["code"] == "contract_not_acceptable"


async def test_a_fail_orders_rectifications_then_a_re_acceptance(deal: Deal) -> None:
    first = await new_round(deal)
    await first.full_panel(passed=False)
    failed = tuple(first.seqs[:2])
    # A fail names the days to put it right.
    unnamed = await first.conclude(failed=failed)
    assert unnamed.status_code == 422 and error_fields(unnamed) == {"rectify_within_days"}
    concluded = json_of(await first.conclude(failed=failed, days=10))
    assert concluded["result"] == "fail"
    # Not a second round while one is under way.
    busy = await plan(deal)
    assert busy.status_code == 409 and busy.json()["code"] == "contract_not_acceptable"

    published = await first.signed_by_both()
    assert published["status"] == "published" and published["breach_liability"] is None
    ordered = await deal.gz.admin_db.fetch(
        "SELECT status, due_on, finding FROM rectifications WHERE source_kind = 'acceptance'"
        " AND source_id = $1",
        uuid.UUID(first.id),
    )
    assert len(ordered) == len(failed) and {r["status"] for r in ordered} == {"open"}
    # Ten days from the day after the report took effect, at least.
    assert all(r["due_on"] >= date.fromisoformat(today()) + timedelta(days=10) for r in ordered)
    assert (await _accepted_at(deal)) is None
    assert await _project_status(deal) == "contracted"
    notice = json_of(await deal.client.get(f"/v1/notices/{published['notice_id']}"))
    assert "不合格" in notice["body"]

    refused = await plan(deal)
    assert refused.status_code == 409 and refused.json()["code"] == "rectifications_open"
    assert len(refused.json()["rectification_ids"]) == len(failed)

    await _close_rectifications(deal, first.id)
    # The re-acceptance fails again: the contract's liability for breach, shown.
    second = await new_round(deal)
    assert second.body["round"] == 2
    await second.full_panel(passed=False)
    json_of(await second.conclude(failed=(second.seqs[0],), days=5))
    breach = await second.signed_by_both()
    assert breach["round"] == 2
    assert breach["breach_liability"] == (await deal.read())["breach_liability"]
    assert breach["breach_liability"]
    told = await inbox(deal.client, deal.winner.headers, "delivery.acceptance_published")
    assert breach["breach_liability"] in told[0]["body"]

    await _close_rectifications(deal, second.id)
    third = await new_round(deal)
    assert third.body["round"] == 3
    await third.full_panel()
    json_of(await third.conclude())
    passed = await third.signed_by_both()
    assert passed["result"] == "pass" and passed["breach_liability"] is None
    assert (await _accepted_at(deal)) is not None
    rounds = await deal.client.get(
        f"{deal.path}/acceptances", headers=await deal.gz.as_("finance_officer")
    )
    assert [(a["round"], a["result"]) for a in rounds.json()] == [
        (1, "fail"),
        (2, "fail"),
        (3, "pass"),
    ]
    # Each result is a fact of the provider's credit record; the second fail also a breach.
    ids = {a["round"]: a["id"] for a in rounds.json()}
    mine = await deal.client.get("/v1/me/credit-facts", headers=deal.winner.headers)
    facts = sorted(
        (f["kind"], f["source_id"]) for f in mine.json() if f["source_kind"] == "acceptance"
    )
    assert facts == sorted(
        [
            ("acceptance_failed", ids[1]),
            ("acceptance_failed", ids[2]),
            ("breach", ids[2]),
            ("acceptance_passed", ids[3]),
        ]
    )


async def test_a_panel_member_reaches_their_acceptance_and_nothing_else(gz: Tenderer) -> None:
    deals = [await single_source_deal(gz, price="200000") for _ in range(2)]
    for d in deals:
        await d.signed()
    mine, other = [await new_round(d) for d in deals]
    member = await mine.seat("third_party")
    headers = await mine.headers_of(member)
    assert json_of(await gz.client.get(mine.path, headers=headers))["id"] == mine.id
    json_of(await mine.opine(member))
    # The other acceptance, its opinion, the contracts, the same id under another region.
    for method, url, body in (
        ("GET", other.path, None),
        ("PUT", f"{other.path}/opinion", {"opinion": "x", "scores": []}),
        ("GET", f"{deals[1].path}/acceptances", None),
        ("GET", f"{mine.path}/panel", None),
        ("POST", f"{mine.path}/conclusion", {"findings": [], "summary": "x"}),
        ("GET", f"/v1/tenants/{gz.city}/contracts", None),
        ("GET", f"/v1/tenants/{SZ}/acceptances/{mine.id}", None),
    ):
        response = await gz.client.request(method, url, headers=headers, json=body)
        assert response.status_code in (403, 404), (url, response.text)
    # A recorded member of another panel is no member here either: the buyer sees one on it.
    assert (await other.read())["panel"]["recorded"] == 0


async def test_the_recipients_opinion_is_required(deal: Deal) -> None:
    accepted = await new_round(deal)
    for kind in ("buyer", "third_party"):
        json_of(await accepted.opine(await accepted.seat(kind)))
    blocked = await accepted.conclude()
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "acceptance_panel_incomplete"
    assert blocked.json()["missing"] == ["recipient"]
    assert (await accepted.read())["status"] == "open"
    json_of(await accepted.opine(await accepted.seat("recipient")))
    assert json_of(await accepted.conclude())["status"] == "concluded"


async def test_another_region_and_other_providers_see_nothing(deal: Deal, sz: Tenderer) -> None:
    accepted = await new_round(deal)
    stranger = sz.client
    sz_officer = await sz.as_("civil_affairs_officer")
    missing = await stranger.get(f"/v1/tenants/{SZ}/acceptances/{uuid.uuid4()}", headers=sz_officer)
    assert missing.status_code == 404
    here = f"/v1/tenants/{SZ}/acceptances/{accepted.id}"
    contract = f"/v1/tenants/{SZ}/contracts/{deal.contract['id']}/acceptances"
    for method, url, body in (
        ("GET", here, None),
        ("GET", f"{here}/panel", None),
        (
            "POST",
            f"{here}/panel",
            {"kind": "third_party", "login": "13800000000", "display_name": "x"},
        ),
        (
            "PUT",
            f"{here}/opinion",
            {"opinion": "x", "scores": [{"seq": 1, "passed": True, "score": 1}]},
        ),
        (
            "POST",
            f"{here}/conclusion",
            {"findings": [{"seq": 1, "passed": True, "reason": "x"}], "summary": "x"},
        ),
        ("GET", contract, None),
        ("POST", contract, plan_body()),
    ):
        response = await stranger.request(method, url, headers=sz_officer, json=body)
        assert response.status_code == 404, (url, response.text)
        assert response.json()["code"] == missing.json()["code"]
    signer = await sz.as_("civil_affairs_approver")
    signature = {"document_id": str(uuid.uuid4()), "sha256": "0" * 64}
    response = await stranger.post(f"{here}/signatures/buyer", headers=signer, json=signature)
    assert response.status_code == 404
    unseat = await stranger.delete(f"{here}/panel/{uuid.uuid4()}", headers=sz_officer)
    assert unseat.status_code == 404
    # The contract's own provider, under the other region's code: no such acceptance there.
    response = await stranger.post(
        f"{here}/signatures/provider", headers=deal.winner.headers, json=signature
    )
    assert response.status_code == 404
    # Another provider registered here: not its contract, so no acceptance of its own.
    other = deal.others[0].headers
    assert (await deal.client.get(accepted.path, headers=other)).status_code == 404
    own = await deal.client.get(accepted.path, headers=deal.winner.headers)
    assert json_of(own)["id"] == accepted.id
    listed = await deal.client.get(f"{deal.path}/acceptances", headers=other)
    assert listed.status_code == 404
    signed = await deal.client.post(
        f"{accepted.path}/signatures/provider", headers=other, json=signature
    )
    assert signed.status_code == 404
    # Documents: the contract's provider attaches to its acceptance, another provider not.
    for headers, status in ((other, 422), (deal.winner.headers, 201)):
        attached = await upload(
            deal.client,
            headers,
            pdf(b"provider note " + uuid.uuid4().bytes),
            object_type="acceptance",
            object_id=accepted.id,
            filename="说明.pdf",
            tenant=deal.gz.city,
        )
        assert attached.status_code == status, attached.text
    # Nothing changed.
    assert (await accepted.read())["panel"]["buyer"] == 0


async def test_denied_roles(deal: Deal) -> None:
    accepted = await new_round(deal)
    for role, method, url in (
        ("finance_officer", "POST", f"{deal.path}/acceptances"),
        ("partner_department", "GET", accepted.path),
        ("civil_affairs_officer", "POST", f"{accepted.path}/signatures/buyer"),
        ("finance_officer", "GET", f"{accepted.path}/panel"),
    ):
        response = await deal.client.request(
            method, url, headers=await deal.gz.as_(role), json=plan_body()
        )
        assert response.status_code == 403, (role, url, response.text)
    # A civil-affairs user not on this panel records no opinion here.
    approver = await deal.gz.as_("civil_affairs_approver")
    scores = [{"seq": s, "passed": True, "score": 80} for s in accepted.seqs]
    response = await deal.client.put(
        f"{accepted.path}/opinion", headers=approver, json={"opinion": "好", "scores": scores}
    )
    assert response.status_code == 403 and response.json()["code"] == "not_on_panel"
    # The provider's staff read, but do not sign.
    staff_signs = await deal.client.post(
        f"{accepted.path}/signatures/provider",
        headers=await deal.gz.login("staff@sunshine.demo.org.cn"),
        json={"document_id": str(uuid.uuid4()), "sha256": "0" * 64},
    )
    assert staff_signs.status_code == 403


async def test_bad_input_is_422_naming_the_field_and_changes_nothing(deal: Deal) -> None:
    yesterday = (date.fromisoformat(today()) - timedelta(days=1)).isoformat()
    for change, field in (
        ({"planned_on": yesterday}, "planned_on"),
        ({"method": ""}, "method"),
        ({"standards": [{"name": "", "requirement": "x"}]}, "standards[0].name"),
        ({"standards": [{"requirement": "x"}]}, "standards[0].name"),
        ({"surprise": 1}, "surprise"),
    ):
        response = await plan(deal, **change)
        assert response.status_code == 422, (change, response.text)
        assert error_fields(response) == {field}, (change, response.text)
    officer = await deal.gz.as_("civil_affairs_officer")
    listed = await deal.client.get(f"{deal.path}/acceptances", headers=officer)
    assert listed.status_code == 200 and listed.json() == []

    accepted = await new_round(deal)
    for body, field in (
        ({"kind": "third_party", "login": "not-a-login", "display_name": "某"}, "login"),
        ({"kind": "recipient", "login": "13912345678"}, "display_name"),
        ({"kind": "chair", "login": "13912345678", "display_name": "某"}, "kind"),
        # A provider's account, and a government user of the region, are not outside members.
        (
            {"kind": "third_party", "login": "admin@sunshine.demo.org.cn", "display_name": "某"},
            "login",
        ),
        (
            {"kind": "recipient", "login": city_login("finance_officer"), "display_name": "某"},
            "login",
        ),
        # The buyer's representative is a civil-affairs user of the region.
        ({"kind": "buyer", "login": city_login("finance_officer")}, "login"),
    ):
        response = await deal.client.post(f"{accepted.path}/panel", headers=officer, json=body)
        assert response.status_code == 422, (body, response.text)
        assert error_fields(response) == {field}, (body, response.text)
    member = await accepted.seat("third_party")
    twice = await deal.client.post(
        f"{accepted.path}/panel",
        headers=officer,
        json={"kind": "third_party", "login": member.login, "display_name": "又一次"},
    )
    assert twice.status_code == 409 and twice.json()["code"] == "already_on_panel"

    seqs = accepted.seqs
    good = [{"seq": s, "passed": True, "score": 80} for s in seqs]
    for scores, field in (
        ([{**good[0], "score": 101}, *good[1:]], "scores[0].score"),
        ([{**good[0], "score": -1}, *good[1:]], "scores[0].score"),
        ([{**good[0], "seq": 999}, *good[1:]], "scores[0].seq"),
        ([*good, good[0]], f"scores[{len(good)}].seq"),
        (good[1:], "scores"),
    ):
        response = await accepted.opine(member, scores=scores)
        assert response.status_code == 422, (scores, response.text)
        assert error_fields(response) == {field}, (scores, response.text)
    shown = await accepted.read()
    assert shown["panel"] == {"buyer": 0, "recipient": 0, "third_party": 1, "recorded": 0}

    conclusion = {"findings": [{"seq": 999, "passed": True, "reason": "x"}], "summary": "x"}
    response = await deal.client.post(
        f"{accepted.path}/conclusion", headers=officer, json=conclusion
    )
    # The panel is checked first: nothing to conclude yet.
    assert response.status_code == 409
    assert (await accepted.read())["status"] == "open"


async def test_a_member_unseated_before_the_conclusion_loses_the_way_in(deal: Deal) -> None:
    accepted = await new_round(deal)
    wrong = await accepted.seat("recipient", name="误录成员")
    json_of(await accepted.opine(wrong))
    officer = await accepted.officer()
    unseat = f"{accepted.path}/panel/{wrong.user_id}"
    assert (await deal.client.delete(unseat, headers=officer)).status_code == 204
    assert (await deal.client.delete(unseat, headers=officer)).status_code == 404
    shown = await accepted.read()
    assert shown["panel"] == {"buyer": 0, "recipient": 0, "third_party": 0, "recorded": 0}
    grants = await deal.gz.admin_db.fetchval(
        "SELECT count(*) FROM object_grants WHERE user_id = $1", uuid.UUID(wrong.user_id)
    )
    assert grants == 0
    refused = await accepted.opine(wrong)
    assert refused.status_code == 403
    # Seated again later, the same account is reused (no new password).
    again = await accepted.seat("recipient", login=wrong.login, name="服务对象代表丙")
    assert again.user_id == wrong.user_id and again.password is None
    again.password = wrong.password  # the account's, from when it was opened
    # Not after the conclusion: the panel is then on record.
    for kind in ("buyer", "third_party"):
        json_of(await accepted.opine(await accepted.seat(kind)))
    json_of(await accepted.opine(again))
    json_of(await accepted.conclude())
    late = await deal.client.delete(f"{accepted.path}/panel/{again.user_id}", headers=officer)
    assert late.status_code == 409 and late.json()["code"] == "acceptance_wrong_state"
