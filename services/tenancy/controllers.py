"""HTTP routes of the tenancy context.

Tenant-scoped routes live under ``/v1/tenants/{tenant}``; platform routes under
``/v1/platform``. Each route declares its permission; the guard checks it.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy import Row, select

from services.identity import service as identity
from services.identity.service import PlatformGrant, UserCreate, UserOut, user_out
from services.kit.audit import AuditEntry
from services.kit.authz.enforcer import Authorizer
from services.kit.authz.roles import PLATFORM_ROLES, Role
from services.kit.errors import InvalidField, NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, AfterSeq, Limit, Offset, Page
from services.kit.settings import Settings
from services.kit.types import CodePath, NamePath
from services.tenancy import providers, regions, repository
from services.tenancy.codes import Level, ProviderKind
from services.tenancy.errors import RoleNotGrantable
from services.tenancy.models import Membership, Organisation, ProviderRegistration, Tenant
from services.tenancy.schemas import (
    AuditEntryOut,
    MembershipGrant,
    MembershipOut,
    OrganisationCreate,
    OrganisationKind,
    OrganisationOut,
    OrganisationUpdate,
    ProviderOut,
    ProviderSignup,
    RegistrationApply,
    RegistrationDecision,
    RegistrationOut,
    RegistrationStatus,
    Sector,
    TenantCreate,
    TenantOut,
)


def tenant_out(tenant: Tenant) -> TenantOut:
    return TenantOut(
        code=tenant.code,
        name=tenant.name,
        level=Level(tenant.level),
        parent_code=tenant.parent_code,
        active=tenant.active,
    )


def organisation_out(org: Organisation | Row[Any]) -> OrganisationOut:
    return OrganisationOut(
        id=org.id,
        tenant_id=org.tenant_id,
        kind=OrganisationKind(org.kind),
        sector=Sector(org.sector) if org.sector else None,
        name=org.name,
        active=org.active,
    )


def membership_out(m: Membership) -> MembershipOut:
    return MembershipOut(
        id=m.id,
        tenant_id=m.tenant_id,
        user_id=m.user_id,
        role=Role(m.role),
        organisation_id=m.organisation_id,
        created_at=m.created_at,
    )


def registration_out(row: tuple[ProviderRegistration, str]) -> RegistrationOut:
    reg, provider_name = row
    return RegistrationOut(
        id=reg.id,
        tenant_id=reg.tenant_id,
        provider_id=reg.provider_id,
        provider_name=provider_name,
        status=RegistrationStatus(reg.status),
        note=reg.note,
        created_at=reg.created_at,
        decided_at=reg.decided_at,
    )


def audit_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        before=entry.before,
        after=entry.after,
        request_id=entry.request_id,
        hash=entry.hash,
    )


async def read_audit(
    session: Session, tenant: FromPath[str], after_seq: int, limit: int
) -> list[AuditEntryOut]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant, AuditEntry.seq > after_seq)
        .order_by(AuditEntry.seq)
        .limit(limit)
    )
    return [audit_out(entry) for entry in rows]


def is_platform_admin(request: Request[Any, Any, Any], actor: CurrentActor) -> bool:
    authorizer: Authorizer = request.app.state.authorizer
    return (Role.platform_admin.value, "*") in authorizer.roles_of(actor.user_id)


class TenantController(Controller):
    path = "/v1/tenants"
    tags = ["tenancy"]

    @get("/", opt={"authenticated": True})
    async def list_tenants(
        self, session: Session, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> Page[TenantOut]:
        """Regions on this platform, by division code."""
        tenants = await repository.list_tenants(session, limit, offset)
        return Page(items=[tenant_out(t) for t in tenants], limit=limit, offset=offset)

    @get("/{tenant:str}", opt={"authenticated": True})
    async def get_tenant(self, session: Session, tenant: FromPath[str]) -> TenantOut:
        return tenant_out(await regions.get_tenant(session, tenant))


class PlatformController(Controller):
    path = "/v1/platform"
    tags = ["platform"]

    @post("/tenants", opt={"permission": "tenant:create"})
    async def create_tenant(
        self, session: Session, actor: CurrentActor, data: JSONBody[TenantCreate]
    ) -> TenantOut:
        """Put a region on the platform; its level and parent follow from the code."""
        return tenant_out(await regions.create_tenant(session, actor, data.code, data.name))

    @post("/tenants/{code:str}/deactivate", opt={"permission": "tenant:manage"}, status_code=200)
    async def deactivate_tenant(
        self, session: Session, actor: CurrentActor, code: CodePath
    ) -> TenantOut:
        """Switch a region off: none of its users can act in it until it is reactivated."""
        return tenant_out(await regions.set_tenant_active(session, actor, code, False))

    @post("/tenants/{code:str}/activate", opt={"permission": "tenant:manage"}, status_code=200)
    async def activate_tenant(
        self, session: Session, actor: CurrentActor, code: CodePath
    ) -> TenantOut:
        return tenant_out(await regions.set_tenant_active(session, actor, code, True))

    @post(
        "/role-grants", opt={"permission": "platform_grant:manage"}, status_code=HTTP_204_NO_CONTENT
    )
    async def grant_platform_role(
        self, session: Session, actor: CurrentActor, data: JSONBody[PlatformGrant]
    ) -> None:
        """Grant platform_admin or ministry_viewer (roles held across all regions)."""
        if data.role not in PLATFORM_ROLES:
            raise RoleNotGrantable("only platform-wide roles are granted here", field="role")
        user = await identity.find_user(session, data.login)
        if user is None or user.provider_id is not None:
            raise InvalidField("no government account has this login", field="login")
        await identity.grant_platform_role(session, actor, user, data.role.value)

    @delete("/role-grants/{user_id:uuid}/{role:str}", opt={"permission": "platform_grant:manage"})
    async def revoke_platform_role(
        self,
        session: Session,
        actor: CurrentActor,
        user_id: FromPath[uuid.UUID],
        role: NamePath,
    ) -> None:
        if not await identity.revoke_platform_role(session, actor, user_id, role):
            raise NotFound("The user does not hold this role.")

    @get("/audit", opt={"permission": "platform_audit:read"})
    async def platform_audit(
        self,
        session: Session,
        actor: CurrentActor,
        after_seq: AfterSeq = 0,
        limit: Limit = DEFAULT_LIMIT,
    ) -> list[AuditEntryOut]:
        """The platform's own chain: regions, platform roles, provider sign-ups."""
        return await read_audit(session, actor.tenant, after_seq, limit)


class OrganisationController(Controller):
    path = f"{TENANT_PATH}/organisations"
    tags = ["tenancy"]

    @get("/", opt={"permission": "organisation:read"})
    async def list_organisations(
        self,
        session: Session,
        actor: CurrentActor,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[OrganisationOut]:
        rows = await repository.list_organisations(session, actor.tenant, limit, offset)
        return Page(items=[organisation_out(o) for o in rows], limit=limit, offset=offset)

    @post("/", opt={"permission": "organisation:write"})
    async def create_organisation(
        self, session: Session, actor: CurrentActor, data: JSONBody[OrganisationCreate]
    ) -> OrganisationOut:
        """Add a bureau (民政、财政) or a partner department (妇联、团委、残联 …)."""
        org = await regions.create_organisation(session, actor, data.kind, data.name, data.sector)
        return organisation_out(org)

    @get("/{organisation_id:uuid}", opt={"permission": "organisation:read"})
    async def get_organisation(
        self, session: Session, actor: CurrentActor, organisation_id: FromPath[uuid.UUID]
    ) -> OrganisationOut:
        return organisation_out(
            await regions.get_organisation(session, actor.tenant, organisation_id)
        )

    @patch("/{organisation_id:uuid}", opt={"permission": "organisation:write"})
    async def update_organisation(
        self,
        session: Session,
        actor: CurrentActor,
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[OrganisationUpdate],
    ) -> OrganisationOut:
        changes = {
            k: v
            for k, v in (("name", data.name), ("sector", data.sector), ("active", data.active))
            if v is not None
        }
        org = await regions.update_organisation(session, actor, organisation_id, changes)
        return organisation_out(org)


class MembershipController(Controller):
    path = TENANT_PATH
    tags = ["tenancy"]

    @get("/memberships", opt={"permission": "membership:read"})
    async def list_memberships(
        self,
        session: Session,
        actor: CurrentActor,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[MembershipOut]:
        rows = await repository.list_memberships(session, actor.tenant, limit, offset)
        return Page(items=[membership_out(m) for m in rows], limit=limit, offset=offset)

    @post("/memberships", opt={"permission": "membership:grant"})
    async def grant(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        data: JSONBody[MembershipGrant],
    ) -> MembershipOut:
        """Grant a role in this tenant; in force in every API process within a second."""
        membership = await regions.grant_role(
            session,
            actor,
            login=data.login,
            role=data.role,
            organisation_id=data.organisation_id,
            by_platform_admin=is_platform_admin(request, actor),
        )
        return membership_out(membership)

    @delete("/memberships/{membership_id:uuid}", opt={"permission": "membership:revoke"})
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        membership_id: FromPath[uuid.UUID],
    ) -> None:
        await regions.revoke_role(
            session, actor, membership_id, by_platform_admin=is_platform_admin(request, actor)
        )

    @post("/users", opt={"permission": "user:create"})
    async def create_user(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        data: JSONBody[UserCreate],
    ) -> UserOut:
        """Open an account for a colleague; grant it roles next."""
        settings: Settings = request.app.state.settings
        user = await identity.create_user(
            session,
            settings,
            actor,
            login=data.login,
            display_name=data.display_name,
            password=data.password,
        )
        return user_out(user)

    @get("/audit", opt={"permission": "audit:read"})
    async def audit(
        self,
        session: Session,
        actor: CurrentActor,
        after_seq: AfterSeq = 0,
        limit: Limit = DEFAULT_LIMIT,
    ) -> list[AuditEntryOut]:
        """This tenant's audit chain in order, from ``after_seq``."""
        return await read_audit(session, actor.tenant, after_seq, limit)


class RegistrationController(Controller):
    path = f"{TENANT_PATH}/provider-registrations"
    tags = ["providers"]

    @get("/", opt={"permission": "provider_registration:read"})
    async def list_registrations(
        self,
        session: Session,
        actor: CurrentActor,
        status: FromQuery[RegistrationStatus | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[RegistrationOut]:
        """Providers registered here; a provider's own users see only their own."""
        rows = await repository.list_registrations(
            session,
            actor.tenant,
            actor.provider_id,
            status.value if status else None,
            limit,
            offset,
        )
        return Page(items=[registration_out(r) for r in rows], limit=limit, offset=offset)

    @post("/", opt={"permission": "provider_registration:apply"})
    async def apply(
        self, session: Session, actor: CurrentActor, data: JSONBody[RegistrationApply]
    ) -> RegistrationOut:
        """A provider asks to work in this region; civil affairs decides."""
        return registration_out(await providers.apply_for_registration(session, actor, data.note))

    @get("/{registration_id:uuid}", opt={"permission": "provider_registration:read"})
    async def get_registration(
        self, session: Session, actor: CurrentActor, registration_id: FromPath[uuid.UUID]
    ) -> RegistrationOut:
        return registration_out(await providers.get_registration(session, actor, registration_id))

    @post(
        "/{registration_id:uuid}/approve",
        opt={"permission": "provider_registration:decide"},
        status_code=200,
    )
    async def approve(
        self,
        session: Session,
        actor: CurrentActor,
        registration_id: FromPath[uuid.UUID],
        data: JSONBody[RegistrationDecision],
    ) -> RegistrationOut:
        return registration_out(
            await providers.decide_registration(session, actor, registration_id, True, data.note)
        )

    @post(
        "/{registration_id:uuid}/reject",
        opt={"permission": "provider_registration:decide"},
        status_code=200,
    )
    async def reject(
        self,
        session: Session,
        actor: CurrentActor,
        registration_id: FromPath[uuid.UUID],
        data: JSONBody[RegistrationDecision],
    ) -> RegistrationOut:
        return registration_out(
            await providers.decide_registration(session, actor, registration_id, False, data.note)
        )


class ProviderController(Controller):
    tags = ["providers"]

    @post("/v1/providers", opt={"public": True})
    async def sign_up(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        data: JSONBody[ProviderSignup],
    ) -> ProviderOut:
        """A social organisation opens its one account for all regions."""
        settings: Settings = request.app.state.settings
        provider, _ = await providers.sign_up_provider(
            session,
            settings,
            actor,
            uscc=data.uscc,
            name=data.name,
            admin_login=data.admin_login,
            admin_name=data.admin_name,
            admin_password=data.admin_password,
        )
        return ProviderOut(
            id=provider.id, uscc=provider.uscc, name=provider.name, kind=ProviderKind(provider.kind)
        )

    @get("/v1/me/registrations", opt={"permission": "provider_registration:read_own"})
    async def my_registrations(
        self,
        session: Session,
        actor: CurrentActor,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[RegistrationOut]:
        """Every region the provider has applied to, in one view."""
        rows = await repository.list_registrations(
            session, None, actor.provider_id, None, limit, offset
        )
        return Page(items=[registration_out(r) for r in rows], limit=limit, offset=offset)

    @post("/v1/me/provider/users", opt={"permission": "provider_user:manage"})
    async def add_staff(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        data: JSONBody[UserCreate],
    ) -> UserOut:
        """A provider's administrator adds a staff account for the same provider."""
        settings: Settings = request.app.state.settings
        return user_out(
            await providers.add_provider_user(
                session,
                settings,
                actor,
                login=data.login,
                display_name=data.display_name,
                password=data.password,
            )
        )
