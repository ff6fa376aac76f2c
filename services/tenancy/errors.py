"""Refusals of the tenancy context."""

from services.kit.errors import Conflict, InvalidField


class TenantExists(Conflict):
    code = "tenant_exists"
    title = "Tenant exists"


class ParentTenantMissing(InvalidField):
    code = "parent_tenant_missing"
    title = "Parent region not on the platform"


class RoleNotGrantable(InvalidField):
    code = "role_not_grantable"
    title = "Role cannot be granted here"


class MembershipExists(Conflict):
    code = "membership_exists"
    title = "Role held already"


class ProviderExists(Conflict):
    code = "provider_exists"
    title = "Provider registered already"


class RegistrationExists(Conflict):
    code = "registration_exists"
    title = "Registration exists"


class RegistrationDecided(Conflict):
    code = "registration_decided"
    title = "Registration decided already"


class TieDeclared(Conflict):
    code = "tie_declared"
    title = "Declared already"
