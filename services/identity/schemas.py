"""Request and response bodies of sign-in and accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from services.kit.authz.roles import Role
from services.kit.types import Line

Login = Annotated[
    Line, msgspec.Meta(min_length=3, max_length=254, description="mobile number or email")
]
Secret = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    login: Login
    password: Secret


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Secret
    new_password: Secret


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    login: Login
    display_name: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
    password: Secret


class UserOut(msgspec.Struct):
    id: uuid.UUID
    mobile: str | None
    email: str | None
    display_name: str
    active: bool
    provider_id: uuid.UUID | None
    provider_role: Role | None


class RoleHeld(msgspec.Struct):
    role: Role
    domain: str


class MeOut(msgspec.Struct):
    user: UserOut
    roles: list[RoleHeld]


class PlatformGrant(msgspec.Struct, forbid_unknown_fields=True):
    login: Login
    role: Role
