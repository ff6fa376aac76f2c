"""What other contexts use of tenancy: regions and their codes, organisations, who holds a
role where, providers and their registrations. Other contexts import this module only; none of
these functions commits (the request or job does)."""

from services.tenancy.codes import Level, check_division_code, check_uscc, division_level
from services.tenancy.holders import (
    holders,
    is_registered,
    organisations_of,
    provider_admins,
    registered_providers,
    roles_in,
)
from services.tenancy.holidays import note_provisional, register_calendar_listener
from services.tenancy.object_grants import grant_on_object, object_grantees, revoke_on_object
from services.tenancy.providers import (
    add_provider_user,
    apply_for_registration,
    decide_registration,
    get_provider,
    get_registration,
    provider_registration_id,
    sign_up_provider,
)
from services.tenancy.regions import (
    buying_organisation,
    create_organisation,
    create_tenant,
    get_organisation,
    get_tenant,
    grant_role,
)
from services.tenancy.ties import Tie, evaluators, ties_between

__all__ = [
    "Level",
    "Tie",
    "add_provider_user",
    "apply_for_registration",
    "buying_organisation",
    "check_division_code",
    "check_uscc",
    "create_organisation",
    "create_tenant",
    "decide_registration",
    "division_level",
    "evaluators",
    "get_organisation",
    "get_provider",
    "get_registration",
    "get_tenant",
    "grant_on_object",
    "grant_role",
    "holders",
    "is_registered",
    "note_provisional",
    "object_grantees",
    "organisations_of",
    "provider_admins",
    "provider_registration_id",
    "register_calendar_listener",
    "registered_providers",
    "revoke_on_object",
    "roles_in",
    "sign_up_provider",
    "ties_between",
]
