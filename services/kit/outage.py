"""Database outages: recognised, answered with 503 and ``Retry-After``, logged once.

While PostgreSQL cannot be reached (refused, restarting, shutting down, out of connection
slots, a connection cut mid-request) a request cannot be served, but nothing is wrong with
the request or the code: the answer is ``503 database_unavailable`` with ``Retry-After``, and
the process logs one warning when the outage starts and one line when a new connection works
again — not a traceback per request.

SQLAlchemy wraps what PostgreSQL says (``DBAPIError``, with ``connection_invalidated`` when the
connection died); a connection that cannot even be opened is ``DatabaseUnreachable`` (see
``services.kit.db.make_engine``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import structlog
from litestar import Request, Response
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kit.db import DatabaseUnreachable
from services.kit.errors import exception_handlers as base_handlers
from services.kit.errors import problem

log = structlog.get_logger(__name__)

# Seconds a client is told to wait: a restart or failover of PostgreSQL takes a few seconds,
# and a shorter hint would only turn one outage into a storm of retries.
RETRY_AFTER_SECONDS = 5

# SQLSTATEs that mean "no database for now": class 08 (connection exception), the server
# shutting down or starting up (57P01-57P03), and no connection slot left (53300).
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "53300"}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached, not that a statement failed."""
    for error in _chain(exc):
        if isinstance(error, DatabaseUnreachable | PoolTimeout):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in _UNAVAILABLE_STATES):
            return True
    return False


class OutageLog:
    """One warning when an outage starts, one info when the database answers again."""

    def __init__(self) -> None:
        self.down_since: float | None = None

    def failed(self, exc: BaseException) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning("database_unavailable", error=f"{type(exc).__name__}: {exc}"[:300])

    def connected(self) -> None:
        if self.down_since is not None:
            seconds = round(time.monotonic() - self.down_since, 3)
            self.down_since = None
            log.info("database_available_again", outage_seconds=seconds)


def watch(engine: AsyncEngine) -> OutageLog:
    """An outage log for ``engine``, told when a new connection works. The pool drops every
    older connection after a disconnect, so the first success after an outage is always a new
    connection: the hook costs nothing on the request path."""
    outage = OutageLog()

    @event.listens_for(engine.sync_engine.pool, "connect")
    def _connected(*_: Any) -> None:
        outage.connected()

    return outage


def _outage_log(request: Request[Any, Any, Any]) -> OutageLog | None:
    found = request.app.state.get("database_outage")
    return found if isinstance(found, OutageLog) else None


def database_unavailable_response(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    """The 503 for an outage; anything else goes to the generic handlers unchanged."""
    if not is_database_unavailable(exc):
        return base_handlers[Exception](request, exc)  # type: ignore[no-any-return]
    outage = _outage_log(request)
    if outage is not None:
        outage.failed(exc)
    return problem(
        503,
        "database_unavailable",
        "Service unavailable",
        "The database cannot be reached right now; try again shortly.",
        request,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# Merged over services.kit.errors' handlers by the app factory.
outage_handlers: dict[type[Exception] | int, Any] = {
    SQLAlchemyError: database_unavailable_response,
    DatabaseUnreachable: database_unavailable_response,
}


T = TypeVar("T")

# Pauses between tries of short work that must not be lost to a blip (about 8 s in all).
SHORT_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)


async def retry_through_outage(
    work: Callable[[], Awaitable[T]], delays: tuple[float, ...] = SHORT_RETRY_DELAYS
) -> T:
    """Run ``work`` (a whole transaction); again after each delay while the database is
    unavailable. Any other error, or the last outage error, is raised."""
    for delay in delays:
        try:
            return await work()
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            log.info("database_retry", delay_seconds=delay, error=type(exc).__name__)
        await asyncio.sleep(delay)
    return await work()
