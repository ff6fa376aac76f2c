"""Demo data for ``make run``: 广东省 with 广州市 and 深圳市, one user per role, two providers,
a planning year in each city (``services.demo.planning``), an open tender under way in each
(``services.demo.tendering``) and a signed contract, published and filed, in each
(``services.demo.contracts``); in 广州 also a project that went all the way, from its purchase
to its archive (``services.demo.delivery``).

Everything goes through the same service functions as the API, so the demo is audited and
isolated like real data. Running it twice changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.demo.contracts import seed_contracts
from services.demo.delivery import CITY as DELIVERY_CITY
from services.demo.delivery import EVALUATOR_LOGIN, PANEL, seed_delivery
from services.demo.planning import seed_planning
from services.demo.tendering import seed_tendering
from services.identity import service as identity
from services.identity.models import User
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.db import PLATFORM_TENANT, bind_tenant, transaction
from services.kit.settings import Settings
from services.planning.service import ProgrammeArea
from services.tenancy import service as tenancy
from services.tenancy.models import Tenant
from services.tenancy.schemas import OrganisationKind, Sector
from services.tendering import rules as tendering_rules
from services.tendering import supplier_library
from services.tendering.supplier_library_schemas import EntryIn

DEMO_PASSWORD = "Demo2026pass"
PROVINCE = ("440000", "广东省")
PROVINCE_THRESHOLD = "4000000"
PROVINCE_FINANCE_APPROVER = "finance-approver@gd.demo.gov.cn"
CITIES = [("440100", "广州市", "gz"), ("440300", "深圳市", "sz")]
CITY_ROLES = [
    Role.tenant_admin,
    Role.civil_affairs_officer,
    Role.civil_affairs_approver,
    Role.finance_officer,
    Role.finance_approver,
    Role.partner_department,
    Role.expert,
    Role.evaluator,
]
# Beside 妇联 (the partner_department demo user's), two more departments declare needs.
MORE_DEPARTMENTS = [
    (Sector.youth_league, "共青团委员会", "youth-league"),
    (Sector.disabled_persons_federation, "残疾人联合会", "disabled-federation"),
]
PROVIDERS = [
    ("51440100MJL000010Q", "广州市阳光社会工作服务中心", "sunshine"),
    ("52440300MJL0000201", "深圳市鹏城社工服务社", "pengcheng"),
]


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    domain: str


async def seed(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> list[DemoLogin]:
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        seeded = await session.get(Tenant, PROVINCE[0]) is not None
    if not seeded:
        await _seed_regions(sessionmaker, settings)
    for code, name, slug in CITIES:
        await _seed_departments(sessionmaker, settings, code, name, slug)
        await seed_planning(sessionmaker, code, name)
        await seed_tendering(sessionmaker, settings, code, name)
        await seed_contracts(sessionmaker, settings, code, name)
        if code == DELIVERY_CITY:
            await seed_delivery(sessionmaker, settings, DEMO_PASSWORD, code, name)
    return demo_logins()


async def _seed_regions(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    system = Actor(user_id=None, tenant=PLATFORM_TENANT, request_id="demo-seed")

    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        await tenancy.create_tenant(session, system, *PROVINCE)
        for code, name, _ in CITIES:
            await tenancy.create_tenant(session, system, code, name)
        for role, login in (
            (Role.platform_admin, "platform@demo.gov.cn"),
            (Role.ministry_viewer, "ministry@demo.gov.cn"),
        ):
            user = await _user(session, settings, system, login)
            await identity.grant_platform_role(session, system, user, role.value)

    province = Actor(None, PROVINCE[0], "demo-seed")
    async with transaction(sessionmaker, PROVINCE[0]) as session:
        for role, login in (
            (Role.tenant_admin, "admin@gd.demo.gov.cn"),
            (Role.province_viewer, "viewer@gd.demo.gov.cn"),
            # The province's finance bureau keeps the expert and supplier libraries; its demo
            # expert.
            (Role.finance_officer, "finance-officer@gd.demo.gov.cn"),
            (Role.finance_approver, PROVINCE_FINANCE_APPROVER),
            (Role.expert, "expert@gd.demo.gov.cn"),
        ):
            await _user_with_role(session, settings, province, login, role, None)
        # The demo province's own open-tender threshold, binding its cities: the demo's
        # figure (many provinces chose 4,000,000 元 under 财库〔2019〕69号), not a looked-up one.
        await tendering_rules.set_overrides(
            session, province, {"open_tender_threshold_yuan": PROVINCE_THRESHOLD}
        )

    for code, name, slug in CITIES:
        city = Actor(None, code, "demo-seed")
        async with transaction(sessionmaker, code) as session:
            civil = await tenancy.create_organisation(
                session, city, OrganisationKind.civil_affairs, f"{name}民政局", None
            )
            finance = await tenancy.create_organisation(
                session, city, OrganisationKind.finance, f"{name}财政局", None
            )
            partner = await tenancy.create_organisation(
                session,
                city,
                OrganisationKind.partner_department,
                f"{name}妇女联合会",
                Sector.womens_federation,
            )
            home = {
                Role.civil_affairs_officer: civil.id,
                Role.civil_affairs_approver: civil.id,
                Role.finance_officer: finance.id,
                Role.finance_approver: finance.id,
                Role.partner_department: partner.id,
            }
            for role in CITY_ROLES:
                login = _city_login(role, slug)
                await _user_with_role(session, settings, city, login, role, home.get(role))

    for uscc, name, slug in PROVIDERS:
        async with transaction(sessionmaker, PLATFORM_TENANT) as session:
            provider, admin = await tenancy.sign_up_provider(
                session,
                settings,
                system,
                uscc=uscc,
                name=name,
                admin_login=f"admin@{slug}.demo.org.cn",
                admin_name=f"{name}管理员",
                admin_password=DEMO_PASSWORD,
            )
            staff_actor = Actor(admin.id, PLATFORM_TENANT, "demo-seed", provider.id)
            await tenancy.add_provider_user(
                session,
                settings,
                staff_actor,
                login=f"staff@{slug}.demo.org.cn",
                display_name=f"{name}社工",
                password=DEMO_PASSWORD,
            )
        for code, _, _ in CITIES:
            await _register(sessionmaker, code, admin.id, provider.id)
        await _admit_to_library(sessionmaker, provider.id)


async def _seed_departments(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    code: str,
    name: str,
    slug: str,
) -> None:
    """More partner departments, each with a user who declares needs for it."""
    city = Actor(None, code, "demo-seed")
    async with transaction(sessionmaker, code) as session:
        for sector, department, prefix in MORE_DEPARTMENTS:
            login = f"{prefix}@{slug}.demo.gov.cn"
            if await identity.find_user(session, login) is not None:
                continue
            organisation = await tenancy.create_organisation(
                session, city, OrganisationKind.partner_department, f"{name}{department}", sector
            )
            await _user_with_role(
                session, settings, city, login, Role.partner_department, organisation.id
            )


async def _admit_to_library(
    sessionmaker: async_sessionmaker[AsyncSession], provider_id: uuid.UUID
) -> None:
    """The province's finance approver admits the provider to the supplier library for every
    programme area, for three years, so a city's invited draw from the library has a pool."""
    async with transaction(sessionmaker, PROVINCE[0]) as session:
        approver = await identity.find_user(session, PROVINCE_FINANCE_APPROVER)
        assert approver is not None
        today = date.today()
        await supplier_library.add(
            session,
            Actor(approver.id, PROVINCE[0], "demo-seed"),
            EntryIn(
                provider_id=provider_id,
                categories=list(ProgrammeArea),
                admitted_on=today,
                valid_until=date(today.year + 3, today.month, min(today.day, 28)),
            ),
        )


async def _register(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: str,
    admin_id: uuid.UUID,
    provider_id: uuid.UUID,
) -> None:
    async with transaction(sessionmaker, tenant) as session:
        await bind_tenant(session, tenant, provider_id)  # as in the provider's own request
        applicant = Actor(admin_id, tenant, "demo-seed", provider_id)
        registration, _ = await tenancy.apply_for_registration(session, applicant, None)
        approver = Actor(None, tenant, "demo-seed")
        await tenancy.decide_registration(
            session, approver, registration.id, True, "演示数据：材料齐全，准予登记"
        )


async def _user(session: AsyncSession, settings: Settings, actor: Actor, login: str) -> User:
    return await identity.create_user(
        session,
        settings,
        actor,
        login=login,
        display_name=login.split("@")[0],
        password=DEMO_PASSWORD,
    )


async def _user_with_role(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    login: str,
    role: Role,
    organisation_id: uuid.UUID | None,
) -> None:
    """A demo account holding one role in the actor's tenant, granted as the platform would."""
    await _user(session, settings, actor, login)
    await tenancy.grant_role(
        session,
        actor,
        login=login,
        role=role,
        organisation_id=organisation_id,
        by_platform_admin=True,
    )


def _city_login(role: Role, slug: str) -> str:
    return f"{role.value.replace('_', '-')}@{slug}.demo.gov.cn"


def demo_logins() -> list[DemoLogin]:
    logins = [
        DemoLogin("platform@demo.gov.cn", "platform_admin", "*"),
        DemoLogin("ministry@demo.gov.cn", "ministry_viewer", "*"),
        DemoLogin("admin@gd.demo.gov.cn", "tenant_admin", "440000"),
        DemoLogin("viewer@gd.demo.gov.cn", "province_viewer", "440000"),
        DemoLogin("finance-officer@gd.demo.gov.cn", "finance_officer", "440000"),
        DemoLogin(PROVINCE_FINANCE_APPROVER, "finance_approver", "440000"),
        DemoLogin("expert@gd.demo.gov.cn", "expert", "440000"),
    ]
    for code, _, slug in CITIES:
        logins += [DemoLogin(_city_login(role, slug), role.value, code) for role in CITY_ROLES]
        logins += [
            DemoLogin(f"{prefix}@{slug}.demo.gov.cn", Role.partner_department.value, code)
            for _, _, prefix in MORE_DEPARTMENTS
        ]
    for _, _, slug in PROVIDERS:
        logins += [
            DemoLogin(f"admin@{slug}.demo.org.cn", "provider_admin", "*"),
            DemoLogin(f"staff@{slug}.demo.org.cn", "provider_staff", "*"),
        ]
    # The evaluation organisation, and the acceptance panel's outside members, each reaching
    # the completed project's acceptance only.
    logins.append(DemoLogin(EVALUATOR_LOGIN, "provider_admin (evaluator)", "*"))
    logins += [
        DemoLogin(login, "acceptance_member", f"{DELIVERY_CITY}/acceptance")
        for _, login, _ in PANEL
    ]
    return logins
