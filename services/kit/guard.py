"""The one guard on every route, and the per-request unit of work.

Each route handler declares exactly one of: ``opt={"public": True}``,
``opt={"authenticated": True}`` (any signed-in user) or ``opt={"permission": "..."}``.
A permission route may add ``"object": (kind, path_param)``: then a role held on that one
object (``tenancy.service.grant_on_object``) grants the permission too, besides the tenant's.
A permission route may add ``"regions": "enclosing"``: a role held in a region enclosing the
path's tenant (its city, its province, by GB/T 2260 code) grants it too; ``"regions"`` of any
value also makes the path's tenant 404 to a user who holds the permission only elsewhere.
A route that declares none is refused (deny by default), and a test lists the routes.
Tenant-scoped routes carry the tenant in the path as ``{tenant}``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import structlog
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.audit import Actor
from services.kit.authn import Principal, read_access_token
from services.kit.authz.enforcer import (
    PLATFORM_DOMAIN,
    Authorizer,
    object_domain,
    roles_granting,
)
from services.kit.db import PLATFORM_TENANT, bind_tenant
from services.kit.errors import DomainError, Forbidden, InvalidField, NotFound, Unauthorized
from services.kit.settings import Settings


class TenantInactive(DomainError):
    status = 403
    code = "tenant_inactive"
    title = "Tenant deactivated"


TENANT_CODE = re.compile(r"\d{6}")


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Sign in and send the access token as 'Authorization: Bearer …'.")
    return token.strip()


async def _tenant_active(
    authorizer: Authorizer, sessionmaker: async_sessionmaker[AsyncSession], code: str
) -> bool | None:
    known = authorizer.tenant_active(code)
    if known is not None:
        return known
    # Created a moment ago in another process, or no such tenant: ask the database.
    async with sessionmaker() as session:
        row = (
            await session.execute(text("SELECT active FROM tenants WHERE code = :c"), {"c": code})
        ).first()
    return None if row is None else bool(row.active)


async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    opt = handler.opt
    state = connection.scope.setdefault("state", {})
    state["route"] = connection.scope.get("path_template") or (
        handler.paths and next(iter(handler.paths))
    )
    tenant = connection.path_params.get("tenant")
    # Checked before anything reads it: a stray byte must not reach the database as a code.
    if tenant is not None and not TENANT_CODE.fullmatch(tenant):
        raise InvalidField("must be a six-digit division code", field="tenant")
    if opt.get("public"):
        return
    settings: Settings = connection.app.state.settings
    principal = read_access_token(settings, _bearer(connection))
    connection.scope["user"] = principal
    state["user_id"] = str(principal.user_id)
    structlog.contextvars.bind_contextvars(user=str(principal.user_id))
    if tenant is not None:
        state["tenant"] = tenant
        structlog.contextvars.bind_contextvars(tenant=tenant)
    if opt.get("authenticated"):
        return
    permission = opt.get("permission")
    if not isinstance(permission, str):
        raise Forbidden("This route declares no permission, so nobody may use it.")
    authorizer: Authorizer = connection.app.state.authorizer
    if tenant is not None:
        active = await _tenant_active(authorizer, connection.app.state.sessionmaker, tenant)
        if active is None:
            raise NotFound("No such tenant.")
        if not active:
            raise TenantInactive("This tenant has been deactivated.")
    domain = tenant or PLATFORM_DOMAIN
    if await authorizer.allowed_for_token(
        principal.user_id, domain, permission, principal.issued_at
    ):
        return
    regions = opt.get("regions")
    if tenant is not None and regions is not None:
        await _region_access(authorizer, principal, tenant, permission, regions == "enclosing")
        return
    on_object = _object_domain(connection, opt, tenant)
    if on_object is None or not await authorizer.allowed_for_token(
        principal.user_id, on_object, permission, principal.issued_at
    ):
        raise Forbidden(f"Your roles here do not grant '{permission}'.")


def enclosing(code: str) -> list[str]:
    """The city and the province a division code lies in (GB/T 2260), without itself."""
    outer = [code[:4] + "00", code[:2] + "0000"]
    return [region for region in dict.fromkeys(outer) if region != code]


async def _region_access(
    authorizer: Authorizer, principal: Principal, tenant: str, permission: str, outer: bool
) -> None:
    for region in enclosing(tenant) if outer else []:
        if await authorizer.allowed_for_token(
            principal.user_id, region, permission, principal.issued_at
        ):
            return
    held = {domain for _, domain in authorizer.roles_of(principal.user_id)}
    if any(authorizer.allowed(principal.user_id, domain, permission) for domain in held):
        raise NotFound("No such region among yours.")
    raise Forbidden(f"Your roles here do not grant '{permission}'.")


def roles_used(request: Request[Any, Any, Any]) -> list[str]:
    """The signed-in user's roles that let them through this route: held in the path's tenant,
    a region enclosing it or platform-wide, and granting the route's permission. What an export
    names as its exporter instead of the person."""
    principal = request.scope.get("user")
    permission = request.route_handler.opt.get("permission")
    if not isinstance(principal, Principal) or not isinstance(permission, str):
        return []
    tenant = request.path_params.get("tenant")
    domains = {PLATFORM_DOMAIN} | ({tenant, *enclosing(tenant)} if tenant else set())
    authorizer: Authorizer = request.app.state.authorizer
    granting = roles_granting(permission)
    held = authorizer.roles_of(principal.user_id)
    return sorted({role for role, domain in held if domain in domains and role in granting})


def _object_domain(
    connection: ASGIConnection[Any, Any, Any, Any], opt: dict[str, Any], tenant: str | None
) -> str | None:
    """The domain of the one object the route names, for routes that accept object roles."""
    scoped = opt.get("object")
    if tenant is None or scoped is None:
        return None
    kind, param = scoped
    object_id = connection.path_params.get(param)
    return None if object_id is None else object_domain(tenant, kind, object_id)


async def provide_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """One transaction per request, bound to the path's tenant (or the platform's own)."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    tenant = request.path_params.get("tenant", PLATFORM_TENANT)
    async with sessionmaker() as session, session.begin():
        user = request.scope.get("user")
        provider_id = user.provider_id if isinstance(user, Principal) else None
        await bind_tenant(session, tenant, provider_id)
        yield session


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    user = request.scope.get("user")
    principal = user if isinstance(user, Principal) else None
    return Actor(
        user_id=principal.user_id if principal else None,
        tenant=request.path_params.get("tenant", PLATFORM_TENANT),
        request_id=request.scope.get("state", {}).get("request_id"),
        provider_id=principal.provider_id if principal else None,
    )


# Where every tenant-scoped route lives: the guard and the session read {tenant} from it.
TENANT_PATH = "/v1/tenants/{tenant:str}"

# Handler parameter types: the per-request transaction and the acting user.
Session = NamedDependency[AsyncSession]
CurrentActor = NamedDependency[Actor]
