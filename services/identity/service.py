"""Accounts, sign-in, rotating refresh tokens and login throttling.

Services never commit. Sign-in and refresh return an outcome instead of raising when the
database must keep what happened (a counted failure, a revoked token family): the controller
commits first and refuses afterwards.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.errors import BadCredentials, LoginTaken, LoginThrottled, RefreshRejected
from services.identity.models import LoginFailure, PlatformRoleGrant, RefreshToken, User
from services.identity.schemas import TokenPair
from services.kit.audit import Actor, record
from services.kit.authn import check_password_policy, issue_access_token, password_hasher
from services.kit.errors import DomainError, InvalidField
from services.kit.settings import Settings

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
    column = User.mobile if kind == "mobile" else User.email
    return await session.scalar(select(User).where(column == value))


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
        password_hash=password_hasher(settings).hash(password),
        provider_id=provider_id,
        provider_role=provider_role,
        active=True,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise LoginTaken("An account with this login exists already.", field=login_field) from None
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


# --- sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    error: DomainError


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _recent_failures(session: AsyncSession, keys: list[str], since: datetime) -> list[int]:
    """Failures per key (in the order given) since a moment."""
    rows = await session.execute(
        select(LoginFailure.key, func.count())
        .where(LoginFailure.key.in_(keys), LoginFailure.at > since)
        .group_by(LoginFailure.key)
    )
    counts = {key: count for key, count in rows}
    return [int(counts.get(key, 0)) for key in keys]


async def _issue(
    session: AsyncSession, settings: Settings, user: User, family_id: uuid.UUID
) -> TokenPair:
    refresh = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            token_hash=token_hash(refresh),
            family_id=family_id,
            user_id=user.id,
            expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
        )
    )
    await session.flush()
    return TokenPair(
        access_token=issue_access_token(settings, user.id, user.provider_id, family_id),
        refresh_token=refresh,
        expires_in=settings.access_token_seconds,
    )


async def sign_in(
    session: AsyncSession, settings: Settings, login: str, password: str, client: str
) -> TokenPair | Refused:
    kind, value = parse_login(login)
    keys = [f"login:{kind}:{value}", f"addr:{client}"]
    now = datetime.now(UTC)
    window_start = now - timedelta(seconds=settings.login_lock_seconds)
    by_account, by_address = await _recent_failures(session, keys, window_start)
    if (
        by_account >= settings.login_max_failures
        or by_address >= settings.login_max_failures_per_address
    ):
        return Refused(
            LoginThrottled(
                "Too many failed logins; try again later.",
                headers={"Retry-After": str(settings.login_lock_seconds)},
            )
        )
    user = await find_user(session, login)
    hasher = password_hasher(settings)
    if user is None:
        hasher.hash(password)  # same work as a real check, so timing does not reveal accounts
        ok = False
    else:
        ok, new_hash = hasher.verify_and_update(password, user.password_hash)
        if ok and new_hash:
            user.password_hash = new_hash
    if not ok or user is None or not user.active:
        session.add_all([LoginFailure(key=key, at=now) for key in keys])
        return Refused(BadCredentials("The login or the password is wrong."))
    await session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
    return await _issue(session, settings, user, uuid.uuid4())


async def rotate_refresh(
    session: AsyncSession, settings: Settings, token: str
) -> TokenPair | Refused:
    """Trade a refresh token for a new pair. Presenting a spent one revokes its whole family."""
    now = datetime.now(UTC)
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)).with_for_update()
    )
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        return Refused(RefreshRejected("The refresh token is not valid; sign in again."))
    if stored.used_at is not None:
        await revoke_family(session, stored.family_id)
        return Refused(
            RefreshRejected("The refresh token was used before; every session of it is revoked.")
        )
    user = await session.get(User, stored.user_id)
    if user is None or not user.active:
        return Refused(RefreshRejected("The account is disabled."))
    stored.used_at = now
    return await _issue(session, settings, user, stored.family_id)


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def change_password(
    session: AsyncSession, settings: Settings, actor: Actor, current: str, new: str
) -> None:
    user = await session.get(User, actor.user_id, with_for_update=True)
    hasher = password_hasher(settings)
    if user is None or not hasher.verify(current, user.password_hash):
        raise InvalidField("is wrong", field="current_password")
    check_password_policy(new, user.mobile or user.email or "", "new_password")
    user.password_hash = hasher.hash(new)
    # Every other session of this account ends with the old password.
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    await record(session, actor, "user.password_changed", "user", user.id)


async def roles_of(session: AsyncSession, user: User) -> list[tuple[str, str]]:
    """Platform roles and provider roles (domain '*'); tenant roles come from tenancy."""
    held = [
        (grant.role, "*")
        for grant in await session.scalars(
            select(PlatformRoleGrant).where(PlatformRoleGrant.user_id == user.id)
        )
    ]
    if user.provider_role:
        held.append((user.provider_role, "*"))
    return held


async def grant_platform_role(
    session: AsyncSession, actor: Actor, user: User, role: str
) -> PlatformRoleGrant:
    grant = PlatformRoleGrant(user_id=user.id, role=role)
    try:
        async with session.begin_nested():
            session.add(grant)
    except IntegrityError:
        raise DomainError("The user holds this role already.", field="role") from None
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
    if not user_ids:
        return []
    return list(await session.scalars(select(User).where(User.id.in_(list(user_ids)))))


async def provider_users(
    session: AsyncSession, provider_id: uuid.UUID, role: str | None = None
) -> list[User]:
    """A provider's active accounts, or only those holding ``role`` (provider_admin …)."""
    query = select(User).where(User.provider_id == provider_id, User.active.is_(True))
    if role is not None:
        query = query.where(User.provider_role == role)
    return list(await session.scalars(query.order_by(User.created_at, User.id)))
