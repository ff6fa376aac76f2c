"""The authorisation matrix: every route × every role, one case per cell.

The expected matrix below is written by hand from what a real user of each role should be
able to do; it is deliberately NOT read from policy.csv, so a wrong line there (or a guard that
does not honour it) fails a cell here. Each cell is called in 广州市 (440100), the demo users'
tenant. A refused cell must be a 403 problem with code ``forbidden``; an allowed one must get
past the guard, and with the valid input each cell sends, get the handler's own answer.

A route added without exactly one declared access level fails
``test_every_api_handler_declares_exactly_one_access_level``; one without a row here (or a
public entry) fails ``test_every_route_has_a_row``.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from stdnum.cn import uscc

from services.kit.authz.roles import Role
from tests.support import credit
from tests.support.accounts import unique_email
from tests.support.client import Login
from tests.support.demo import GZ, ROLE_LOGINS
from tests.support.planning import COST_LINES, COSTED_TOTAL, YEAR, Planner, declaration_body
from tests.support.tendering import procurement_body

Headers = dict[str, str]
PASSWORD = "Matrix2026pass"

# --- the expected matrix -----------------------------------------------------------------------

PLATFORM_ADMIN = "platform_admin"
MINISTRY_VIEWER = "ministry_viewer"
PROVINCE_VIEWER = "province_viewer"
TENANT_ADMIN = "tenant_admin"
CIVIL_AFFAIRS_OFFICER = "civil_affairs_officer"
CIVIL_AFFAIRS_APPROVER = "civil_affairs_approver"
FINANCE_OFFICER = "finance_officer"
FINANCE_APPROVER = "finance_approver"
PARTNER_DEPARTMENT = "partner_department"
PROVIDER_ADMIN = "provider_admin"
PROVIDER_STAFF = "provider_staff"
EXPERT = "expert"
EVALUATOR = "evaluator"

ROLES = (
    PLATFORM_ADMIN,
    MINISTRY_VIEWER,
    PROVINCE_VIEWER,
    TENANT_ADMIN,
    CIVIL_AFFAIRS_OFFICER,
    CIVIL_AFFAIRS_APPROVER,
    FINANCE_OFFICER,
    FINANCE_APPROVER,
    PARTNER_DEPARTMENT,
    PROVIDER_ADMIN,
    PROVIDER_STAFF,
    EXPERT,
    EVALUATOR,
)
EVERYONE = frozenset(ROLES)
# The city's own bureaus: they work with the city's organisations day to day.
CITY_STAFF = frozenset(
    {
        TENANT_ADMIN,
        CIVIL_AFFAIRS_OFFICER,
        CIVIL_AFFAIRS_APPROVER,
        FINANCE_OFFICER,
        FINANCE_APPROVER,
        PARTNER_DEPARTMENT,
    }
)
# Who deals with provider registrations: civil affairs, the tenant admin, the providers.
REGISTRATION_READERS = frozenset(
    {TENANT_ADMIN, CIVIL_AFFAIRS_OFFICER, CIVIL_AFFAIRS_APPROVER, PROVIDER_ADMIN, PROVIDER_STAFF}
)
PLATFORM = frozenset({PLATFORM_ADMIN})
ACCOUNT_ADMINS = frozenset({PLATFORM_ADMIN, TENANT_ADMIN})

T = "/v1/tenants/{tenant}"
REG = f"{T}/provider-registrations/{{registration_id}}"
WH = f"{T}/webhooks/{{webhook_id}}"
DOCS = f"{T}/documents"
DOC = f"{DOCS}/{{document_id}}"
# Documents: those who prepare the procurement file upload; a city's staff read (tenant admin
# included); providers both, on their own objects only (a query filter, tested elsewhere).
DOCUMENT_UPLOADERS = frozenset(
    {
        CIVIL_AFFAIRS_OFFICER,
        CIVIL_AFFAIRS_APPROVER,
        FINANCE_OFFICER,
        PARTNER_DEPARTMENT,
        PROVIDER_ADMIN,
        PROVIDER_STAFF,
    }
)
DOCUMENT_READERS = CITY_STAFF | {PROVIDER_ADMIN, PROVIDER_STAFF}
ND = f"{T}/needs-declarations"
ND1 = f"{ND}/{{declaration_id}}"
PJ = f"{T}/projects"
PJ1 = f"{PJ}/{{project_id}}"
BG = f"{T}/budgets"
BG1 = f"{BG}/{{budget_id}}"
CIVIL_AFFAIRS = frozenset({CIVIL_AFFAIRS_OFFICER, CIVIL_AFFAIRS_APPROVER})
DECLARATION_READERS = CIVIL_AFFAIRS | {PARTNER_DEPARTMENT}
BUDGET_READERS = CIVIL_AFFAIRS | {FINANCE_OFFICER, FINANCE_APPROVER}
# A department reads the projects its declarations feed (the cell's project is one of them).
PROJECT_READERS = BUDGET_READERS | {PARTNER_DEPARTMENT}
TR = f"{T}/tendering-rules"
# The region's legal rules: those who prepare and fund procurements read them, and the
# region's administrator; the administrator and civil affairs' approver tighten them.
RULES_READERS = BUDGET_READERS | {TENANT_ADMIN}
RULES_WRITERS = frozenset({TENANT_ADMIN, CIVIL_AFFAIRS_APPROVER})
# --- credit ---
DQ = f"{T}/disqualifications"
DQ1 = f"{DQ}/{{disqualification_id}}"
CREDIT_READERS = CIVIL_AFFAIRS | {TENANT_ADMIN}
PR = f"{T}/procurements"
PR1 = f"{PR}/{{procurement_id}}"
PROCUREMENT_READERS = BUDGET_READERS
BIDDERS = frozenset({PROVIDER_ADMIN, PROVIDER_STAFF})
# Committee membership itself is checked by the query; these roles may sit on one.
SCORERS = CIVIL_AFFAIRS | {EXPERT}

EXPECTED: dict[str, frozenset[str]] = {
    # The directory of regions (codes and names): every signed-in user, whichever region
    # their role is held in; a provider needs it to choose where to apply.
    "GET /v1/tenants": EVERYONE,
    "GET /v1/tenants/{tenant}": EVERYONE,
    # The platform's own business.
    "POST /v1/platform/tenants": PLATFORM,
    "POST /v1/platform/tenants/{code}/deactivate": PLATFORM,
    "POST /v1/platform/tenants/{code}/activate": PLATFORM,
    "POST /v1/platform/role-grants": PLATFORM,
    "DELETE /v1/platform/role-grants/{user_id}/{role}": PLATFORM,
    "GET /v1/platform/audit": PLATFORM,
    "GET /v1/platform/dead-letters": PLATFORM,
    "POST /v1/platform/dead-letters/{dead_letter_id}/replay": PLATFORM,
    # A city's organisations: its staff read them; admins change them.
    f"GET {T}/organisations": PLATFORM | CITY_STAFF,
    f"POST {T}/organisations": ACCOUNT_ADMINS,
    f"GET {T}/organisations/{{organisation_id}}": PLATFORM | CITY_STAFF,
    f"PATCH {T}/organisations/{{organisation_id}}": ACCOUNT_ADMINS,
    # Accounts and roles. The platform admin opens a new city: it must be able to create
    # the city's first account, not only grant roles to existing ones.
    f"GET {T}/memberships": ACCOUNT_ADMINS,
    f"POST {T}/memberships": ACCOUNT_ADMINS,
    f"DELETE {T}/memberships/{{membership_id}}": ACCOUNT_ADMINS,
    f"POST {T}/users": ACCOUNT_ADMINS,
    f"GET {T}/audit": frozenset({TENANT_ADMIN}),
    # Providers ask to work in the city; civil affairs decides.
    f"GET {T}/provider-registrations": REGISTRATION_READERS,
    f"POST {T}/provider-registrations": frozenset({PROVIDER_ADMIN}),
    f"GET {REG}": REGISTRATION_READERS,
    f"POST {REG}/approve": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {REG}/reject": frozenset({CIVIL_AFFAIRS_APPROVER}),
    # A provider's own account, across regions.
    "GET /v1/me/registrations": frozenset({PROVIDER_ADMIN, PROVIDER_STAFF}),
    "POST /v1/me/provider/users": frozenset({PROVIDER_ADMIN}),
    # Anyone's own account.
    "GET /v1/me": EVERYONE,
    "POST /v1/me/password": EVERYONE,
    # Anyone's own inbox and notification preferences, across regions.
    "GET /v1/me/notifications": EVERYONE,
    "GET /v1/me/notifications/unread-count": EVERYONE,
    "POST /v1/me/notifications/{notification_id}/read": EVERYONE,
    "POST /v1/me/notifications/read-all": EVERYONE,
    "GET /v1/me/notification-preferences": EVERYONE,
    "PUT /v1/me/notification-preferences": EVERYONE,
    # A region's own systems receive its events: its administrator registers them.
    f"GET {T}/webhooks": frozenset({TENANT_ADMIN}),
    f"POST {T}/webhooks": frozenset({TENANT_ADMIN}),
    f"GET {WH}": frozenset({TENANT_ADMIN}),
    f"PATCH {WH}": frozenset({TENANT_ADMIN}),
    f"DELETE {WH}": frozenset({TENANT_ADMIN}),
    f"POST {WH}/rotate-secret": frozenset({TENANT_ADMIN}),
    f"GET {WH}/deliveries": frozenset({TENANT_ADMIN}),
    # Documents of the city's objects.
    f"POST {DOCS}": DOCUMENT_UPLOADERS,
    f"GET {DOCS}": DOCUMENT_READERS,
    f"GET {DOC}": DOCUMENT_READERS,
    f"GET {DOC}/download": DOCUMENT_READERS,
    f"POST {DOC}/versions": DOCUMENT_UPLOADERS,
    # Planning: departments declare needs, civil affairs reviews them and keeps the library and
    # the budget (its approver sends the budget to finance), finance decides the budget.
    f"POST {ND}": frozenset({PARTNER_DEPARTMENT}),
    f"GET {ND}": DECLARATION_READERS,
    f"GET {ND1}": DECLARATION_READERS,
    f"PUT {ND1}": frozenset({PARTNER_DEPARTMENT}),
    f"POST {ND1}/submit": frozenset({PARTNER_DEPARTMENT}),
    f"POST {ND1}/withdraw": frozenset({PARTNER_DEPARTMENT}),
    f"POST {ND1}/accept": CIVIL_AFFAIRS,
    f"POST {ND1}/return": CIVIL_AFFAIRS,
    f"POST {PJ}": CIVIL_AFFAIRS,
    f"GET {PJ}": PROJECT_READERS,
    f"GET {PJ1}": PROJECT_READERS,
    f"PATCH {PJ1}": CIVIL_AFFAIRS,
    f"PUT {PJ1}/assessment": CIVIL_AFFAIRS,
    f"PUT {PJ1}/cost-lines": CIVIL_AFFAIRS,
    f"PUT {PJ1}/targets": CIVIL_AFFAIRS,
    f"POST {PJ1}/withdraw": CIVIL_AFFAIRS,
    f"POST {BG}": CIVIL_AFFAIRS,
    f"GET {BG}": BUDGET_READERS,
    f"GET {BG1}": BUDGET_READERS,
    f"POST {BG1}/lines": CIVIL_AFFAIRS,
    f"PUT {BG1}/lines/{{line_id}}": CIVIL_AFFAIRS,
    f"DELETE {BG1}/lines/{{line_id}}": CIVIL_AFFAIRS,
    f"POST {BG1}/submit": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {BG1}/decision": frozenset({FINANCE_APPROVER}),
    f"GET {T}/budget-lines": BUDGET_READERS,
    f"GET {T}/budget-lines/{{line_id}}": BUDGET_READERS,
    # Tendering's legal rules, tightened per region.
    f"GET {TR}": RULES_READERS,
    f"PUT {TR}": RULES_WRITERS,
    # --- credit ---
    # Civil affairs records a provider's disqualification and another approver confirms,
    # rejects or revokes it; the region's administrator reads the records; a provider's users
    # read their own record, across regions.
    f"POST {DQ}": frozenset({CIVIL_AFFAIRS_OFFICER}),
    f"GET {DQ}": CREDIT_READERS,
    f"GET {DQ1}": CREDIT_READERS,
    f"POST {DQ1}/confirm": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {DQ1}/reject": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {DQ1}/revoke": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"GET {T}/provider-bars/{{provider_id}}": CREDIT_READERS,
    "GET /v1/me/disqualifications": frozenset({PROVIDER_ADMIN, PROVIDER_STAFF}),
    # Tendering: civil affairs runs procurements, finance approves methods, the approver
    # awards; providers ask, bid and challenge; committee members score.
    f"POST {PR}": CIVIL_AFFAIRS,
    f"GET {PR}": PROCUREMENT_READERS,
    f"GET {PR1}": PROCUREMENT_READERS,
    f"POST {PR1}/submit-for-approval": CIVIL_AFFAIRS,
    f"POST {PR1}/single-source-notice": CIVIL_AFFAIRS,
    f"POST {PR1}/approval": frozenset({FINANCE_APPROVER}),
    f"POST {PR1}/publish": CIVIL_AFFAIRS,
    f"POST {PR1}/cancel": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"GET {PR1}/bids": PROCUREMENT_READERS,
    f"POST {PR1}/committee": CIVIL_AFFAIRS,
    f"GET {PR1}/committee": PROCUREMENT_READERS,
    f"GET {PR1}/report": PROCUREMENT_READERS,
    f"POST {PR1}/award": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {PR1}/result": CIVIL_AFFAIRS,
    f"POST {PR1}/enquiries/{{enquiry_id}}/answer": CIVIL_AFFAIRS,
    f"POST {PR1}/challenges/{{challenge_id}}/answer": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {PR1}/enquiries": BIDDERS,
    f"POST {PR1}/bids": BIDDERS,
    f"PUT {PR1}/bids/{{bid_id}}": BIDDERS,
    f"POST {PR1}/bids/{{bid_id}}/withdraw": BIDDERS,
    f"GET {PR1}/my-bids": BIDDERS,
    f"POST {PR1}/challenges": BIDDERS,
    f"GET {PR1}/challenges": CIVIL_AFFAIRS | BIDDERS,
    # Every enquiry and objection, answered or not, is the buyer's to see and answer.
    f"GET {PR1}/enquiries/all": PROCUREMENT_READERS,
    f"POST {PR1}/rounds": CIVIL_AFFAIRS,
    f"GET {PR1}/negotiation": PROCUREMENT_READERS,
    f"POST {PR1}/conclude-negotiation": CIVIL_AFFAIRS,
    f"POST {PR1}/exclusions": CIVIL_AFFAIRS,
    f"POST {PR1}/offers": BIDDERS,
    f"GET {PR1}/my-offers": BIDDERS,
    f"POST {PR1}/scores": SCORERS,
    f"GET {PR1}/scores": SCORERS,
    f"PUT {T}/experts/{{user_id}}": frozenset({CIVIL_AFFAIRS_APPROVER, TENANT_ADMIN}),
    f"GET {T}/experts": frozenset({CIVIL_AFFAIRS_APPROVER, TENANT_ADMIN}),
}

# Routes for anyone, signed in or not.
PUBLIC = {
    "GET /healthz",
    "GET /readyz",
    "POST /v1/auth/login",
    "POST /v1/auth/refresh",
    "POST /v1/auth/logout",
    "POST /v1/providers",
    # A signed, short-lived link is the credential (like a presigned S3 URL).
    f"GET {DOC}/versions/{{version}}/content",
    # Public notices and the answers to enquiries are for everyone.
    "GET /v1/notices",
    "GET /v1/notices/{notice_id}",
    f"GET {PR1}/enquiries",
}
DOCS_PREFIX = "/schema"  # Litestar's OpenAPI routes
ACCESS_KEYS = ("public", "authenticated", "permission")


# --- the world each cell acts in ---------------------------------------------------------------


def fresh_uscc() -> str:
    """A valid 统一社会信用代码 of a 民办非企业单位 in 广州 (type 52), never seen before."""
    body = f"52{GZ}MJ{random.randrange(10**7):07d}"
    return body + uscc.calc_check_digit(body)


@dataclass
class World:
    """Demo ids and makers of throwaway objects, so no cell changes shared demo data."""

    client: AsyncTestClient[Litestar]
    login: Login
    city_codes: Iterator[str]
    gz_civil_affairs_id: str
    sunshine_gz_registration_id: str
    scratch_organisation_id: str
    # On 阳光's 广州 registration: one kept by civil affairs, one by 阳光 itself.
    government_document_id: str
    provider_document_id: str

    async def as_role(self, role: str) -> Headers:
        return await self.login(ROLE_LOGINS[role])

    async def fresh_tenant(self, active: bool = True) -> str:
        platform = await self.as_role(PLATFORM_ADMIN)
        code = next(self.city_codes)
        response = await self.client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"矩阵市{code}"}
        )
        assert response.status_code == 201, response.text
        if not active:
            response = await self.client.post(
                f"/v1/platform/tenants/{code}/deactivate", headers=platform
            )
            assert response.status_code == 200, response.text
        return code

    async def fresh_user(self) -> tuple[str, str]:
        """A government account with no role yet: (id, login)."""
        login = unique_email("matrix")
        response = await self.client.post(
            f"/v1/tenants/{GZ}/users",
            headers=await self.as_role(TENANT_ADMIN),
            json={"login": login, "display_name": "矩阵测试", "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        return response.json()["id"], login

    async def fresh_membership(self) -> str:
        _, login = await self.fresh_user()
        response = await self.client.post(
            f"/v1/tenants/{GZ}/memberships",
            headers=await self.as_role(TENANT_ADMIN),
            json={"login": login, "role": EXPERT},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def fresh_platform_grant(self) -> str:
        user_id, login = await self.fresh_user()
        response = await self.client.post(
            "/v1/platform/role-grants",
            headers=await self.as_role(PLATFORM_ADMIN),
            json={"login": login, "role": MINISTRY_VIEWER},
        )
        assert response.status_code == 204, response.text
        return user_id

    async def pending_registration(self) -> str:
        """A new provider signs up and applies to 广州; its registration waits for a decision."""
        admin_login = unique_email("provider")
        response = await self.client.post(
            "/v1/providers",
            json={
                "uscc": fresh_uscc(),
                "name": f"矩阵社工服务中心{uuid.uuid4().hex[:8]}",
                "admin_login": admin_login,
                "admin_name": "矩阵管理员",
                "admin_password": PASSWORD,
            },
        )
        assert response.status_code == 201, response.text
        applicant = await self.login(admin_login, PASSWORD)
        response = await self.client.post(
            f"/v1/tenants/{GZ}/provider-registrations", headers=applicant, json={}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


async def _own_province(client: AsyncTestClient[Litestar], platform: Headers) -> str:
    """A province of our own, so the tenants cells create collide with no other test."""
    for prefix in random.sample(range(60, 99), 39):
        code = f"{prefix}0000"
        response = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"矩阵省{prefix}"}
        )
        if response.status_code == 201:
            return code[:2]
    raise AssertionError("no free province code")


@pytest.fixture(scope="module")
async def world(
    client: AsyncTestClient[Litestar], login: Login, admin_db: asyncpg.Connection
) -> World:
    platform = await login(ROLE_LOGINS[PLATFORM_ADMIN])
    province = await _own_province(client, platform)
    civil_affairs = await admin_db.fetchval(
        "SELECT id FROM organisations WHERE tenant_id = $1 AND name = '广州市民政局'", GZ
    )
    sunshine = await admin_db.fetchval(
        "SELECT r.id FROM provider_registrations r JOIN providers p ON p.id = r.provider_id"
        " WHERE r.tenant_id = $1 AND p.uscc = '51440100MJL000010Q'",
        GZ,
    )
    scratch = await client.post(
        f"/v1/tenants/{GZ}/organisations",
        headers=await login(ROLE_LOGINS[TENANT_ADMIN]),
        json={
            "kind": "partner_department",
            "name": f"矩阵改名对象{uuid.uuid4().hex[:8]}",
            "sector": "other",
        },
    )
    assert scratch.status_code == 201, scratch.text
    documents = []
    for role in (CIVIL_AFFAIRS_OFFICER, PROVIDER_ADMIN):
        uploaded = await _upload(client, await login(ROLE_LOGINS[role]), str(sunshine))
        assert uploaded.status_code == 201, uploaded.text
        documents.append(uploaded.json()["id"])
    return World(
        client=client,
        login=login,
        city_codes=iter([f"{province}{city:02d}00" for city in range(1, 100)]),
        gz_civil_affairs_id=str(civil_affairs),
        sunshine_gz_registration_id=str(sunshine),
        scratch_organisation_id=scratch.json()["id"],
        government_document_id=documents[0],
        provider_document_id=documents[1],
    )


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def _upload(
    client: AsyncTestClient[Litestar], h: Headers, registration_id: str
) -> httpx.Response:
    """A small PDF on a provider registration: the one object type both sides may use."""
    return await client.post(
        f"/v1/tenants/{GZ}/documents",
        headers=h,
        params={
            "object_type": "registration",
            "object_id": registration_id,
            "filename": "材料.pdf",
        },
        content=PDF,
    )


# --- one call per route, with input valid enough to pass the handler ---------------------------

Call = Callable[[World, Headers], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Cell:
    call: Call
    # What an allowed role gets from the handler. Not 2xx only where no valid input exists
    # for the demo user (e.g. 阳光 is registered in 广州 already).
    ok: frozenset[int] = frozenset({200})


CALLS: dict[str, Cell] = {}


def calls(route: str, *ok: int) -> Callable[[Call], Call]:
    def register(call: Call) -> Call:
        CALLS[route] = Cell(call, frozenset(ok or {200}))
        return call

    return register


@calls("GET /v1/tenants")
async def _list_tenants(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/tenants", headers=h)


@calls("GET /v1/tenants/{tenant}")
async def _get_tenant(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}", headers=h)


@calls("POST /v1/platform/tenants", 201)
async def _create_tenant(w: World, h: Headers) -> httpx.Response:
    code = next(w.city_codes)
    return await w.client.post(
        "/v1/platform/tenants", headers=h, json={"code": code, "name": f"矩阵市{code}"}
    )


@calls("POST /v1/platform/tenants/{code}/deactivate")
async def _deactivate(w: World, h: Headers) -> httpx.Response:
    code = await w.fresh_tenant()
    return await w.client.post(f"/v1/platform/tenants/{code}/deactivate", headers=h)


@calls("GET /v1/platform/dead-letters")
async def _list_dead_letters(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/platform/dead-letters", headers=h)


@calls("POST /v1/platform/dead-letters/{dead_letter_id}/replay", 404)
async def _replay_dead_letter(w: World, h: Headers) -> httpx.Response:
    # Replaying a real one is tested with the jobs; here the guard is what is under test.
    return await w.client.post(f"/v1/platform/dead-letters/{uuid.uuid4().hex}/replay", headers=h)


@calls("POST /v1/platform/tenants/{code}/activate")
async def _activate(w: World, h: Headers) -> httpx.Response:
    code = await w.fresh_tenant(active=False)
    return await w.client.post(f"/v1/platform/tenants/{code}/activate", headers=h)


@calls("POST /v1/platform/role-grants", 204)
async def _grant_platform_role(w: World, h: Headers) -> httpx.Response:
    _, login = await w.fresh_user()
    return await w.client.post(
        "/v1/platform/role-grants", headers=h, json={"login": login, "role": MINISTRY_VIEWER}
    )


@calls("DELETE /v1/platform/role-grants/{user_id}/{role}", 204)
async def _revoke_platform_role(w: World, h: Headers) -> httpx.Response:
    user_id = await w.fresh_platform_grant()
    return await w.client.delete(f"/v1/platform/role-grants/{user_id}/{MINISTRY_VIEWER}", headers=h)


@calls("GET /v1/platform/audit")
async def _platform_audit(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/platform/audit", headers=h)


@calls(f"GET {T}/organisations")
async def _list_organisations(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/organisations", headers=h)


@calls(f"POST {T}/organisations", 201)
async def _create_organisation(w: World, h: Headers) -> httpx.Response:
    name = f"矩阵部门{uuid.uuid4().hex[:8]}"
    body = {"kind": "partner_department", "name": name, "sector": "other"}
    return await w.client.post(f"/v1/tenants/{GZ}/organisations", headers=h, json=body)


@calls(f"GET {T}/organisations/{{organisation_id}}")
async def _get_organisation(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/organisations/{w.gz_civil_affairs_id}", headers=h)


@calls(f"PATCH {T}/organisations/{{organisation_id}}")
async def _update_organisation(w: World, h: Headers) -> httpx.Response:
    return await w.client.patch(
        f"/v1/tenants/{GZ}/organisations/{w.scratch_organisation_id}",
        headers=h,
        json={"name": f"矩阵改名{uuid.uuid4().hex[:8]}"},
    )


@calls(f"GET {T}/memberships")
async def _list_memberships(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/memberships", headers=h)


@calls(f"POST {T}/memberships", 201)
async def _grant_membership(w: World, h: Headers) -> httpx.Response:
    _, login = await w.fresh_user()
    return await w.client.post(
        f"/v1/tenants/{GZ}/memberships", headers=h, json={"login": login, "role": EVALUATOR}
    )


@calls(f"DELETE {T}/memberships/{{membership_id}}", 204)
async def _revoke_membership(w: World, h: Headers) -> httpx.Response:
    membership_id = await w.fresh_membership()
    return await w.client.delete(f"/v1/tenants/{GZ}/memberships/{membership_id}", headers=h)


@calls(f"POST {T}/users", 201)
async def _create_user(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        f"/v1/tenants/{GZ}/users",
        headers=h,
        json={"login": unique_email("matrix"), "display_name": "新同事", "password": PASSWORD},
    )


@calls(f"GET {T}/audit")
async def _tenant_audit(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/audit", headers=h)


@calls(f"GET {T}/provider-registrations")
async def _list_registrations(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/provider-registrations", headers=h)


# The demo provider_admin's provider (阳光) is registered in 广州 already: the handler's 409.
@calls(f"POST {T}/provider-registrations", 409)
async def _apply(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        f"/v1/tenants/{GZ}/provider-registrations", headers=h, json={"note": "申请登记"}
    )


@calls(f"GET {REG}")
async def _get_registration(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(
        f"/v1/tenants/{GZ}/provider-registrations/{w.sunshine_gz_registration_id}", headers=h
    )


@calls(f"POST {REG}/approve")
async def _approve(w: World, h: Headers) -> httpx.Response:
    registration_id = await w.pending_registration()
    return await w.client.post(
        f"/v1/tenants/{GZ}/provider-registrations/{registration_id}/approve",
        headers=h,
        json={"note": "材料齐全"},
    )


@calls(f"POST {REG}/reject")
async def _reject(w: World, h: Headers) -> httpx.Response:
    registration_id = await w.pending_registration()
    return await w.client.post(
        f"/v1/tenants/{GZ}/provider-registrations/{registration_id}/reject",
        headers=h,
        json={"note": "材料不全"},
    )


@calls("GET /v1/me/registrations")
async def _my_registrations(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/me/registrations", headers=h)


@calls("POST /v1/me/provider/users", 201)
async def _add_staff(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        "/v1/me/provider/users",
        headers=h,
        json={"login": unique_email("staff"), "display_name": "社工", "password": PASSWORD},
    )


@calls("GET /v1/me")
async def _me(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/me", headers=h)


# The demo passwords must stay; a wrong current password is the handler's own 422.
@calls("POST /v1/me/password", 422)
async def _change_password(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        "/v1/me/password",
        headers=h,
        json={"current_password": "not-the-password-1", "new_password": "Another2026pass"},
    )


@calls(f"POST {DOCS}", 201)
async def _upload_document(w: World, h: Headers) -> httpx.Response:
    return await _upload(w.client, h, w.sunshine_gz_registration_id)


@calls(f"GET {DOCS}")
async def _list_documents(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/documents", headers=h)


@calls(f"GET {DOC}")
async def _get_document(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/documents/{w.government_document_id}", headers=h)


@calls(f"GET {DOC}/download")
async def _download_document(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(
        f"/v1/tenants/{GZ}/documents/{w.government_document_id}/download", headers=h
    )


@calls(f"POST {DOC}/versions", 201)
async def _add_document_version(w: World, h: Headers) -> httpx.Response:
    """Each side versions the documents it keeps: a provider's users their provider's."""
    me = await w.client.get("/v1/me", headers=h)
    provider = me.json()["user"]["provider_id"]
    document = w.provider_document_id if provider else w.government_document_id
    return await w.client.post(
        f"/v1/tenants/{GZ}/documents/{document}/versions",
        headers=h,
        params={"filename": "材料-修订.pdf"},
        content=PDF,
    )


async def _fresh_webhook(w: World) -> str:
    """A switched-off endpoint in 广州: later events there are not sent to it."""
    response = await w.client.post(
        f"/v1/tenants/{GZ}/webhooks",
        headers=await w.as_role(TENANT_ADMIN),
        json={
            "url": "https://hooks.example.org/sws",
            "event_types": ["membership.granted"],
            "active": False,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


_shared_webhooks: dict[int, str] = {}


async def _webhook(w: World) -> str:
    """One endpoint for the cells that read or change one (a region has at most 20)."""
    if id(w) not in _shared_webhooks:
        _shared_webhooks[id(w)] = await _fresh_webhook(w)
    return _shared_webhooks[id(w)]


# The inbox's own paths are tested in test_notifications; here a random id is the handler's 404.
@calls("GET /v1/me/notifications")
async def _my_notifications(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/me/notifications", headers=h)


@calls("GET /v1/me/notifications/unread-count")
async def _my_unread_count(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/me/notifications/unread-count", headers=h)


@calls("POST /v1/me/notifications/{notification_id}/read", 404)
async def _mark_read(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(f"/v1/me/notifications/{uuid.uuid4()}/read", headers=h)


@calls("POST /v1/me/notifications/read-all")
async def _mark_all_read(w: World, h: Headers) -> httpx.Response:
    return await w.client.post("/v1/me/notifications/read-all", headers=h)


@calls("GET /v1/me/notification-preferences")
async def _my_preferences(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/me/notification-preferences", headers=h)


@calls("PUT /v1/me/notification-preferences")
async def _set_preferences(w: World, h: Headers) -> httpx.Response:
    # Email on is the default for this event type: the demo users' mail is unchanged.
    body = {"items": [{"event_type": "membership.granted", "email": True}]}
    return await w.client.put("/v1/me/notification-preferences", headers=h, json=body)


@calls(f"GET {T}/webhooks")
async def _list_webhooks(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/webhooks", headers=h)


@calls(f"POST {T}/webhooks", 201)
async def _create_webhook(w: World, h: Headers) -> httpx.Response:
    body = {
        "url": "https://hooks.example.org/matrix",
        "event_types": ["provider_registration.approved"],
        "active": False,
    }
    return await w.client.post(f"/v1/tenants/{GZ}/webhooks", headers=h, json=body)


@calls(f"GET {WH}")
async def _get_webhook(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/webhooks/{await _webhook(w)}", headers=h)


@calls(f"PATCH {WH}")
async def _update_webhook(w: World, h: Headers) -> httpx.Response:
    return await w.client.patch(
        f"/v1/tenants/{GZ}/webhooks/{await _webhook(w)}",
        headers=h,
        json={"description": f"矩阵{uuid.uuid4().hex[:8]}"},
    )


@calls(f"DELETE {WH}", 204)
async def _delete_webhook(w: World, h: Headers) -> httpx.Response:
    webhook_id = await _fresh_webhook(w)
    response = await w.client.delete(f"/v1/tenants/{GZ}/webhooks/{webhook_id}", headers=h)
    if response.status_code != 204:  # refused: do not leave it behind
        await w.client.delete(
            f"/v1/tenants/{GZ}/webhooks/{webhook_id}", headers=await w.as_role(TENANT_ADMIN)
        )
    return response


@calls(f"POST {WH}/rotate-secret")
async def _rotate_webhook_secret(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        f"/v1/tenants/{GZ}/webhooks/{await _webhook(w)}/rotate-secret", headers=h
    )


@calls(f"GET {WH}/deliveries")
async def _webhook_deliveries(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(
        f"/v1/tenants/{GZ}/webhooks/{await _webhook(w)}/deliveries", headers=h
    )


# --- planning: each cell makes its own objects, as the roles that make them ---------------------


def _planner(w: World) -> Planner:
    return Planner(w.client, w.login, GZ)


def _content() -> dict[str, Any]:
    body = declaration_body(GZ)
    del body["fiscal_year"]
    return body


@calls(f"POST {ND}", 201)
async def _declare(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        f"/v1/tenants/{GZ}/needs-declarations", headers=h, json=declaration_body(GZ)
    )


@calls(f"GET {ND}")
async def _list_declarations(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/needs-declarations", headers=h)


@calls(f"GET {ND1}")
async def _read_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await _planner(w).declaration()
    return await w.client.get(f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}", headers=h)


@calls(f"PUT {ND1}")
async def _revise_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await _planner(w).declaration(submit=False)
    url = f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}"
    return await w.client.put(url, headers=h, json=_content())


@calls(f"POST {ND1}/submit")
async def _submit_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await _planner(w).declaration(submit=False)
    url = f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}/submit"
    return await w.client.post(url, headers=h)


@calls(f"POST {ND1}/withdraw")
async def _withdraw_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await _planner(w).declaration(submit=False)
    url = f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}/withdraw"
    return await w.client.post(url, headers=h)


@calls(f"POST {ND1}/accept")
async def _accept_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await _planner(w).declaration()
    url = f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}/accept"
    return await w.client.post(url, headers=h, json={})


@calls(f"POST {ND1}/return")
async def _return_declaration(w: World, h: Headers) -> httpx.Response:
    declaration = await _planner(w).declaration()
    url = f"/v1/tenants/{GZ}/needs-declarations/{declaration['id']}/return"
    return await w.client.post(url, headers=h, json={"comment": "请补充"})


@calls(f"POST {PJ}", 201)
async def _create_project(w: World, h: Headers) -> httpx.Response:
    body = {
        "fiscal_year": YEAR,
        "title": "矩阵立项",
        "programme_area": "special_groups",
        "target_groups": ["at_risk_youth"],
        "county_code": "440106",
        "estimated_beneficiaries": 50,
        "rationale": "民政部门自行立项",
    }
    return await w.client.post(f"/v1/tenants/{GZ}/projects", headers=h, json=body)


@calls(f"GET {PJ}")
async def _list_projects(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/projects", headers=h)


@calls(f"GET {PJ1}")
async def _read_project(w: World, h: Headers) -> httpx.Response:
    planner = _planner(w)
    declaration = await planner.accepted_declaration()
    project = await planner.project([declaration["id"]], costed=False)
    return await w.client.get(f"/v1/tenants/{GZ}/projects/{project['id']}", headers=h)


@calls(f"PATCH {PJ1}")
async def _update_project(w: World, h: Headers) -> httpx.Response:
    project = await _planner(w).project(costed=False)
    url = f"/v1/tenants/{GZ}/projects/{project['id']}"
    return await w.client.patch(url, headers=h, json={"estimated_beneficiaries": 60})


@calls(f"PUT {PJ1}/assessment")
async def _assess_project(w: World, h: Headers) -> httpx.Response:
    project = await _planner(w).project(costed=False)
    body = {
        "survey_method": "问卷",
        "survey_period": "2026年10月",
        "findings": "需求明确",
        "conclusion": "建议立项",
    }
    url = f"/v1/tenants/{GZ}/projects/{project['id']}/assessment"
    return await w.client.put(url, headers=h, json=body)


@calls(f"PUT {PJ1}/cost-lines")
async def _cost_project(w: World, h: Headers) -> httpx.Response:
    project = await _planner(w).project(costed=False)
    url = f"/v1/tenants/{GZ}/projects/{project['id']}/cost-lines"
    return await w.client.put(url, headers=h, json={"lines": COST_LINES})


@calls(f"PUT {PJ1}/targets")
async def _target_project(w: World, h: Headers) -> httpx.Response:
    project = await _planner(w).project(costed=False)
    body = {
        "targets": [
            {"dimension": "quantity", "name": "服务人次", "unit": "人次", "target_value": "800"}
        ]
    }
    url = f"/v1/tenants/{GZ}/projects/{project['id']}/targets"
    return await w.client.put(url, headers=h, json=body)


@calls(f"POST {PJ1}/withdraw")
async def _withdraw_project(w: World, h: Headers) -> httpx.Response:
    project = await _planner(w).project(costed=False)
    url = f"/v1/tenants/{GZ}/projects/{project['id']}/withdraw"
    return await w.client.post(url, headers=h, json={"reason": "需求已由其他项目覆盖"})


@calls(f"POST {BG}", 201)
async def _create_budget(w: World, h: Headers) -> httpx.Response:
    body = {"fiscal_year": YEAR, "title": "矩阵预算"}
    return await w.client.post(f"/v1/tenants/{GZ}/budgets", headers=h, json=body)


@calls(f"GET {BG}")
async def _list_budgets(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/budgets", headers=h)


@calls(f"GET {BG1}")
async def _read_budget(w: World, h: Headers) -> httpx.Response:
    budget = await _planner(w).budget(projects=0)
    return await w.client.get(f"/v1/tenants/{GZ}/budgets/{budget['id']}", headers=h)


@calls(f"POST {BG1}/lines", 201)
async def _add_budget_line(w: World, h: Headers) -> httpx.Response:
    planner = _planner(w)
    budget = await planner.budget(projects=0)
    project = await planner.project()
    body = {
        "project_id": project["id"],
        "amount": COSTED_TOTAL,
        "sources": [{"source": "general_budget", "amount": COSTED_TOTAL}],
    }
    return await w.client.post(
        f"/v1/tenants/{GZ}/budgets/{budget['id']}/lines", headers=h, json=body
    )


async def _draft_line(w: World) -> tuple[str, str]:
    planner = _planner(w)
    budget = await planner.budget()
    detail = await w.client.get(
        f"/v1/tenants/{GZ}/budgets/{budget['id']}", headers=await w.as_role(FINANCE_OFFICER)
    )
    return budget["id"], detail.json()["lines"][0]["id"]


@calls(f"PUT {BG1}/lines/{{line_id}}")
async def _change_budget_line(w: World, h: Headers) -> httpx.Response:
    budget_id, line_id = await _draft_line(w)
    body = {"amount": COSTED_TOTAL, "sources": [{"source": "social_funds", "amount": COSTED_TOTAL}]}
    url = f"/v1/tenants/{GZ}/budgets/{budget_id}/lines/{line_id}"
    return await w.client.put(url, headers=h, json=body)


@calls(f"DELETE {BG1}/lines/{{line_id}}", 204)
async def _remove_budget_line(w: World, h: Headers) -> httpx.Response:
    budget_id, line_id = await _draft_line(w)
    return await w.client.delete(f"/v1/tenants/{GZ}/budgets/{budget_id}/lines/{line_id}", headers=h)


@calls(f"POST {BG1}/submit")
async def _submit_budget(w: World, h: Headers) -> httpx.Response:
    budget = await _planner(w).budget()
    return await w.client.post(f"/v1/tenants/{GZ}/budgets/{budget['id']}/submit", headers=h)


@calls(f"POST {BG1}/decision")
async def _decide_budget(w: World, h: Headers) -> httpx.Response:
    budget = await _planner(w).submitted_budget()
    url = f"/v1/tenants/{GZ}/budgets/{budget['id']}/decision"
    return await w.client.post(url, headers=h, json={"outcome": "approved"})


@calls(f"GET {T}/budget-lines")
async def _list_budget_lines(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/budget-lines", headers=h)


@calls(f"GET {T}/budget-lines/{{line_id}}")
async def _read_budget_line(w: World, h: Headers) -> httpx.Response:
    _, line_id = await _draft_line(w)
    return await w.client.get(f"/v1/tenants/{GZ}/budget-lines/{line_id}", headers=h)


@calls(f"GET {TR}")
async def _read_tendering_rules(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/tendering-rules", headers=h)


@calls(f"PUT {TR}")
async def _set_tendering_rules(w: World, h: Headers) -> httpx.Response:
    # The national defaults: 广州's rules stay as every other test expects them.
    return await w.client.put(f"/v1/tenants/{GZ}/tendering-rules", headers=h, json={})


# --- credit: each cell disqualifies a provider of its own, never a demo one ---------------------


async def _credit_provider(w: World) -> str:
    """A new provider that has applied to 广州 (so 广州 may disqualify it)."""
    provider = await credit.new_provider(w.client, w.login, approved_in=(), pending_in=(GZ,))
    return provider.id


async def _proposed(w: World) -> str:
    provider_id = await _credit_provider(w)
    recorded = await credit.record(w.client, await w.as_role(CIVIL_AFFAIRS_OFFICER), provider_id)
    return str(recorded["id"])


_shared_disqualifications: dict[int, str] = {}


async def _a_disqualification(w: World) -> str:
    if id(w) not in _shared_disqualifications:
        _shared_disqualifications[id(w)] = await _proposed(w)
    return _shared_disqualifications[id(w)]


@calls(f"POST {DQ}", 201)
async def _record_disqualification(w: World, h: Headers) -> httpx.Response:
    body = credit.record_body(await _credit_provider(w))
    return await w.client.post(f"/v1/tenants/{GZ}/disqualifications", headers=h, json=body)


@calls(f"GET {DQ}")
async def _list_disqualifications(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/disqualifications", headers=h)


@calls(f"GET {DQ1}")
async def _read_disqualification(w: World, h: Headers) -> httpx.Response:
    url = f"/v1/tenants/{GZ}/disqualifications/{await _a_disqualification(w)}"
    return await w.client.get(url, headers=h)


@calls(f"POST {DQ1}/confirm")
async def _confirm_disqualification(w: World, h: Headers) -> httpx.Response:
    url = f"/v1/tenants/{GZ}/disqualifications/{await _proposed(w)}/confirm"
    return await w.client.post(url, headers=h, json={})


@calls(f"POST {DQ1}/reject")
async def _reject_disqualification(w: World, h: Headers) -> httpx.Response:
    url = f"/v1/tenants/{GZ}/disqualifications/{await _proposed(w)}/reject"
    return await w.client.post(url, headers=h, json={"note": "证据不足"})


@calls(f"POST {DQ1}/revoke")
async def _revoke_disqualification(w: World, h: Headers) -> httpx.Response:
    disqualification_id = await _proposed(w)
    await credit.decide(w.client, await w.as_role(CIVIL_AFFAIRS_APPROVER), disqualification_id)
    url = f"/v1/tenants/{GZ}/disqualifications/{disqualification_id}/revoke"
    return await w.client.post(url, headers=h, json={"reason": "处罚决定被撤销"})


@calls(f"GET {T}/provider-bars/{{provider_id}}")
async def _provider_bars(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/provider-bars/{uuid.uuid4()}", headers=h)


@calls("GET /v1/me/disqualifications")
async def _my_disqualifications(w: World, h: Headers) -> httpx.Response:
    return await w.client.get("/v1/me/disqualifications", headers=h)


# --- tendering: a small line funds many small procurements; guards are what is under test -----

_SHARED: dict[str, str] = {}


async def _tender_line(w: World, fresh: bool = False) -> str:
    if fresh or "line" not in _SHARED:
        budget = await _planner(w).approved_budget()
        _SHARED["line"] = budget["lines"][0]["id"]
    return _SHARED["line"]


# Each cell's procurement commits this much of the shared line; a spent line is replaced.
SMALL = {"budget_amount": "100.00", "ceiling_price": "90.00", "bid_security": "0"}


async def _create(w: World, h: Headers, **changes: Any) -> httpx.Response:
    url = f"/v1/tenants/{GZ}/procurements"
    body = procurement_body(await _tender_line(w), **SMALL, **changes)
    created = await w.client.post(url, headers=h, json=body)
    if created.status_code == 409 and created.json().get("code") == "budget_exceeded":
        body = procurement_body(await _tender_line(w, fresh=True), **SMALL, **changes)
        created = await w.client.post(url, headers=h, json=body)
    return created


async def _procurement(w: World, publish: bool = False, **changes: Any) -> str:
    officer = await w.as_role(CIVIL_AFFAIRS_OFFICER)
    created = await _create(w, officer, **changes)
    assert created.status_code == 201, created.text
    pid = str(created.json()["id"])
    if publish:
        url = f"/v1/tenants/{GZ}/procurements/{pid}/publish"
        published = await w.client.post(url, headers=officer, json={})
        assert published.status_code == 200, published.text
    return pid


async def _registered_providers(w: World) -> list[str]:
    """Three providers registered in 广州: the demo's two and one more."""
    if "providers" not in _SHARED:
        officer = await w.as_role(CIVIL_AFFAIRS_APPROVER)
        registration_id = await w.pending_registration()
        approved = await w.client.post(
            f"/v1/tenants/{GZ}/provider-registrations/{registration_id}/approve",
            headers=officer,
            json={},
        )
        assert approved.status_code == 200, approved.text
        listed = await w.client.get(
            f"/v1/tenants/{GZ}/provider-registrations",
            headers=officer,
            params={"status": "approved", "limit": 200},
        )
        _SHARED["providers"] = ",".join(r["provider_id"] for r in listed.json()["items"][:3])
    return _SHARED["providers"].split(",")


def _pr(pid: str, tail: str = "") -> str:
    return f"/v1/tenants/{GZ}/procurements/{pid}{tail}"


@calls(f"POST {PR}", 201)
async def _create_procurement(w: World, h: Headers) -> httpx.Response:
    return await _create(w, h)


@calls(f"GET {PR}")
async def _list_procurements(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/procurements", headers=h)


@calls(f"GET {PR1}")
async def _read_procurement(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w)), headers=h)


@calls(f"POST {PR1}/submit-for-approval")
async def _submit_for_approval(w: World, h: Headers) -> httpx.Response:
    pid = await _procurement(
        w,
        method="invited_tender",
        method_reason="limited_suppliers",
        method_justification="资质机构有限",
        invited_provider_ids=await _registered_providers(w),
    )
    return await w.client.post(_pr(pid, "/submit-for-approval"), headers=h)


@calls(f"POST {PR1}/single-source-notice")
async def _single_source_notice(w: World, h: Headers) -> httpx.Response:
    pid = await _procurement(
        w,
        method="single_source",
        method_reason="only_one_supplier",
        method_justification="唯一供应商",
        proposed_provider_id=(await _registered_providers(w))[0],
    )
    return await w.client.post(_pr(pid, "/single-source-notice"), headers=h)


@calls(f"POST {PR1}/approval")
async def _approve_method(w: World, h: Headers) -> httpx.Response:
    pid = await _procurement(
        w,
        method="invited_tender",
        method_reason="limited_suppliers",
        method_justification="资质机构有限",
        invited_provider_ids=await _registered_providers(w),
    )
    officer = await w.as_role(CIVIL_AFFAIRS_OFFICER)
    submitted = await w.client.post(_pr(pid, "/submit-for-approval"), headers=officer)
    assert submitted.status_code == 200, submitted.text
    return await w.client.post(_pr(pid, "/approval"), headers=h, json={"approve": True})


@calls(f"POST {PR1}/publish")
async def _publish_procurement(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_pr(await _procurement(w), "/publish"), headers=h, json={})


@calls(f"POST {PR1}/cancel")
async def _cancel_procurement(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/cancel")
    return await w.client.post(url, headers=h, json={"reason": "需求变化"})


# Before the opening the bids are sealed: the handler's own 409.
@calls(f"GET {PR1}/bids", 409)
async def _list_bids(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/bids"), headers=h)


# A draft has no opened bids to evaluate: the handler's own 409.
@calls(f"POST {PR1}/committee", 409)
async def _draw_committee(w: World, h: Headers) -> httpx.Response:
    body = {"experts": 5, "speciality": "social_work"}
    return await w.client.post(_pr(await _procurement(w), "/committee"), headers=h, json=body)


@calls(f"GET {PR1}/committee")
async def _read_committee(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/committee"), headers=h)


@calls(f"GET {PR1}/report")
async def _read_report(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/report"), headers=h)


@calls(f"POST {PR1}/award", 409)
async def _award(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_pr(await _procurement(w), "/award"), headers=h)


@calls(f"POST {PR1}/result", 409)
async def _result(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_pr(await _procurement(w), "/result"), headers=h)


@calls(f"POST {PR1}/enquiries/{{enquiry_id}}/answer", 404)
async def _answer_enquiry(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), f"/enquiries/{uuid.uuid4()}/answer")
    return await w.client.post(url, headers=h, json={"answer": "答复"})


@calls(f"POST {PR1}/challenges/{{challenge_id}}/answer", 404)
async def _answer_challenge(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), f"/challenges/{uuid.uuid4()}/answer")
    return await w.client.post(url, headers=h, json={"outcome": "dismissed", "answer": "不成立"})


@calls(f"POST {PR1}/enquiries", 201)
async def _ask(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), "/enquiries")
    return await w.client.post(url, headers=h, json={"question": "服务期从何时开始？"})


@calls(f"POST {PR1}/bids", 201)
async def _bid(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), "/bids")
    return await w.client.post(url, headers=h, json={"price": "80.00"})


@calls(f"PUT {PR1}/bids/{{bid_id}}", 404)
async def _replace_bid(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), f"/bids/{uuid.uuid4()}")
    return await w.client.put(url, headers=h, json={"price": "80.00"})


@calls(f"POST {PR1}/bids/{{bid_id}}/withdraw", 404)
async def _withdraw_bid(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), f"/bids/{uuid.uuid4()}/withdraw")
    return await w.client.post(url, headers=h)


@calls(f"GET {PR1}/my-bids")
async def _my_bids(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/my-bids"), headers=h)


# No result to challenge yet: the handler's own 409.
@calls(f"POST {PR1}/challenges", 409)
async def _challenge(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w, publish=True), "/challenges")
    return await w.client.post(url, headers=h, json={"grounds": "评审不公"})


@calls(f"GET {PR1}/enquiries/all")
async def _received_enquiries(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/enquiries/all"), headers=h)


@calls(f"GET {PR1}/challenges")
async def _list_challenges(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/challenges"), headers=h)


# A draft open tender has no negotiation: the handler's own 409.
@calls(f"POST {PR1}/rounds", 409)
async def _open_round(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(_pr(await _procurement(w), "/rounds"), headers=h, json={})


@calls(f"GET {PR1}/negotiation")
async def _negotiation(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/negotiation"), headers=h)


@calls(f"POST {PR1}/conclude-negotiation", 409)
async def _conclude_negotiation(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/conclude-negotiation")
    return await w.client.post(url, headers=h, json={"minutes": "纪要"})


@calls(f"POST {PR1}/exclusions", 409)
async def _exclude(w: World, h: Headers) -> httpx.Response:
    body = {"provider_id": str(uuid.uuid4()), "reason": "未实质性响应"}
    return await w.client.post(_pr(await _procurement(w), "/exclusions"), headers=h, json=body)


@calls(f"POST {PR1}/offers", 409)
async def _offer(w: World, h: Headers) -> httpx.Response:
    url = _pr(await _procurement(w), "/offers")
    return await w.client.post(url, headers=h, json={"price": "80.00"})


@calls(f"GET {PR1}/my-offers")
async def _my_offers(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/my-offers"), headers=h)


# Scores are taken during the evaluation only: the handler's own 409.
@calls(f"POST {PR1}/scores", 409)
async def _score(w: World, h: Headers) -> httpx.Response:
    body = {"scores": [{"bid_id": str(uuid.uuid4()), "criterion": "服务方案", "score": "1"}]}
    return await w.client.post(_pr(await _procurement(w), "/scores"), headers=h, json=body)


# Nobody has scored: a non-member learns nothing (404); the buyer is told to wait (409).
@calls(f"GET {PR1}/scores", 404, 409)
async def _read_scores(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(_pr(await _procurement(w), "/scores"), headers=h)


@calls(f"PUT {T}/experts/{{user_id}}")
async def _register_expert(w: World, h: Headers) -> httpx.Response:
    user_id, login = await w.fresh_user()
    granted = await w.client.post(
        f"/v1/tenants/{GZ}/memberships",
        headers=await w.as_role(TENANT_ADMIN),
        json={"login": login, "role": EXPERT},
    )
    assert granted.status_code == 201, granted.text
    body = {"user_id": user_id, "specialities": ["social_work"], "employer": "某大学"}
    return await w.client.put(f"/v1/tenants/{GZ}/experts/{user_id}", headers=h, json=body)


@calls(f"GET {T}/experts")
async def _list_experts(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/experts", headers=h)


# --- the cells ---------------------------------------------------------------------------------


def assert_forbidden(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "forbidden", response.text


CELLS = [(route, role) for route in EXPECTED for role in ROLES]


@pytest.mark.parametrize(("route", "role"), CELLS, ids=[f"{r}-{role}" for r, role in CELLS])
async def test_cell(world: World, route: str, role: str) -> None:
    cell = CALLS[route]
    response = await cell.call(world, await world.as_role(role))
    if role in EXPECTED[route]:
        assert response.status_code not in (401, 403), f"{role} refused: {response.text}"
        assert response.status_code in cell.ok, response.text
    else:
        assert_forbidden(response)


def test_matrix_names_the_thirteen_roles() -> None:
    assert set(ROLES) == {role.value for role in Role}
    assert set(ROLE_LOGINS) == set(ROLES)


def test_every_matrix_row_has_a_call() -> None:
    assert set(CALLS) == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
async def test_each_demo_user_holds_exactly_its_role(
    client: AsyncTestClient[Litestar], login: Login, role: str
) -> None:
    """The matrix speaks of roles but calls as demo users: each must hold just that role."""
    response = await client.get("/v1/me", headers=await login(ROLE_LOGINS[role]))
    assert response.status_code == 200, response.text
    assert [held["role"] for held in response.json()["roles"]] == [role]


# --- every route of the app declares its access, and has a row here ----------------------------


def _template(path: str) -> str:
    """'/v1/tenants/{tenant:str}' → '/v1/tenants/{tenant}'."""
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


def declared_routes(app: Litestar) -> dict[str, dict[str, Any]]:
    """'METHOD /path' → the handler's opt, for every route the app serves.

    Litestar adds an OPTIONS handler to every path by itself; it declares nothing, so the
    guard refuses it like any undeclared route. Those are left out here.
    """
    routes: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"unexpected route kind at {route.path}"
        for handler in route.route_handlers:
            for method in handler.http_methods - {"OPTIONS"}:
                routes[f"{method} {_template(route.path)}"] = dict(handler.opt)
    return routes


def _access(opt: dict[str, Any]) -> list[str]:
    return [key for key in ACCESS_KEYS if key in opt]


def _is_docs(key: str) -> bool:
    return key.split(" ", 1)[1].startswith(DOCS_PREFIX)


def test_every_api_handler_declares_exactly_one_access_level(
    client: AsyncTestClient[Litestar],
) -> None:
    wrong = []
    for key, opt in declared_routes(client.app).items():
        if _is_docs(key):
            continue
        access = _access(opt)
        if len(access) != 1:
            wrong.append(f"{key}: declares {access or 'nothing'}")
        elif access == ["permission"] and not isinstance(opt["permission"], str):
            wrong.append(f"{key}: permission is not a string")
        elif access != ["permission"] and opt[access[0]] is not True:
            wrong.append(f"{key}: {access[0]} is not True")
    assert not wrong, "\n".join(wrong)


def test_openapi_docs_declare_an_access_level(client: AsyncTestClient[Litestar]) -> None:
    """The app configures OpenAPI at /schema; undeclared, nobody could ever read it."""
    docs = {k: opt for k, opt in declared_routes(client.app).items() if _is_docs(k)}
    assert docs, "the OpenAPI routes moved: update DOCS_PREFIX"
    wrong = [k for k, opt in docs.items() if _access(opt) not in (["public"], ["authenticated"])]
    assert not wrong, "\n".join(sorted(wrong))


def test_every_route_has_a_row(client: AsyncTestClient[Litestar]) -> None:
    """A new route needs a matrix row (or a public entry) that matches what it declares."""
    served = {k: opt for k, opt in declared_routes(client.app).items() if not _is_docs(k)}
    wrong = []
    for key, opt in served.items():
        access = _access(opt)
        if key in PUBLIC:
            if access != ["public"]:
                wrong.append(f"{key}: listed as public but declares {access}")
        elif key in EXPECTED:
            # A route every role may use can equally be declared 'authenticated'.
            fits = [["permission"]] + ([["authenticated"]] if EXPECTED[key] == EVERYONE else [])
            if access not in fits:
                wrong.append(f"{key}: matrix row {sorted(EXPECTED[key])} but declares {access}")
        else:
            wrong.append(f"{key}: no matrix row and not listed as public")
    stale = (set(EXPECTED) | PUBLIC) - set(served)
    wrong += [f"{key}: row for a route the app does not serve" for key in sorted(stale)]
    assert not wrong, "\n".join(wrong)


# --- without a token ---------------------------------------------------------------------------


def _example_path(route: str) -> tuple[str, str]:
    method, template = route.split(" ", 1)
    values = {"tenant": GZ, "code": GZ, "role": MINISTRY_VIEWER}
    return method, re.sub(
        r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), template
    )


@pytest.mark.parametrize("route", list(EXPECTED))
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz"],
    ids=["none", "bad", "basic"],
)
async def test_protected_route_without_a_valid_token_is_401(
    client: AsyncTestClient[Litestar], route: str, authorization: str | None
) -> None:
    method, path = _example_path(route)
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.request(method, path, headers=headers, json={})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthorized"
