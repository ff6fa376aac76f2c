"""The roles of the platform and where each may be held."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    platform_admin = "platform_admin"
    ministry_viewer = "ministry_viewer"
    province_viewer = "province_viewer"
    tenant_admin = "tenant_admin"
    civil_affairs_officer = "civil_affairs_officer"
    civil_affairs_approver = "civil_affairs_approver"
    finance_officer = "finance_officer"
    finance_approver = "finance_approver"
    partner_department = "partner_department"
    provider_admin = "provider_admin"
    provider_staff = "provider_staff"
    expert = "expert"
    evaluator = "evaluator"
    # 验收小组成员 who is not a government user: holds the role on one acceptance only.
    acceptance_member = "acceptance_member"
    # An expert of the province's library drawn onto a city's committee: holds the role on
    # that one procurement only, from the draw until replaced.
    committee_expert = "committee_expert"


# Held platform-wide (Casbin domain "*"), granted only by a platform admin.
PLATFORM_ROLES = frozenset({Role.platform_admin, Role.ministry_viewer})
# Held by a provider's users; they follow the provider into every region it works in.
PROVIDER_ROLES = frozenset({Role.provider_admin, Role.provider_staff})
# Held on one object of one tenant (Casbin domain "<tenant>/<kind>/<id>"), granted by the
# context that owns the object: an account scoped to that object only.
OBJECT_ROLES = frozenset({Role.acceptance_member, Role.committee_expert})
# Held in one tenant. A tenant admin grants all of these but province_viewer, which a
# platform admin grants in a province's own tenant.
TENANT_ROLES = frozenset(set(Role) - PLATFORM_ROLES - PROVIDER_ROLES - OBJECT_ROLES)
GRANTABLE_BY_TENANT_ADMIN = TENANT_ROLES - {Role.province_viewer}
