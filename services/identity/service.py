"""What other contexts use of identity: finding and creating accounts, platform roles, a
provider's users, and the account's API shape. Other contexts import this module only."""

from services.identity.accounts import (
    create_user,
    find_user,
    grant_platform_role,
    provider_users,
    revoke_platform_role,
    user_out,
    users_by_ids,
)
from services.identity.models import User
from services.identity.schemas import PlatformGrant, UserCreate, UserOut

__all__ = [
    "PlatformGrant",
    "User",
    "UserCreate",
    "UserOut",
    "create_user",
    "find_user",
    "grant_platform_role",
    "provider_users",
    "revoke_platform_role",
    "user_out",
    "users_by_ids",
]
