"""The demo world the suite runs in (``services.demo``): its regions, users and providers."""

from __future__ import annotations

import asyncpg

GD, GZ, SZ = "440000", "440100", "440300"  # 广东省, 广州市, 深圳市
SUNSHINE_USCC = "51440100MJL000010Q"  # 广州市阳光社会工作服务中心
PENGCHENG_USCC = "52440300MJL0000201"  # 深圳市鹏城社工服务社


def city_login(role: str, city: str = GZ) -> str:
    """The demo login of a role in one of the demo cities."""
    slug = {GZ: "gz", SZ: "sz"}[city]
    return f"{role.replace('_', '-')}@{slug}.demo.gov.cn"


# One demo user per role; the city roles are held in 广州.
ROLE_LOGINS = {
    "platform_admin": "platform@demo.gov.cn",
    "ministry_viewer": "ministry@demo.gov.cn",
    "province_viewer": "viewer@gd.demo.gov.cn",
    "tenant_admin": city_login("tenant_admin"),
    "civil_affairs_officer": city_login("civil_affairs_officer"),
    "civil_affairs_approver": city_login("civil_affairs_approver"),
    "finance_officer": city_login("finance_officer"),
    "finance_approver": city_login("finance_approver"),
    "partner_department": city_login("partner_department"),
    "provider_admin": "admin@sunshine.demo.org.cn",
    "provider_staff": "staff@sunshine.demo.org.cn",
    "expert": city_login("expert"),
    "evaluator": city_login("evaluator"),
}


async def registration_id(admin_db: asyncpg.Connection, tenant: str, provider_uscc: str) -> str:
    """The id of a demo provider's registration in a region."""
    found = await admin_db.fetchval(
        "SELECT r.id FROM provider_registrations r JOIN providers p ON p.id = r.provider_id"
        " WHERE r.tenant_id = $1 AND p.uscc = $2",
        tenant,
        provider_uscc,
    )
    return str(found)
