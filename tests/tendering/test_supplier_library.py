"""Invited suppliers may be drawn from the supplier library of the province's finance bureau
(财政部令第87号 art. 14; 74号令 art. 12): the province keeps it (its approver writes, its staff
read, every change audited); a city cannot write it and another province finds nothing in it;
a city's library draw takes only the province's active, valid entries of the programme area
named, registered in the city, and is redone from its seed."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import asyncpg
import pytest

from tests.support.client import Client, Login, error_fields, json_of
from tests.support.demo import GD, ROLE_LOGINS, SZ
from tests.support.supplier_library import admit, entry_body, province_approver
from tests.support.tendering import PROVINCE_FINANCE, Tenderer

pytestmark = pytest.mark.usefixtures("demo")

LIBRARY = f"/v1/tenants/{GD}/supplier-library"
INVITED = {
    "method": "invited_tender",
    "method_reason": "limited_suppliers",
    "method_justification": "具备专业资质的社会工作服务机构有限",
}


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert error_fields(response) == {field}, response.text


async def test_the_province_keeps_its_library(
    client: Client, gz: Tenderer, login: Login, admin_db: asyncpg.Connection
) -> None:
    approver = await province_approver(client, login)
    staff = await login(PROVINCE_FINANCE)
    provider = await gz.bidder()
    # Bad input changes nothing and names the field.
    for body, field in [
        (entry_body(provider.provider_id, valid_until="2020-01-01"), "valid_until"),
        (entry_body(str(uuid.uuid4())), "provider_id"),
        (entry_body(provider.provider_id, "not_an_area"), "categories[0]"),
        (entry_body(provider.provider_id, categories=[]), "categories"),
    ]:
        _refused(await client.post(LIBRARY, headers=approver, json=body), field)
    missing = await client.get(f"{LIBRARY}/{provider.provider_id}", headers=staff)
    assert missing.status_code == 404
    # The finance bureau's staff read it; only its approver writes.
    body = entry_body(provider.provider_id, "special_groups", "elderly_disabled_care")
    denied = await client.post(LIBRARY, headers=staff, json=body)
    assert denied.status_code == 403, denied.text
    entry = json_of(await client.post(LIBRARY, headers=approver, json=body), 201)
    assert entry["categories"] == ["special_groups", "elderly_disabled_care"]
    assert (entry["status"], entry["reason"]) == ("active", None)
    assert entry["provider_name"] == provider.name
    again = await client.post(LIBRARY, headers=approver, json=body)
    assert again.status_code == 409, again.text
    read = json_of(await client.get(f"{LIBRARY}/{provider.provider_id}", headers=staff))
    assert read == entry
    listed = json_of_list(await client.get(LIBRARY, headers=staff))
    assert entry in listed
    # A suspension says why; an active entry carries no reason.
    status_url = f"{LIBRARY}/{provider.provider_id}/status"
    _refused(await client.put(status_url, headers=approver, json={"status": "suspended"}), "reason")
    refused = await client.put(
        status_url, headers=staff, json={"status": "suspended", "reason": "年检未通过"}
    )
    assert refused.status_code == 403
    suspended = json_of(
        await client.put(
            status_url, headers=approver, json={"status": "suspended", "reason": "年检未通过"}
        )
    )
    assert (suspended["status"], suspended["reason"]) == ("suspended", "年检未通过")
    removed = json_of(
        await client.put(
            status_url, headers=approver, json={"status": "removed", "reason": "自愿退出"}
        )
    )
    assert removed["status"] == "removed"
    # Removed is final: only admitting it again brings it back.
    stuck = await client.put(status_url, headers=approver, json={"status": "active"})
    assert stuck.status_code == 409, stuck.text
    back = json_of(await client.post(LIBRARY, headers=approver, json=body), 201)
    assert (back["status"], back["reason"]) == ("active", None)
    # Every change is in the province's audit chain, with what it was and became.
    audited = await admin_db.fetch(
        "SELECT action, before, after FROM audit_log"
        " WHERE tenant_id = $1 AND object_id = $2 ORDER BY seq",
        GD,
        provider.provider_id,
    )
    assert [a["action"] for a in audited] == [
        "supplier_library.admitted",
        "supplier_library.status_changed",
        "supplier_library.status_changed",
        "supplier_library.admitted",
    ]
    assert json.loads(audited[1]["after"])["reason"] == "年检未通过"
    assert json.loads(audited[3]["before"])["status"] == "removed"


def json_of_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


async def test_a_city_cannot_write_it_and_another_region_finds_nothing(
    client: Client, gz: Tenderer, sz: Tenderer, login: Login
) -> None:
    provider = await gz.bidder()
    entry = await admit(client, login, provider.provider_id)
    body = entry_body(provider.provider_id)
    # A city's staff cannot write the province's library, whatever their role.
    for role in ("finance_approver", "finance_officer", "civil_affairs_officer", "tenant_admin"):
        headers = await gz.as_(role)
        written = await client.put(
            f"{LIBRARY}/{provider.provider_id}/status",
            headers=headers,
            json={"status": "suspended", "reason": "x"},
        )
        assert written.status_code == 403, (role, written.text)
        added = await client.post(LIBRARY, headers=headers, json=body)
        assert added.status_code == 403, (role, added.text)
    # A city keeps no library of its own: its finance bureau finds none (404) in 广州 or 深圳.
    for city in (gz, sz):
        base = f"/v1/tenants/{city.city}/supplier-library"
        headers = await city.as_("finance_approver")
        assert (await client.get(base, headers=headers)).status_code == 404
        assert (await client.post(base, headers=headers, json=body)).status_code == 404
        one = await client.get(f"{base}/{provider.provider_id}", headers=headers)
        assert one.status_code == 404
    # Another province's finance bureau finds nothing of 广东's in its own library.
    other = await _another_province(client, login)
    elsewhere = await client.get(
        f"/v1/tenants/{other}/supplier-library/{provider.provider_id}",
        headers=await province_approver(client, login, other),
    )
    assert elsewhere.status_code == 404, elsewhere.text
    # The entry is untouched.
    read = await client.get(
        f"{LIBRARY}/{provider.provider_id}", headers=await login(PROVINCE_FINANCE)
    )
    assert json_of(read) == entry


async def _another_province(client: Client, login: Login) -> str:
    platform = await login(ROLE_LOGINS["platform_admin"])
    for prefix in random.sample(range(60, 99), 39):
        code = f"{prefix}0000"
        made = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"外省{prefix}"}
        )
        if made.status_code == 201:
            return code
    raise AssertionError("no free province code")


async def _library_draw(gz: Tenderer, category: str, draw: int = 3) -> tuple[str, Any]:
    pid = str((await gz.create(**INVITED))["id"])
    made = await gz.select(
        pid,
        {
            "source": "library",
            "category": category,
            "draw": draw,
            "witness_ids": await gz.witnesses(),
        },
    )
    return pid, made


async def test_a_citys_library_draw_takes_only_the_provinces_entries(
    client: Client, gz: Tenderer, sz: Tenderer, login: Login, admin_db: asyncpg.Connection
) -> None:
    admitted = [await gz.bidder() for _ in range(6)]
    for bidder in admitted:
        await admit(client, login, bidder.provider_id, "rural_left_behind")
    unlisted = await gz.bidder()  # registered in 广州, never admitted
    other_area = await gz.bidder()
    await admit(client, login, other_area.provider_id, "disaster_recovery")
    suspended = await gz.bidder()
    await admit(client, login, suspended.provider_id, "rural_left_behind")
    approver = await province_approver(client, login)
    json_of(
        await client.put(
            f"{LIBRARY}/{suspended.provider_id}/status",
            headers=approver,
            json={"status": "suspended", "reason": "服务质量投诉核查中"},
        )
    )
    expired = await gz.bidder()
    await admit(client, login, expired.provider_id, "rural_left_behind")
    # Its validity ran out yesterday (Asia/Shanghai): as if the year had passed.
    await admin_db.execute(
        "UPDATE supplier_library_entries SET valid_until ="
        " (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 WHERE tenant_id = $1 AND provider_id = $2",
        GD,
        uuid.UUID(expired.provider_id),
    )
    # In the province's library, but registered in 深圳 only: not drawn in 广州.
    sz_only = await sz.bidder()
    await admit(client, login, sz_only.provider_id, "rural_left_behind")

    # A library draw names its programme area; another pool takes none.
    _, unnamed = await _library_draw_without_category(gz)
    _refused(unnamed, "category")

    pid, made = await _library_draw(gz, "rural_left_behind")
    record = json_of(made, 201)
    pool = set(record["pool"])
    assert {b.provider_id for b in admitted} <= pool
    for outside in (unlisted, other_area, suspended, expired, sz_only):
        assert outside.provider_id not in pool, outside.name
    assert record["category"] == "rural_left_behind"
    # Redone from its seed: the pool in id order, sampled as the record says.
    assert record["pool"] == sorted(record["pool"])
    assert random.Random(record["seed"]).sample(record["pool"], 3) == record["invited"]
    again = json_of(
        await client.get(
            f"{gz.base}/{pid}/supplier-selection", headers=await gz.as_("civil_affairs_officer")
        )
    )
    assert (again["seed"], again["pool"], again["invited"]) == (
        record["seed"],
        record["pool"],
        record["invited"],
    )
    # Made active again, the suspended entry is drawn from again.
    json_of(
        await client.put(
            f"{LIBRARY}/{suspended.provider_id}/status",
            headers=approver,
            json={"status": "active"},
        )
    )
    _, later_draw = await _library_draw(gz, "rural_left_behind")
    assert suspended.provider_id in json_of(later_draw, 201)["pool"]


async def _library_draw_without_category(gz: Tenderer) -> tuple[str, Any]:
    pid = str((await gz.create(**INVITED))["id"])
    made = await gz.select(
        pid, {"source": "library", "draw": 3, "witness_ids": await gz.witnesses()}
    )
    named = await gz.select(
        pid,
        {
            "source": "recommendations",
            "category": "special_groups",
            "draw": 3,
            "witness_ids": await gz.witnesses(),
            "recommendations": [],
        },
    )
    _refused(named, "category")
    return pid, made


async def test_a_pool_of_the_library_under_twice_the_draw_is_refused(
    client: Client, gz: Tenderer, login: Login, admin_db: asyncpg.Connection
) -> None:
    # This area is this test's own: earlier runs' entries leave the library first.
    await admin_db.execute(
        "UPDATE supplier_library_entries SET status = 'removed', status_reason = '测试清退'"
        " WHERE tenant_id = $1 AND 'urban_migrants' = ANY(categories)",
        GD,
    )
    for _ in range(5):
        await admit(client, login, (await gz.bidder()).provider_id, "urban_migrants")
    _, refused = await _library_draw(gz, "urban_migrants")
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "pool_too_small"
    assert error_fields(refused) == {"draw"}
    await admit(client, login, (await gz.bidder()).provider_id, "urban_migrants")
    _, drawn = await _library_draw(gz, "urban_migrants")
    assert len(json_of(drawn, 201)["pool"]) == 6


async def test_another_regions_draw_record_is_not_found(
    client: Client, gz: Tenderer, sz: Tenderer, login: Login
) -> None:
    for _ in range(6):
        await admit(client, login, (await gz.bidder()).provider_id, "special_groups")
    pid, made = await _library_draw(gz, "special_groups")
    json_of(made, 201)
    foreign = await client.get(
        f"/v1/tenants/{SZ}/procurements/{pid}/supplier-selection",
        headers=await sz.as_("civil_affairs_officer"),
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
