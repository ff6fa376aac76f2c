"""Credit end to end: disqualifications recorded and confirmed by two people, the scope rule
across regions, the narrow path that answers it, and the worker that tells the regions."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import dramatiq
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.credit import service as credit
from services.credit.errors import ProviderDisqualified
from services.credit.listeners import BarChange, Change
from services.credit.rules import add_years, today
from services.credit.tasks import provider_bars_changed
from services.kit.db import PLATFORM_TENANT, bind_tenant, transaction
from services.kit.jobs import run_once
from services.kit.settings import Settings
from tests.support.accounts import grant, open_account
from tests.support.client import Client, Login, error_fields
from tests.support.credit import PASSWORD, confirmed, decide, new_provider, record, record_body
from tests.support.demo import GD, GZ, ROLE_LOGINS, SZ, city_login
from tests.support.documents import pdf, upload
from tests.support.jobs import eventually, relay_and_run
from tests.support.providers import NewProvider

pytestmark = pytest.mark.usefixtures("demo")
Sessions = async_sessionmaker[AsyncSession]
# Another province, with no region in common with 广东: 云南省 and 昆明市.
YN, KM = "530000", "530100"
JOB = "credit.provider_bars_changed"


@pytest.fixture(scope="module")
async def other_province(client: Client, login: Login) -> str:
    platform = await login(ROLE_LOGINS["platform_admin"])
    for code, name in ((YN, "云南省"), (KM, "昆明市")):
        response = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": name}
        )
        assert response.status_code in (201, 409), response.text
    return KM


async def _as(login: Login, role: str, city: str = GZ) -> dict[str, str]:
    return await login(city_login(role, city))


async def _bars(sessionmaker: Sessions, provider_id: str, tenant: str, **kw: Any) -> list[Any]:
    async with transaction(sessionmaker, tenant) as session:
        return await credit.bars(session, uuid.UUID(provider_id), tenant, **kw)


async def _eligible(sessionmaker: Sessions, provider_id: str, tenant: str) -> None:
    async with transaction(sessionmaker, tenant) as session:
        await credit.check_eligible(session, uuid.UUID(provider_id), tenant)


# --- the flow ----------------------------------------------------------------------------------


async def test_recorded_then_confirmed_by_another_person_the_bar_applies(
    client: Client, login: Login, sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    provider = await new_provider(client, login)
    officer = await _as(login, "civil_affairs_officer")
    approver = await _as(login, "civil_affairs_approver")
    recorded = await record(client, officer, provider.id)
    assert recorded["status"] == "proposed" and recorded["in_force"] is False
    assert recorded["provider_name"] == provider.name
    assert recorded["last_day"] == (add_years(today(), 2) - timedelta(days=1)).isoformat()
    # Proposed is not yet a bar.
    assert await _bars(sessionmaker, provider.id, GZ) == []
    await _eligible(sessionmaker, provider.id, GZ)

    done = await decide(client, approver, recorded["id"], note="证据充分")
    assert done["status"] == "confirmed" and done["in_force"] is True
    assert done["decided_by"] != done["recorded_by"]

    found = await _bars(sessionmaker, provider.id, GZ)
    assert [b.disqualification_id for b in found] == [uuid.UUID(recorded["id"])]
    assert (found[0].source_tenant, found[0].source_name, found[0].scope) == (
        GZ,
        "广州市",
        "province",
    )
    with pytest.raises(ProviderDisqualified) as refused:
        await _eligible(sessionmaker, provider.id, GZ)
    assert (refused.value.status, refused.value.code) == (403, "provider_disqualified")
    assert "440100" in refused.value.detail and "province" in refused.value.detail
    assert "虚假材料" not in str(refused.value.extra)  # never the recording region's reasons
    assert refused.value.extra["bars"][0]["ends_on"] == add_years(today(), 2).isoformat()

    actions = await admin_db.fetch(
        "SELECT action FROM audit_log WHERE tenant_id = $1 AND object_id = $2 ORDER BY seq",
        GZ,
        recorded["id"],
    )
    assert [a["action"] for a in actions] == [
        "disqualification.recorded",
        "disqualification.confirmed",
    ]
    job = await admin_db.fetchrow(
        "SELECT tenant_id, actor_name, payload FROM outbox WHERE message_key = $1",
        f"credit-bars-changed:{recorded['id']}:confirmed",
    )
    assert job is not None and (job["tenant_id"], job["actor_name"]) == (GZ, JOB)
    told = await admin_db.fetchval(
        "SELECT count(*) FROM notifications WHERE tenant_id = $1"
        " AND event_type = 'credit.disqualification_proposed'"
        " AND data->>'disqualification_id' = $2",
        GZ,
        recorded["id"],
    )
    approvers = await admin_db.fetchval(
        "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'civil_affairs_approver'",
        GZ,
    )
    assert told == approvers >= 1


async def test_the_recorder_cannot_confirm_or_reject_their_own_record(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    """Four eyes: an officer who is also an approver still needs a second person."""
    admin = await _as(login, "tenant_admin")
    _, both_login = await open_account(
        client, admin, PASSWORD, prefix="officer-approver", display_name="兼任审核人"
    )
    for role in ("civil_affairs_officer", "civil_affairs_approver"):
        await grant(client, admin, GZ, both_login, role)
    both = await login(both_login, PASSWORD)
    provider = await new_provider(client, login)
    recorded = await record(client, both, provider.id)
    url = f"/v1/tenants/{GZ}/disqualifications/{recorded['id']}"
    for action, body in (("confirm", {}), ("reject", {"note": "自行驳回"})):
        refused = await client.post(f"{url}/{action}", headers=both, json=body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "four_eyes_required"
    assert (await client.get(url, headers=both)).json()["status"] == "proposed"
    # The database holds the rule even against a path that forgot it.
    with pytest.raises(asyncpg.CheckViolationError):
        await admin_db.execute(
            "UPDATE disqualifications SET status = 'confirmed', decided_by = recorded_by,"
            " decided_at = now() WHERE tenant_id = $1 AND id = $2",
            GZ,
            uuid.UUID(recorded["id"]),
        )
    other = await decide(client, await _as(login, "civil_affairs_approver"), recorded["id"])
    assert other["status"] == "confirmed"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"ends_on": "+11m"}, "ends_on", "period_out_of_range"),
        ({"ends_on": "+4y"}, "ends_on", "period_out_of_range"),
        ({"ends_on": "+1y-1d"}, "ends_on", "period_out_of_range"),
        ({"ends_on": "+3y+1d"}, "ends_on", "period_out_of_range"),
        ({"starts_on": "-3y", "ends_on": "+0d"}, "ends_on", "period_out_of_range"),  # over
        ({"scope": "city"}, "scope", "validation_failed"),
        ({"scope": "national"}, "scope", "scope_not_allowed"),  # 广州 is not a province
        ({"provider_id": "unknown"}, "provider_id", "validation_failed"),
        ({"provider_id": "elsewhere"}, "provider_id", "provider_not_known_here"),
        ({"reason": ""}, "reason", "validation_failed"),
        ({"starts_on": "2027-02-30"}, "starts_on", "validation_failed"),
        ({"colour": "red"}, "colour", "validation_failed"),
    ],
)
async def test_bad_records_are_refused_naming_the_field_and_nothing_is_stored(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    changes: dict[str, Any],
    field: str,
    code: str,
) -> None:
    provider = await new_provider(client, login)
    body = record_body(provider.id)
    start = today()
    offsets = {
        "+11m": start + timedelta(days=334),
        "+4y": add_years(start, 4),
        "+1y-1d": add_years(start, 1) - timedelta(days=1),
        "+3y+1d": add_years(start, 3) + timedelta(days=1),
        "-3y": add_years(start, -3),
        "+0d": start,
    }
    for key, value in changes.items():
        if value in offsets:
            body[key] = offsets[value].isoformat()
        elif value == "unknown":
            body[key] = str(uuid.uuid4())
        elif value == "elsewhere":  # registered in 深圳 only
            body[key] = (await new_provider(client, login, approved_in=(SZ,))).id
        else:
            body[key] = value
    before = await admin_db.fetchval("SELECT count(*) FROM disqualifications")
    response = await client.post(
        f"/v1/tenants/{GZ}/disqualifications",
        headers=await _as(login, "civil_affairs_officer"),
        json=body,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert field in error_fields(response)
    assert await admin_db.fetchval("SELECT count(*) FROM disqualifications") == before


async def test_the_shortest_and_longest_periods_are_accepted(client: Client, login: Login) -> None:
    provider = await new_provider(client, login)
    officer = await _as(login, "civil_affairs_officer")
    start = today() - timedelta(days=30)  # a decision of last month, recorded now
    for years in (1, 3):
        done = await record(
            client, officer, provider.id, starts_on=start, ends_on=add_years(start, years)
        )
        assert done["starts_on"] == start.isoformat()


# --- the scope rule ----------------------------------------------------------------------------


async def test_a_provincial_bar_from_guangzhou_reaches_shenzhen_not_another_province_and_ends(
    client: Client,
    login: Login,
    sessionmaker: Sessions,
    admin_db: asyncpg.Connection,
    other_province: str,
) -> None:
    provider = await new_provider(client, login, approved_in=(GZ, SZ), pending_in=(KM,))
    done = await confirmed(client, login, provider.id, "province")

    with pytest.raises(ProviderDisqualified) as refused:
        await _eligible(sessionmaker, provider.id, SZ)
    assert "广州市" in refused.value.detail
    assert refused.value.extra["bars"][0]["source_tenant"] == GZ
    assert refused.value.extra["bars"][0]["scope"] == "province"
    await _eligible(sessionmaker, provider.id, KM)  # 云南: accepted
    assert await _bars(sessionmaker, provider.id, KM) == []
    assert len(await _bars(sessionmaker, provider.id, GD)) == 1  # the province itself

    # 深圳's civil affairs sees the bar (not 广州's reasons) through the narrow path.
    seen = await client.get(
        f"/v1/tenants/{SZ}/provider-bars/{provider.id}",
        headers=await _as(login, "civil_affairs_officer", SZ),
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["barred"] is True
    (bar,) = seen.json()["bars"]
    assert (bar["disqualification_id"], bar["source_tenant"], bar["source_name"]) == (
        done["id"],
        GZ,
        "广州市",
    )
    assert "reason" not in bar and "虚假材料" not in seen.text

    # The period ends: the day before its end it bars, on its end day it does not.
    start = add_years(today(), -2)
    await admin_db.execute(
        "UPDATE disqualifications SET starts_on = $3, ends_on = $4"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(done["id"]),
        start,
        today() + timedelta(days=1),
    )
    assert len(await _bars(sessionmaker, provider.id, SZ)) == 1
    await admin_db.execute(
        "UPDATE disqualifications SET ends_on = $3 WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(done["id"]),
        today(),
    )
    await _eligible(sessionmaker, provider.id, SZ)
    await _eligible(sessionmaker, provider.id, GZ)
    # Asked about a day inside the old period, the record still answers.
    assert len(await _bars(sessionmaker, provider.id, SZ, on_day=start)) == 1
    asked = await client.get(
        f"/v1/tenants/{SZ}/provider-bars/{provider.id}",
        headers=await _as(login, "civil_affairs_officer", SZ),
        params={"on_day": start.isoformat()},
    )
    assert (asked.json()["on_day"], asked.json()["barred"]) == (start.isoformat(), True)
    after = await client.get(
        f"/v1/tenants/{GZ}/disqualifications/{done['id']}",
        headers=await _as(login, "civil_affairs_officer"),
    )
    assert after.json()["in_force"] is False and after.json()["status"] == "confirmed"


async def test_a_tenant_scoped_bar_stays_in_its_region(
    client: Client, login: Login, sessionmaker: Sessions
) -> None:
    provider = await new_provider(client, login, approved_in=(GZ, SZ))
    await confirmed(client, login, provider.id, "tenant")
    with pytest.raises(ProviderDisqualified):
        await _eligible(sessionmaker, provider.id, GZ)
    await _eligible(sessionmaker, provider.id, SZ)
    await _eligible(sessionmaker, provider.id, GD)
    seen = await client.get(
        f"/v1/tenants/{SZ}/provider-bars/{provider.id}",
        headers=await _as(login, "civil_affairs_approver", SZ),
    )
    assert seen.json() | {"on_day": None} == {
        "provider_id": provider.id,
        "tenant": SZ,
        "on_day": None,
        "barred": False,
        "bars": [],
    }


async def test_a_national_bar_from_a_province_reaches_every_region(
    client: Client,
    login: Login,
    sessionmaker: Sessions,
    admin_db: asyncpg.Connection,
    other_province: str,
) -> None:
    """广东省 has no civil affairs users in the demo; its record is written as the owner."""
    provider = await new_provider(client, login)
    users = await admin_db.fetch(
        "SELECT id FROM users WHERE email = ANY($1::text[]) ORDER BY email",
        [city_login("civil_affairs_officer"), city_login("civil_affairs_approver")],
    )
    start = today()
    await admin_db.execute(
        "INSERT INTO disqualifications (tenant_id, id, provider_id, scope, starts_on, ends_on,"
        " reason, legal_basis, status, recorded_by, decided_by, decided_at)"
        " VALUES ($1, $2, $3, 'national', $4, $5, '严重违法', '政府采购法第七十七条',"
        " 'confirmed', $6, $7, now())",
        GD,
        uuid.uuid4(),
        uuid.UUID(provider.id),
        start,
        add_years(start, 3),
        users[0]["id"],
        users[1]["id"],
    )
    for tenant in (GZ, SZ, KM, YN):
        with pytest.raises(ProviderDisqualified):
            await _eligible(sessionmaker, provider.id, tenant)
    # Only a province-level region records a national one: the table refuses a city's.
    with pytest.raises(asyncpg.CheckViolationError):
        await admin_db.execute(
            "UPDATE disqualifications SET tenant_id = $1 WHERE provider_id = $2",
            GZ,
            uuid.UUID(provider.id),
        )


async def test_a_revoked_bar_stops_applying(
    client: Client, login: Login, sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    provider = await new_provider(client, login, approved_in=(GZ, SZ))
    approver = await _as(login, "civil_affairs_approver")
    done = await confirmed(client, login, provider.id, "province")
    url = f"/v1/tenants/{GZ}/disqualifications/{done['id']}"
    no_reason = await client.post(f"{url}/revoke", headers=approver, json={})
    assert no_reason.status_code == 422 and "reason" in error_fields(no_reason)

    revoked = await decide(
        client, approver, done["id"], "revoke", reason="行政复议撤销了原处罚决定"
    )
    assert revoked["status"] == "revoked" and revoked["in_force"] is False
    assert revoked["revoked_reason"] == "行政复议撤销了原处罚决定"
    for tenant in (GZ, SZ):
        await _eligible(sessionmaker, provider.id, tenant)
    again = await client.post(f"{url}/revoke", headers=approver, json={"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "wrong_state"
    assert await admin_db.fetchval(
        "SELECT count(*) FROM outbox WHERE message_key = $1",
        f"credit-bars-changed:{done['id']}:revoked",
    )

    proposed = await record(client, await _as(login, "civil_affairs_officer"), provider.id)
    early = await client.post(
        f"/v1/tenants/{GZ}/disqualifications/{proposed['id']}/revoke",
        headers=approver,
        json={"reason": "未确认即撤销"},
    )
    assert early.status_code == 409 and early.json()["code"] == "wrong_state"
    rejected = await decide(client, approver, proposed["id"], "reject", note="证据不足")
    assert rejected["status"] == "rejected" and rejected["decision_note"] == "证据不足"
    await _eligible(sessionmaker, provider.id, GZ)


# --- isolation: other regions' records are 404, RLS holds, only the functions cross ------------


async def test_another_regions_records_are_not_found(client: Client, login: Login) -> None:
    provider = await new_provider(client, login)
    officer = await _as(login, "civil_affairs_officer")
    recorded = await record(client, officer, provider.id)
    there = f"/v1/tenants/{SZ}/disqualifications/{recorded['id']}"
    sz_officer = await _as(login, "civil_affairs_officer", SZ)
    sz_approver = await _as(login, "civil_affairs_approver", SZ)
    assert (await client.get(there, headers=sz_officer)).status_code == 404
    assert (
        await client.get(there, headers=await _as(login, "tenant_admin", SZ))
    ).status_code == 404
    for action, body in (
        ("confirm", {}),
        ("reject", {"note": "越权"}),
        ("revoke", {"reason": "越权"}),
    ):
        response = await client.post(f"{there}/{action}", headers=sz_approver, json=body)
        assert response.status_code == 404, response.text
    listed = await client.get(
        f"/v1/tenants/{SZ}/disqualifications", headers=sz_officer, params={"limit": 200}
    )
    assert recorded["id"] not in {d["id"] for d in listed.json()["items"]}
    mine = await client.get(
        f"/v1/tenants/{GZ}/disqualifications",
        headers=officer,
        params={"provider_id": provider.id, "status": "proposed"},
    )
    assert [d["id"] for d in mine.json()["items"]] == [recorded["id"]]
    # 广州's path with a 深圳 account is the guard's refusal.
    own = f"/v1/tenants/{GZ}/disqualifications/{recorded['id']}"
    assert (await client.get(own, headers=sz_officer)).status_code == 403


async def test_the_app_role_reads_only_its_regions_rows_and_the_functions_answer(
    client: Client,
    login: Login,
    app_db: asyncpg.Connection,
    admin_db: asyncpg.Connection,
    settings: Settings,
) -> None:
    provider = await new_provider(client, login, approved_in=(GZ, SZ))
    done = await confirmed(client, login, provider.id, "province")
    pid, did = uuid.UUID(provider.id), uuid.UUID(done["id"])
    count_it = "SELECT count(*) FROM disqualifications WHERE id = $1"
    async with app_db.transaction():
        await app_db.execute(f"SET LOCAL app.tenant_id = '{SZ}'")
        assert await app_db.fetchval(count_it, did) == 0  # RLS: 广州's row is not 深圳's
        bars = await app_db.fetch("SELECT * FROM credit_bars($1, $2, $3)", pid, SZ, today())
        assert [(b["disqualification_id"], b["source_tenant"]) for b in bars] == [(did, GZ)]
    async with app_db.transaction():
        await app_db.execute(f"SET LOCAL app.tenant_id = '{GZ}'")
        assert await app_db.fetchval(count_it, did) == 1
    async with app_db.transaction():  # no region: nothing, and the function will not answer
        assert await app_db.fetchval(count_it, did) == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_db.fetch("SELECT * FROM credit_bars($1, $2, $3)", pid, SZ, today())
    async with app_db.transaction():  # bound to 深圳, it answers for 深圳 only
        await app_db.execute(f"SET LOCAL app.tenant_id = '{SZ}'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_db.fetch("SELECT * FROM credit_bars($1, $2, $3)", pid, GZ, today())
    async with app_db.transaction():  # a provider's record, to that provider only
        await app_db.execute(f"SET LOCAL app.provider_id = '{uuid.uuid4()}'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_db.fetch("SELECT * FROM credit_record($1)", pid)
    async with app_db.transaction():  # the reader role itself is out of reach
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_db.execute("SET LOCAL ROLE sws_credit_reader")
    async with app_db.transaction():  # and records are never deleted
        await app_db.execute(f"SET LOCAL app.tenant_id = '{GZ}'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_db.execute("DELETE FROM disqualifications WHERE id = $1", did)
    role = await admin_db.fetchrow(
        "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1",
        "sws_credit_reader",
    )
    assert dict(role) == {"rolcanlogin": False, "rolsuper": False, "rolbypassrls": False}
    assert not await admin_db.fetchval(
        "SELECT pg_has_role($1, 'sws_credit_reader', 'MEMBER')", settings.app_db_user
    )
    # Even as itself, the reader sees confirmed rows only, and no decision notes.
    async with admin_db.transaction():
        await admin_db.execute("SET LOCAL ROLE sws_credit_reader")
        statuses = await admin_db.fetch("SELECT DISTINCT status FROM disqualifications")
        assert {s["status"] for s in statuses} == {"confirmed"}
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await admin_db.fetch("SELECT decision_note FROM disqualifications")


# --- the provider's own view, evidence ---------------------------------------------------------


async def test_a_provider_reads_its_own_record_across_regions_with_reasons(
    client: Client, login: Login
) -> None:
    provider = await new_provider(client, login, approved_in=(GZ, SZ))
    done = await confirmed(client, login, provider.id, "province")
    await confirmed(client, login, provider.id, "tenant", tenant=SZ, reason="无正当理由拒签合同")
    await record(
        client, await _as(login, "civil_affairs_officer"), provider.id, reason="尚未确认的记录"
    )
    admin = await login(provider.admin_login, PASSWORD)
    response = await client.get("/v1/me/disqualifications", headers=admin)
    assert response.status_code == 200, response.text
    rows = response.json()
    assert {(r["source_tenant"], r["scope"], r["in_force"]) for r in rows} == {
        (GZ, "province", True),
        (SZ, "tenant", True),
    }
    assert {r["reason"] for r in rows} == {
        "提供虚假材料谋取中标（行政处罚决定书穗民罚〔2026〕12号）",
        "无正当理由拒签合同",
    }
    assert done["id"] in {r["disqualification_id"] for r in rows}
    # Another provider's users see none of it.
    other = await client.get(
        "/v1/me/disqualifications", headers=await login("admin@pengcheng.demo.org.cn")
    )
    assert other.status_code == 200 and other.json() == []


async def test_evidence_attaches_to_a_record_for_civil_affairs_only(
    client: Client, login: Login
) -> None:
    provider = await new_provider(client, login)
    recorded = await record(client, await _as(login, "civil_affairs_officer"), provider.id)

    async def attach(headers: dict[str, str], tenant: str = GZ) -> httpx.Response:
        return await upload(
            client,
            headers,
            pdf(),
            object_type="disqualification",
            object_id=recorded["id"],
            filename="行政处罚决定书.pdf",
            tenant=tenant,
        )

    stored = await attach(await _as(login, "civil_affairs_approver"))
    assert stored.status_code == 201, stored.text
    assert stored.json()["object_type"] == "disqualification"
    for refused in (
        await attach(await login(provider.admin_login, PASSWORD)),
        await attach(await _as(login, "partner_department")),
        await attach(await _as(login, "civil_affairs_officer", SZ), SZ),
    ):
        assert refused.status_code == 422, refused.text
        assert "object_id" in error_fields(refused)


# --- the worker --------------------------------------------------------------------------------


async def _told(
    admin_db: asyncpg.Connection, event_type: str, disqualification_id: str
) -> list[tuple[str, str]]:
    """Who was told of an event about a disqualification: (region, login), sorted."""
    rows = await admin_db.fetch(
        "SELECT n.tenant_id, u.email FROM notifications n JOIN users u ON u.id = n.user_id"
        " WHERE n.event_type = $1 AND n.data->>'disqualification_id' = $2",
        event_type,
        disqualification_id,
    )
    return sorted((r["tenant_id"], r["email"]) for r in rows)


async def _job(admin_db: asyncpg.Connection, key: str) -> tuple[str, dict[str, Any]]:

    row = await admin_db.fetchrow(
        "SELECT tenant_id, payload FROM outbox WHERE message_key = $1", key
    )
    assert row is not None, key
    payload = row["payload"]
    return row["tenant_id"], json.loads(payload) if isinstance(payload, str) else payload


async def _civil_affairs(admin_db: asyncpg.Connection, city: str) -> list[tuple[str, str]]:
    """Whoever holds a civil affairs role in the city now (other tests add people)."""
    rows = await admin_db.fetch(
        "SELECT DISTINCT u.email FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.tenant_id = $1 AND m.role LIKE 'civil_affairs_%'",
        city,
    )
    found = [(city, r["email"]) for r in rows]
    assert (city, city_login("civil_affairs_officer", city)) in found
    return found


async def test_the_worker_tells_each_region_reached_and_the_provider_once(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
    other_province: str,
) -> None:
    provider: NewProvider = await new_provider(
        client, login, approved_in=(GZ, SZ), pending_in=(KM,)
    )
    done = await confirmed(client, login, provider.id, "province")
    heard: list[BarChange] = []

    @credit.register_bar_listener
    async def listener(session: AsyncSession, change: BarChange) -> None:
        heard.append(change)

    key = f"credit-bars-changed:{done['id']}:confirmed"
    tenant, payload = await _job(admin_db, key)
    try:
        assert await run_once(provider_bars_changed, JOB, tenant, key, payload, None, sessionmaker)
        assert not await run_once(
            provider_bars_changed, JOB, tenant, key, payload, None, sessionmaker
        )
    finally:
        credit.unregister_bar_listener(listener)

    told = await _told(admin_db, "credit.provider_barred", done["id"])
    assert told == sorted(
        [
            *await _civil_affairs(admin_db, GZ),
            *await _civil_affairs(admin_db, SZ),
            (GZ, provider.admin_login),
        ]
    )
    assert [(c.tenant, c.change, c.barred_now) for c in heard] == [
        (GZ, Change.barred, True),
        (SZ, Change.barred, True),
    ]
    inbox = await client.get(
        "/v1/me/notifications",
        headers=await login(city_login("civil_affairs_officer", SZ)),
        params={"tenant": SZ, "limit": 200},
    )
    (message,) = [
        n for n in inbox.json()["items"] if n["data"].get("disqualification_id") == done["id"]
    ]
    assert message["event_type"] == "credit.provider_barred"
    assert provider.name in message["subject"] and "广东省全省" in message["body"]
    assert "深圳市" in message["body"] and "虚假材料" not in message["body"]


async def test_a_revocation_reaches_the_same_regions_through_the_relay_and_a_worker(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    provider = await new_provider(client, login, approved_in=(GZ, SZ))
    done = await confirmed(client, login, provider.id, "province")
    await decide(
        client,
        await _as(login, "civil_affairs_approver"),
        done["id"],
        "revoke",
        reason="处罚决定被撤销",
    )
    await relay_and_run(sessionmaker, broker)

    async def lifted() -> list[tuple[str, str]]:
        return await _told(admin_db, "credit.provider_bar_lifted", done["id"])

    told = await eventually(lifted)
    assert told == sorted(
        [
            *await _civil_affairs(admin_db, GZ),
            *await _civil_affairs(admin_db, SZ),
            (GZ, provider.admin_login),
        ]
    )
    # The confirmation's job ran too, before it, and found the record revoked: nobody was
    # told of a bar that no longer stands.
    assert await _told(admin_db, "credit.provider_barred", done["id"]) == []
    assert (
        await admin_db.fetchval(
            "SELECT count(*) FROM processed_messages WHERE message_key = ANY($1::text[])",
            [f"credit-bars-changed:{done['id']}:{s}" for s in ("confirmed", "revoked")],
        )
        == 2
    )


async def test_the_provider_notification_is_in_its_inbox(
    client: Client, login: Login, admin_db: asyncpg.Connection, sessionmaker: Sessions
) -> None:
    provider = await new_provider(client, login, approved_in=(GZ, SZ))
    done = await confirmed(client, login, provider.id, "tenant", tenant=SZ)
    key = f"credit-bars-changed:{done['id']}:confirmed"
    tenant, payload = await _job(admin_db, key)
    assert tenant == SZ
    assert await run_once(provider_bars_changed, JOB, tenant, key, payload, None, sessionmaker)
    inbox = await client.get(
        "/v1/me/notifications", headers=await login(provider.admin_login, PASSWORD)
    )
    (message,) = [n for n in inbox.json()["items"] if n["event_type"] == "credit.provider_barred"]
    assert message["tenant_id"] == SZ and "仅限深圳市" in message["body"]
    assert await _told(admin_db, "credit.provider_barred", done["id"]) == sorted(
        [*await _civil_affairs(admin_db, SZ), (SZ, provider.admin_login)]
    )


async def test_bars_need_the_session_bound_to_the_region_asked_about(
    sessionmaker: Sessions,
) -> None:
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        await bind_tenant(session, SZ)
        assert await credit.bars(session, uuid.uuid4(), SZ) == []
    with pytest.raises(Exception, match="bound to"):
        async with transaction(sessionmaker, SZ) as session:
            await credit.bars(session, uuid.uuid4(), GZ)
