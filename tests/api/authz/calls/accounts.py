"""Calls of the routes of identity and tenancy: regions, the platform's own business, a city's
organisations, accounts and roles, provider registrations, and one's own account."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import EVALUATOR, MINISTRY_VIEWER, REG, T
from tests.api.authz.registry import calls
from tests.api.authz.world import PASSWORD, World
from tests.support.accounts import unique_email
from tests.support.client import Headers
from tests.support.demo import GZ


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
