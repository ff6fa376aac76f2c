"""Accounts: logins, creating users, passwords, platform roles, finding a provider's users.

Services never commit; the caller's transaction does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import repository
from services.identity.errors import LoginTaken
from services.identity.models import PlatformRoleGrant, RefreshToken, User
from services.identity.schemas import UserOut
from services.kit.audit import Actor, record
from services.kit.authn import check_password_policy
from services.kit.authz.roles import Role
from services.kit.errors import Conflict, InvalidField
from services.kit.passwords import passwords
from services.kit.settings import Settings
from services.kit.unique import add_unique

_MOBILE = re.compile(r"^1\d{10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_login(login: str, field: str = "login") -> tuple[str, str]:
    """A login is a mainland mobile number or an email address: ('mobile'|'email', value)."""
    value = login.strip()
    if _MOBILE.match(value):
        return "mobile", value
    if _EMAIL.match(value):
        return "email", value.lower()
    raise InvalidField("must be an 11-digit mobile number or an email address", field=field)


async def find_user(session: AsyncSession, login: str, field: str = "login") -> User | None:
    kind, value = parse_login(login, field)
    return await repository.user_by_login(session, kind, value)


async def create_user(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    *,
    login: str,
    display_name: str,
    password: str,
    provider_id: uuid.UUID | None = None,
    provider_role: str | None = None,
    login_field: str = "login",
    password_field: str = "password",
) -> User:
    kind, value = parse_login(login, login_field)
    check_password_policy(password, value, password_field)
    user = User(
        id=uuid.uuid4(),
        mobile=value if kind == "mobile" else None,
        email=value if kind == "email" else None,
        display_name=display_name,
        password_hash=await passwords(settings).hash(password),
        provider_id=provider_id,
        provider_role=provider_role,
        active=True,
    )
    await add_unique(
        session, user, LoginTaken("An account with this login exists already.", field=login_field)
    )
    await record(
        session,
        actor,
        "user.created",
        "user",
        user.id,
        after={
            "login": value,
            "display_name": display_name,
            "provider_id": provider_id,
            "provider_role": provider_role,
        },
    )
    return user


async def change_password(
    session: AsyncSession, settings: Settings, actor: Actor, current: str, new: str
) -> None:
    user = await session.get(User, actor.user_id, with_for_update=True)
    hashing = passwords(settings)
    if user is None or not await hashing.verify(current, user.password_hash):
        raise InvalidField("is wrong", field="current_password")
    check_password_policy(new, user.mobile or user.email or "", "new_password")
    user.password_hash = await hashing.hash(new)
    # Every other session of this account ends with the old password.
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    await record(session, actor, "user.password_changed", "user", user.id)


async def grant_platform_role(
    session: AsyncSession, actor: Actor, user: User, role: str
) -> PlatformRoleGrant:
    grant = PlatformRoleGrant(user_id=user.id, role=role)
    await add_unique(session, grant, Conflict("The user holds this role already.", field="role"))
    await record(session, actor, "platform_role.granted", "user", user.id, after={"role": role})
    return grant


async def revoke_platform_role(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, role: str
) -> bool:
    result = await session.execute(
        delete(PlatformRoleGrant).where(
            PlatformRoleGrant.user_id == user_id, PlatformRoleGrant.role == role
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await record(session, actor, "platform_role.revoked", "user", user_id, before={"role": role})
    return True


async def users_by_ids(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> list[User]:
    """The accounts with these ids (those that exist), for contacting them."""
    return await repository.users_by_ids(session, user_ids)


async def provider_users(
    session: AsyncSession, provider_id: uuid.UUID, role: str | None = None
) -> list[User]:
    """A provider's active accounts, or only those holding ``role`` (provider_admin …)."""
    return await repository.provider_users(session, provider_id, role)


def user_out(user: User) -> UserOut:
    """The account as the API shows it."""
    return UserOut(
        id=user.id,
        mobile=user.mobile,
        email=user.email,
        display_name=user.display_name,
        active=user.active,
        provider_id=user.provider_id,
        provider_role=Role(user.provider_role) if user.provider_role else None,
    )
