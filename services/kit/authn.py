"""The password policy and access tokens (short-lived JWT); hashing is in kit/passwords."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

import jwt

from services.kit.errors import InvalidField, Unauthorized
from services.kit.settings import Settings

ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 10


def check_password_policy(password: str, login: str, field: str = "password") -> None:
    """At least 10 characters, letters and digits both, and not the login itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidField(f"must be at least {MIN_PASSWORD_LENGTH} characters", field=field)
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise InvalidField("must contain both letters and digits", field=field)
    if password.lower() == login.lower():
        raise InvalidField("must differ from the login", field=field)


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    provider_id: uuid.UUID | None
    session_id: uuid.UUID
    issued_at: float


def issue_access_token(
    settings: Settings, user_id: uuid.UUID, provider_id: uuid.UUID | None, family_id: uuid.UUID
) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "sid": str(family_id),
        "iat": now,
        "exp": now + settings.access_token_seconds,
        "typ": "access",
    }
    if provider_id is not None:
        claims["pid"] = str(provider_id)
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


class _VerifiedTokens:
    """Tokens whose signature was checked already. A client sends the same token on every
    request for its lifetime, and checking the HMAC and parsing the claims costs more than
    the rest of the guard; expiry is still checked on every use."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, expires_at = entry
        if expires_at <= time.time():
            del self._entries[token]
            raise Unauthorized("The access token has expired; refresh it.")
        return principal

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        if len(self._entries) >= self._size:
            self._entries.clear()  # crude but bounded; the next requests re-verify
        self._entries[token] = (principal, expires_at)


_verified = _VerifiedTokens()


def read_access_token(settings: Settings, token: str) -> Principal:
    cached = _verified.get(token)
    if cached is not None:
        return cached
    principal, expires_at = _verify(settings, token)
    _verified.put(token, principal, expires_at)
    return principal


def _verify(settings: Settings, token: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        if claims.get("typ") != "access":
            raise jwt.InvalidTokenError("not an access token")
        pid = claims.get("pid")
        principal = Principal(
            user_id=uuid.UUID(claims["sub"]),
            provider_id=uuid.UUID(pid) if pid else None,
            session_id=uuid.UUID(claims["sid"]),
            issued_at=float(claims.get("iat", 0)),
        )
        return principal, float(claims["exp"])
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired; refresh it.") from None
    except (jwt.InvalidTokenError, ValueError, KeyError):
        raise Unauthorized("The access token is not valid.") from None
