"""Adding a row that a unique key may already hold, as a refusal the user can act on."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import DomainError


async def add_unique(session: AsyncSession, row: object, taken: DomainError) -> None:
    """Add ``row`` in a savepoint and raise ``taken`` if a unique key holds its value already.

    The savepoint keeps the caller's transaction usable after the refusal.
    """
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise taken from None
