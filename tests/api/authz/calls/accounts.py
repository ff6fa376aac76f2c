"""Calls of the routes of identity and tenancy: regions, the platform's own business, a city's
organisations, accounts and roles, provider registrations, and one's own account."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import EVALUATOR, MINISTRY_VIEWER, REG, T
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import PASSWORD, World
from tests.support.accounts import unique_email
from tests.support.client import Headers
from tests.support.demo import GZ

plain("GET /v1/tenants")
plain("GET /v1/tenants/{tenant}")


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


plain("GET /v1/platform/dead-letters")


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


plain("GET /v1/platform/audit")
plain(f"GET {T}/organisations")


@calls(f"POST {T}/organisations", 201)
async def _create_organisation(w: World, h: Headers) -> httpx.Response:
    name = f"矩阵部门{uuid.uuid4().hex[:8]}"
    body = {"kind": "partner_department", "name": name, "sector": "other"}
    return await w.client.post(f"/v1/tenants/{GZ}/organisations", headers=h, json=body)


plain(f"GET {T}/organisations/{{organisation_id}}", organisation_id=lambda w: w.gz_civil_affairs_id)


@calls(f"PATCH {T}/organisations/{{organisation_id}}")
async def _update_organisation(w: World, h: Headers) -> httpx.Response:
    return await w.client.patch(
        f"/v1/tenants/{GZ}/organisations/{w.scratch_organisation_id}",
        headers=h,
        json={"name": f"矩阵改名{uuid.uuid4().hex[:8]}"},
    )


plain(f"GET {T}/memberships")


@calls(f"POST {T}/memberships", 201)
async def _grant_membership(w: World, h: Headers) -> httpx.Response:
    _, login = await w.fresh_user()
    return await w.client.post(
        f"/v1/tenants/{GZ}/memberships", headers=h, json={"login": login, "role": EVALUATOR}
    )


@calls(f"DELETE {T}/memberships/{{membership_id}}", 204)
async def _revoke_membership(w: World, h: Headers) -> httpx.Response:
    _, membership_id = await w.fresh_expert()
    return await w.client.delete(f"/v1/tenants/{GZ}/memberships/{membership_id}", headers=h)


@calls(f"POST {T}/users", 201)
async def _create_user(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        f"/v1/tenants/{GZ}/users",
        headers=h,
        json={"login": unique_email("matrix"), "display_name": "新同事", "password": PASSWORD},
    )


plain(f"GET {T}/audit")
plain(f"GET {T}/provider-registrations")


# The demo provider_admin's provider (阳光) is registered in 广州 already: the handler's 409.
@calls(f"POST {T}/provider-registrations", 409)
async def _apply(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        f"/v1/tenants/{GZ}/provider-registrations", headers=h, json={"note": "申请登记"}
    )


plain(f"GET {REG}", registration_id=lambda w: w.sunshine_gz_registration_id)


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


plain("GET /v1/me/registrations")


@calls("POST /v1/me/provider/users", 201)
async def _add_staff(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        "/v1/me/provider/users",
        headers=h,
        json={"login": unique_email("staff"), "display_name": "社工", "password": PASSWORD},
    )


plain("GET /v1/me")


# The demo passwords must stay; a wrong current password is the handler's own 422.
@calls("POST /v1/me/password", 422)
async def _change_password(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(
        "/v1/me/password",
        headers=h,
        json={"current_password": "not-the-password-1", "new_password": "Another2026pass"},
    )
