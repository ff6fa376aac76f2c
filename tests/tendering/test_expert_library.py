"""Experts come from the province's library, at random (实施条例 art. 39, 财政部令第87号
arts. 47–48): a city's buyer adds none of its own; a draw takes only the province's available
and untied experts and is redone from its seed; a declined expert is replaced by a recorded
draw; the buyer's representatives stay within one third; the buyer chooses experts only for a
technically complex project the library cannot serve, with consent; a province drawing in a
system of its own has the result recorded; another region finds nothing."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from tests.support.accounts import grant, open_account
from tests.support.client import Client, Login, error_fields, json_of
from tests.support.demo import GD, GZ, ROLE_LOGINS, SZ
from tests.support.tendering import (
    PASSWORD,
    PROVINCE_FINANCE,
    Tenderer,
    assert_rule_broken,
)

pytestmark = pytest.mark.usefixtures("demo")

CONSENT = {"by": "广州市民政局（主管预算单位）", "document_number": "穗民函〔2026〕88号"}


def _speciality(name: str) -> str:
    # A speciality of this run's own: other tests' experts never join these pools.
    return f"{name}_{uuid.uuid4().hex[:6]}"


async def _user_id(client: Client, headers: dict[str, str]) -> str:
    return str(json_of(await client.get("/v1/me", headers=headers))["user"]["id"])


async def _draws(gz: Tenderer, pid: str) -> list[dict[str, Any]]:
    response = await gz.client.get(
        f"{gz.base}/{pid}/committee/draws", headers=await gz.as_("civil_affairs_officer")
    )
    assert response.status_code == 200, response.text
    draws: list[dict[str, Any]] = response.json()
    return draws


async def _another_provinces_expert(client: Client, login: Login, speciality: str) -> str:
    """An expert in the library of a province of this test's own (not 广东)."""
    platform = await login(ROLE_LOGINS["platform_admin"])
    for prefix in random.sample(range(60, 99), 39):
        code = f"{prefix}0000"
        made = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"外省{prefix}"}
        )
        if made.status_code == 201:
            break
    else:
        raise AssertionError("no free province code")
    user_id, expert = await open_account(client, platform, PASSWORD, tenant=code, prefix="expert")
    await grant(client, platform, code, expert)
    _, officer = await open_account(client, platform, PASSWORD, tenant=code, prefix="finance")
    await grant(client, platform, code, officer, role="finance_officer")
    pooled = await client.put(
        f"/v1/tenants/{code}/experts/{user_id}",
        headers=await login(officer, PASSWORD),
        json={"user_id": user_id, "specialities": [speciality], "employer": "外省大学"},
    )
    assert pooled.status_code == 200, pooled.text
    return user_id


async def test_a_citys_buyer_cannot_add_experts_of_its_own(
    client: Client, gz: Tenderer, login: Login
) -> None:
    user_id, _ = await gz.expert()
    body = {"user_id": user_id, "specialities": ["social_work"], "employer": "广州某大学"}
    url = f"/v1/tenants/{GZ}/experts/{user_id}"
    for role in ("civil_affairs_officer", "civil_affairs_approver", "tenant_admin"):
        refused = await client.put(url, headers=await gz.as_(role), json=body)
        assert refused.status_code == 403, (role, refused.text)
    # A city's finance bureau keeps no library either: there is none in a city.
    for role in ("finance_officer", "finance_approver"):
        missing = await client.put(url, headers=await gz.as_(role), json=body)
        assert missing.status_code == 404, (role, missing.text)
        listed = await client.get(f"/v1/tenants/{GZ}/experts", headers=await gz.as_(role))
        assert listed.status_code == 404
    # Nor may the buyer put an expert of its choice on a committee of an ordinary project.
    pid, _ = await gz.opened()
    speciality = _speciality("ordinary")
    for _ in range(5):
        await gz.expert(speciality=speciality)
    city_expert = await _user_id(client, await gz.as_("expert"))
    chosen = await gz.draw_committee(pid, 5, speciality, appointed_expert_ids=[city_expert])
    assert chosen.status_code == 422 and chosen.json()["code"] == "expert_appointment_refused"
    assert error_fields(chosen) == {"appointed_expert_ids"}
    # The province's finance bureau reads its library: the entry as put.
    library = await client.get(f"/v1/tenants/{GD}/experts", headers=await login(PROVINCE_FINANCE))
    assert library.status_code == 200
    assert any(e["user_id"] == user_id for e in library.json())


async def test_a_draw_takes_the_provinces_available_untied_experts_and_is_redone_from_its_seed(
    client: Client, gz: Tenderer, login: Login, admin_db: asyncpg.Connection
) -> None:
    pid, bidders = await gz.opened()
    speciality = _speciality("child_welfare")
    good = [await gz.expert(speciality=speciality) for _ in range(7)]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    away, _ = await gz.expert(
        speciality=speciality,
        unavailable_from=(today - timedelta(days=1)).isoformat(),
        unavailable_to=(today + timedelta(days=2)).isoformat(),
    )
    # Back from leave yesterday: drawn like anyone.
    back, back_headers = await gz.expert(
        speciality=speciality,
        unavailable_from=(today - timedelta(days=9)).isoformat(),
        unavailable_to=(today - timedelta(days=1)).isoformat(),
    )
    uscc = await admin_db.fetchval(
        "SELECT uscc FROM providers WHERE id = $1", uuid.UUID(bidders[0].provider_id)
    )
    by_uscc, _ = await gz.expert(speciality=speciality, affiliated_usccs=[uscc])
    avoiding, _ = await gz.expert(
        speciality=speciality,
        avoidances=[{"provider_id": bidders[1].provider_id, "reason": "曾任该机构理事"}],
    )
    colleague, _ = await gz.expert(speciality=speciality, employer=bidders[2].name)
    foreign = await _another_provinces_expert(client, login, speciality)

    drawn = await gz.draw_committee(pid, 5, speciality)
    assert drawn.status_code == 201, drawn.text
    seated = {m["user_id"] for m in drawn.json()["members"]}
    [draw] = await _draws(gz, pid)
    eligible = sorted([u for u, _ in good] + [back])
    assert draw["kind"] == "random" and draw["pool"] == eligible
    assert not {away, by_uscc, avoiding, colleague, foreign} & (seated | set(draw["pool"]))
    # Anyone can redo the draw from the recorded seed and pool.
    redo = random.Random(draw["seed"]).sample(draw["pool"], 5)
    assert redo == draw["drawn"] and set(redo) == seated
    assert drawn.json()["seed"] == draw["seed"]

    # A seat lets the expert take part on this procurement; a library expert not drawn
    # has no business here.
    headers_of = {u: h for u, h in good} | {back: back_headers}
    sitting = next(iter(seated))
    own = await client.get(f"{gz.base}/{pid}/scores", headers=headers_of[sitting])
    assert own.status_code == 200 and own.json() == []
    bystander = next(u for u in headers_of if u not in seated)
    outside = await client.get(f"{gz.base}/{pid}/scores", headers=headers_of[bystander])
    assert outside.status_code == 403


async def test_a_declined_expert_is_replaced_by_a_recorded_draw(
    client: Client, gz: Tenderer
) -> None:
    pid, _ = await gz.opened()
    speciality = _speciality("elderly_care")
    experts = dict([await gz.expert(speciality=speciality) for _ in range(6)])
    drawn = json_of(await gz.draw_committee(pid, 5, speciality), 201)
    seated = [m["user_id"] for m in drawn["members"]]
    [spare] = set(experts) - set(seated)
    declined = seated[0]
    officer = await gz.as_("civil_affairs_officer")
    url = f"{gz.base}/{pid}/committee/replacements"

    replaced = await client.post(
        url, headers=officer, json={"user_id": declined, "reason": "declined"}
    )
    assert replaced.status_code == 201, replaced.text
    await gz.seated(replaced)
    now_seated = {m["user_id"] for m in replaced.json()["members"]}
    assert now_seated == (set(seated) - {declined}) | {spare}
    first, second = await _draws(gz, pid)
    assert first["kind"] == "random"
    assert second["kind"] == "replacement" and second["replaced_user_id"] == declined
    assert second["replaced_reason"] == "declined" and second["drawn"] == [spare]
    assert second["pool"] == [spare] and second["speciality"] == speciality
    assert random.Random(second["seed"]).sample(second["pool"], 1) == [spare]
    # The newcomer takes part; the one who declined sits no more.
    assert (await client.get(f"{gz.base}/{pid}/scores", headers=experts[spare])).status_code == 200
    gone = await client.get(f"{gz.base}/{pid}/scores", headers=experts[declined])
    assert gone.status_code in (403, 404), gone.text

    # Who is not on the committee cannot be replaced; nobody is left to draw.
    again = await client.post(url, headers=officer, json={"user_id": declined, "reason": "absent"})
    assert again.status_code == 422 and error_fields(again) == {"user_id"}
    empty = await client.post(url, headers=officer, json={"user_id": spare, "reason": "absent"})
    assert empty.status_code == 409 and empty.json()["code"] == "not_enough_experts"
    bad = await client.post(url, headers=officer, json={"user_id": spare, "reason": "tired"})
    assert bad.status_code == 422 and error_fields(bad) == {"reason"}


async def test_buyer_representatives_above_one_third_are_refused(
    client: Client, gz: Tenderer
) -> None:
    pid, _ = await gz.opened()
    speciality = _speciality("community")
    for _ in range(4):
        await gz.expert(speciality=speciality)
    officer = await _user_id(client, await gz.as_("civil_affairs_officer"))
    approver = await _user_id(client, await gz.as_("civil_affairs_approver"))
    # 3 experts and 2 representatives: 2 of 5 is more than a third.
    too_many = await gz.draw_committee(
        pid, 3, speciality, buyer_representative_ids=[officer, approver]
    )
    assert_rule_broken(too_many, "committee_min_expert_share")
    assert error_fields(too_many) == {"buyer_representative_ids"}
    assert await _draws(gz, pid) == []
    # 4 experts and 1 representative: within the third.
    fine = await gz.draw_committee(pid, 4, speciality, buyer_representative_ids=[approver])
    assert fine.status_code == 201, fine.text
    kinds = sorted(m["kind"] for m in fine.json()["members"])
    assert kinds == ["buyer_representative"] + ["expert"] * 4


async def test_the_buyer_chooses_experts_only_where_the_library_cannot_serve_with_consent(
    client: Client, gz: Tenderer
) -> None:
    # Marked technically complex by the buyer: choosing is possible, and the committee is the
    # larger one (87号令 art. 47, 48).
    pid, _ = await gz.opened(technically_complex=True)
    rare = _speciality("autism_support")
    for _ in range(5):
        await gz.expert(speciality=rare)
    chosen = [await gz.expert(speciality=_speciality("clinical")) for _ in range(2)]
    chosen_ids = [u for u, _ in chosen]

    short = await gz.draw_committee(pid, 7, rare)
    assert short.status_code == 409 and short.json()["code"] == "not_enough_experts"
    unconsented = await gz.draw_committee(pid, 7, rare, appointed_expert_ids=chosen_ids)
    assert unconsented.status_code == 422 and error_fields(unconsented) == {"consent"}
    # Where the library holds enough of the speciality, it draws them: no choosing.
    common = _speciality("common")
    for _ in range(7):
        await gz.expert(speciality=common)
    served = await gz.draw_committee(
        pid, 7, common, appointed_expert_ids=chosen_ids, consent=CONSENT
    )
    assert served.status_code == 422 and error_fields(served) == {"appointed_expert_ids"}

    allowed = await gz.draw_committee(
        pid, 7, rare, appointed_expert_ids=chosen_ids, consent=CONSENT
    )
    assert allowed.status_code == 201, allowed.text
    assert set(chosen_ids) <= {m["user_id"] for m in allowed.json()["members"]}
    [draw] = await _draws(gz, pid)
    assert draw["appointed"] == chosen_ids and len(draw["drawn"]) == 5
    assert (draw["consent_by"], draw["consent_document"]) == (
        CONSENT["by"],
        CONSENT["document_number"],
    )
    # A chosen expert sits like a drawn one.
    own = await client.get(f"{gz.base}/{pid}/scores", headers=chosen[0][1])
    assert own.status_code == 200


async def test_an_external_draw_is_recorded_where_the_province_draws_elsewhere(
    client: Client, gz: Tenderer, login: Login
) -> None:
    pid, _ = await gz.opened()
    speciality = _speciality("external")
    experts = [await gz.expert(speciality=speciality) for _ in range(5)]
    officer = await gz.as_("civil_affairs_officer")
    drawn_at = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)
    body: dict[str, Any] = {
        "system": "广东省政府采购评审专家抽取系统",
        "record_number": "GDZJ-2026-004217",
        "operator": "省财政厅 李工",
        "drawn_at": drawn_at.isoformat(),
        "speciality": speciality,
        "expert_ids": [u for u, _ in experts],
    }
    external = f"{gz.base}/{pid}/committee/external"
    # The province draws here: nothing external to record.
    here = await client.post(external, headers=officer, json=body)
    assert here.status_code == 409 and here.json()["code"] == "wrong_state"

    setting = f"/v1/tenants/{GD}/expert-library"
    finance = await login(PROVINCE_FINANCE)
    unnamed = await client.put(setting, headers=finance, json={"external_draws": True})
    assert unnamed.status_code == 422 and error_fields(unnamed) == {"external_system"}
    turned = await client.put(
        setting, headers=finance, json={"external_draws": True, "external_system": body["system"]}
    )
    assert turned.status_code == 200 and turned.json()["external_draws"] is True
    try:
        drawn_here = await gz.draw_committee(pid, 5, speciality)
        assert drawn_here.status_code == 409 and drawn_here.json()["code"] == "wrong_state"
        stranger = {**body, "expert_ids": [*body["expert_ids"][:4], str(uuid.uuid4())]}
        unknown = await client.post(external, headers=officer, json=stranger)
        assert unknown.status_code == 422 and error_fields(unknown) == {"expert_ids[4]"}
        recorded = await client.post(external, headers=officer, json=body)
        assert recorded.status_code == 201, recorded.text
        await gz.seated(recorded)
    finally:
        back = await client.put(setting, headers=finance, json={"external_draws": False})
        assert back.status_code == 200
    assert {m["user_id"] for m in recorded.json()["members"]} == set(body["expert_ids"])
    [draw] = await _draws(gz, pid)
    assert draw["kind"] == "external" and draw["seed"] is None
    assert draw["external_system"] == body["system"]
    assert draw["external_record_number"] == "GDZJ-2026-004217"
    assert draw["external_operator"] == "省财政厅 李工"
    assert datetime.fromisoformat(draw["external_drawn_at"]) == drawn_at
    assert (await client.get(f"{gz.base}/{pid}/scores", headers=experts[0][1])).status_code == 200


async def test_another_region_finds_neither_the_draws_nor_the_committee(
    client: Client, gz: Tenderer, sz: Tenderer
) -> None:
    pid, _ = await gz.opened()
    speciality = _speciality("isolation")
    experts = [await gz.expert(speciality=speciality) for _ in range(5)]
    json_of(await gz.draw_committee(pid, 5, speciality), 201)
    base = f"/v1/tenants/{SZ}/procurements/{pid}/committee"
    for method, path, role, body in [
        ("GET", "/draws", "civil_affairs_officer", None),
        ("GET", "", "finance_officer", None),
        (
            "POST",
            "/replacements",
            "civil_affairs_officer",
            {"user_id": experts[0][0], "reason": "declined"},
        ),
        (
            "POST",
            "/external",
            "civil_affairs_officer",
            {
                "system": "x",
                "record_number": "1",
                "operator": "x",
                "drawn_at": "2026-12-01T09:00:00+08:00",
                "speciality": speciality,
                "expert_ids": [experts[0][0]],
            },
        ),
    ]:
        response = await client.request(
            method, f"{base}{path}", headers=await sz.as_(role), json=body
        )
        assert response.status_code == 404, (path, response.text)
    # A seated expert's seat is in 广州 only: in 深圳 the procurement is not there.
    elsewhere = await client.get(
        f"/v1/tenants/{SZ}/procurements/{pid}/scores", headers=experts[0][1]
    )
    assert elsewhere.status_code == 403
    # The 广州 committee is untouched.
    members = await client.get(
        f"{gz.base}/{pid}/committee", headers=await gz.as_("civil_affairs_officer")
    )
    assert {m["user_id"] for m in members.json()["members"]} == {u for u, _ in experts}
