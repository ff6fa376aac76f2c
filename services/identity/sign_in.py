"""Sign-in, rotating refresh tokens, sign-out and login throttling.

Sign-in and refresh return an outcome instead of raising when the database must keep what
happened (a counted failure, a revoked token family): the controller commits first and refuses
afterwards. Sign-in takes two transactions with the password check between them
(reserve_attempt, check_password, complete_sign_in): the attempt is counted before the slow
check, and no connection is held while it runs.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.functions import Function

from services.identity.accounts import find_user, parse_login
from services.identity.errors import BadCredentials, LoginThrottled, RefreshRejected
from services.identity.models import LoginFailure, RefreshToken, User
from services.identity.schemas import TokenPair
from services.kit.authn import issue_access_token
from services.kit.errors import DomainError
from services.kit.passwords import passwords
from services.kit.settings import Settings


@dataclass(frozen=True)
class Refused:
    error: DomainError


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


# Advisory locks of one attempt's keys live in their own key space (the two-number form).
_LOGIN_LOCKS = 7001
# A check still pending after this long was cut short (a crash, a restart): a failure.
PENDING_SECONDS = 60
# How soon an attempt that found every slot taken by checks under way looks again.
BUSY_RETRY_SECONDS = 0.05


@dataclass(frozen=True)
class Attempt:
    """A sign-in allowed to check its password. It holds a slot of each key's limit (a
    pending failure row) until the check says which it was."""

    login: str
    account_key: str
    slots: tuple[int, int]  # its rows, the account's and the address's
    user_id: uuid.UUID | None
    password_hash: str | None
    active: bool


@dataclass(frozen=True)
class Busy:
    """Every slot left is held by an attempt whose password is being checked: look again."""

    retry_in: float


@dataclass(frozen=True)
class Verified:
    attempt: Attempt
    new_hash: str | None  # the same password hashed at today's cost, when that changed


def _seconds(seconds: float) -> Function[Any]:
    return func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def _usage(session: AsyncSession, key: str, limit: int, window: int) -> tuple[int, int]:
    """(seconds until ``key`` falls below ``limit`` failures, 0 if it is below already;
    slots taken in the window, failures and checks under way both)."""
    now = func.clock_timestamp()
    in_window = (LoginFailure.key == key, LoginFailure.at > now - _seconds(window))
    failed = or_(LoginFailure.pending.is_(False), LoginFailure.at < now - _seconds(PENDING_SECONDS))
    # When the oldest failure that keeps the key at its limit leaves the window.
    unlocks_at = (
        select(LoginFailure.at + _seconds(window))
        .where(*in_window, failed)
        .order_by(LoginFailure.at.desc())
        .offset(limit - 1)
        .limit(1)
        .scalar_subquery()
    )
    taken = select(func.count()).where(*in_window).scalar_subquery()
    row = (
        await session.execute(select(func.ceil(func.extract("epoch", unlocks_at - now)), taken))
    ).one()
    left, slots = row
    return (0 if left is None else min(max(int(left), 1), window)), int(slots)


async def reserve_attempt(
    session: AsyncSession, settings: Settings, login: str, client: str
) -> Attempt | Busy | Refused:
    """Take a slot of the account's limit and of the client address's for this attempt, as a
    pending failure; refused with the seconds the lock has left when either key has reached
    its limit of failures.

    Counting and taking are one step: the transaction holds an advisory lock on both keys
    (taken in one order, so two attempts cannot deadlock), and a concurrent attempt on either
    key waits for this one's commit, then counts its row. Of 20 wrong passwords sent at once
    for an account with a limit of 5, exactly 5 get to the password check and 15 are refused.
    Commit before checking the password: the check is slow and needs no lock. When the only
    slots left are held by checks under way, the answer is Busy: those may yet succeed and
    give their slots back, so the right password of a busy account still gets through.
    """
    kind, value = parse_login(login)
    account_key, address_key = f"login:{kind}:{value}", f"addr:{client}"
    for key in sorted((account_key, address_key)):
        await session.execute(select(func.pg_advisory_xact_lock(_LOGIN_LOCKS, func.hashtext(key))))
    window = settings.login_lock_seconds
    usage = [
        await _usage(session, account_key, settings.login_max_failures, window),
        await _usage(session, address_key, settings.login_max_failures_per_address, window),
    ]
    locked = max(left for left, _ in usage)
    if locked:
        return Refused(
            LoginThrottled(
                "Too many failed logins; try again later.", headers={"Retry-After": str(locked)}
            )
        )
    limits = (settings.login_max_failures, settings.login_max_failures_per_address)
    if any(taken >= limit for (_, taken), limit in zip(usage, limits, strict=True)):
        return Busy(BUSY_RETRY_SECONDS)
    rows = await session.execute(
        insert(LoginFailure)
        .values(
            [
                {"key": key, "at": func.clock_timestamp(), "pending": True}
                for key in (account_key, address_key)
            ]
        )
        .returning(LoginFailure.key, LoginFailure.id)
    )
    slots = dict(rows.all())
    user = await find_user(session, login)
    return Attempt(
        login=value,
        account_key=account_key,
        slots=(slots[account_key], slots[address_key]),
        user_id=user.id if user else None,
        password_hash=user.password_hash if user else None,
        active=bool(user and user.active),
    )


async def record_failure(session: AsyncSession, attempt: Attempt) -> None:
    """The password was wrong: the attempt's slots become failures."""
    await session.execute(
        update(LoginFailure).where(LoginFailure.id.in_(attempt.slots)).values(pending=False)
    )


async def check_password(settings: Settings, attempt: Attempt, password: str) -> Verified | Refused:
    """The password check itself, off the event loop; it needs no database connection."""
    hashing = passwords(settings)
    if attempt.password_hash is None:
        await hashing.spend_as_much_as_a_check(password)
        ok, new_hash = False, None
    else:
        ok, new_hash = await hashing.verify_and_update(password, attempt.password_hash)
    if not ok or not attempt.active:
        return Refused(BadCredentials("The login or the password is wrong."))
    return Verified(attempt, new_hash)


async def complete_sign_in(
    session: AsyncSession, settings: Settings, verified: Verified
) -> TokenPair | Refused:
    """Issue the tokens. The account's failures are forgotten, and the attempt's slot of the
    address given back (a success is no failure); other failures from the address still count."""
    attempt = verified.attempt
    user = await session.get(User, attempt.user_id, with_for_update=True)
    if user is None or not user.active:  # disabled while the password was being checked
        await record_failure(session, attempt)
        return Refused(BadCredentials("The login or the password is wrong."))
    if verified.new_hash:
        user.password_hash = verified.new_hash
    await session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.key == attempt.account_key, LoginFailure.id.in_(attempt.slots))
        )
    )
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


async def sign_out(session: AsyncSession, refresh_token: str) -> None:
    """End the session the refresh token belongs to (all its rotations); an unknown token
    changes nothing."""
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh_token))
    )
    if stored is not None:
        await revoke_family(session, stored.family_id)
