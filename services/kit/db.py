"""Database engine, sessions and the tenant context that row-level security reads.

Every transaction names its tenant with ``set_config(..., is_local => true)`` — the
``SET LOCAL`` form — so the setting dies with the transaction and never leaks to the next
user of a pooled connection.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, MetaData, Numeric, String, event, func, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit import workdays
from services.kit.pool import FairAsyncPool
from services.kit.settings import Settings

# The platform's own audit chain and context: actions that belong to no region.
PLATFORM_TENANT = "000000"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Money columns: 元 with two decimals (分), up to 999,999,999,999.99.
MONEY = Numeric(14, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TenantOwned:
    """Marker for tables isolated by tenant: ``tenant_id`` leads the primary key."""

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DatabaseUnreachable(ConnectionError):
    """A connection to PostgreSQL could not be opened (refused, reset, timed out)."""


def make_engine(url: str, settings: Settings) -> AsyncEngine:
    # No pre-ping (a round trip per checkout): a connection found dead fails its request with
    # a 503 and SQLAlchemy then renews every older connection of the pool.
    engine = create_async_engine(
        url,
        poolclass=FairAsyncPool,  # waiting requests get connections in the order they came
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=False,
        pool_recycle=1800,
        # An unanswered connect (a host gone from the network) fails in seconds, not asyncpg's 60.
        connect_args={"timeout": settings.db_connect_timeout_seconds},
    )

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        # asyncpg raises the socket's own OSError here; named, so that an OSError from
        # elsewhere (a file, S3) is never taken for a database outage.
        try:
            return dialect.connect(*cargs, **cparams)
        except OSError as exc:
            raise DatabaseUnreachable(f"{type(exc).__name__}: {exc}") from exc

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


# The stamp of the entered holiday calendars rides along (no extra round trip): when it
# differs from the one this process loaded, the years are read again (see workdays.install).
_BIND = text(
    "SELECT set_config('app.tenant_id', :t, true), set_config('app.provider_id', :p, true), "
    "(SELECT count(*) || '/' || coalesce(max(entered_at)::text, '') FROM holiday_calendars)"
)
_CALENDARS = text("SELECT year, holidays, workdays FROM holiday_calendars")
_calendar_stamp: str | None = None


async def _refresh_calendars(connection: Any, stamp: str) -> None:
    global _calendar_stamp
    if stamp == _calendar_stamp:
        return
    rows = (await connection.execute(_CALENDARS)).all()
    workdays.install(
        {
            row.year: workdays.YearArrangement(frozenset(row.holidays), frozenset(row.workdays))
            for row in rows
        }
    )
    _calendar_stamp = stamp


def forget_calendars() -> None:
    """Make the next bound transaction read the entered years again."""
    global _calendar_stamp
    _calendar_stamp = None


async def bind_tenant(
    session: AsyncSession, tenant: str, provider_id: uuid.UUID | None = None
) -> None:
    """Name the transaction's tenant for RLS. A provider's id, when given, also lets it read
    its own rows in other regions (a narrow clause on a few tables, see the migrations)."""
    # Rows added under the previous tenant are written under it, before the switch.
    if session.new or session.dirty or session.deleted:
        await session.flush()
    # Through the Core connection: the ORM's execute path adds nothing for this statement.
    connection = await session.connection()
    bound = await connection.execute(
        _BIND, {"t": tenant, "p": str(provider_id) if provider_id else ""}
    )
    await _refresh_calendars(connection, bound.one()[2])


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: str | None = None
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends cleanly, rolls back otherwise."""
    async with sessionmaker() as session, session.begin():
        if tenant is not None:
            await bind_tenant(session, tenant)
        yield session
