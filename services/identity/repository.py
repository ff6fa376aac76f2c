"""Reading accounts. Accounts are platform-wide (a provider's users work in every region), so
these queries take no tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import User


async def user_by_login(session: AsyncSession, kind: str, value: str) -> User | None:
    """The account whose mobile number (kind 'mobile') or email address is ``value``."""
    column = User.mobile if kind == "mobile" else User.email
    return await session.scalar(select(User).where(column == value))


async def users_by_ids(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> list[User]:
    if not user_ids:
        return []
    return list(await session.scalars(select(User).where(User.id.in_(list(user_ids)))))


async def provider_users(
    session: AsyncSession, provider_id: uuid.UUID, role: str | None
) -> list[User]:
    query = select(User).where(User.provider_id == provider_id, User.active.is_(True))
    if role is not None:
        query = query.where(User.provider_role == role)
    return list(await session.scalars(query.order_by(User.created_at, User.id)))
