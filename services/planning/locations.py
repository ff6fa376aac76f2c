"""Where a service is delivered must lie inside the region that buys it."""

from __future__ import annotations

from services.planning.errors import LocationOutsideTenant
from services.tenancy.service import Level, check_division_code, division_level


def within(tenant: str, code: str) -> bool:
    """A province covers its cities and counties, a city its counties, a county itself."""
    level = division_level(tenant)
    if level is Level.province:
        return code[:2] == tenant[:2]
    if level is Level.city:
        return code[:4] == tenant[:4]
    return code == tenant


def check_location(tenant: str, code: str, field: str = "county_code") -> str:
    check_division_code(code, field=field)
    if not within(tenant, code):
        raise LocationOutsideTenant(f"{code} is not within region {tenant}", field=field)
    return code
