"""The chronograph: timed work, run once per tick across all replicas.

Each periodic task has a fixed interval; its ticks fall on multiples of the interval since the
epoch. A tick is an outbox job whose message key names the task and the tick, committed in
the same transaction that advances the task's ``last_tick_at``, so a tick is enqueued exactly
once even if two schedulers ran at once. One scheduler leads at a time (a PostgreSQL advisory
lock held on its own connection); the others wait to take over. A scheduler that was down
catches up on start: every missed tick for tasks that need each one, or only the latest.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from sqlalchemy import DateTime, String, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, Base, make_engine, make_sessionmaker, transaction
from services.kit.outbox import enqueue
from services.kit.settings import Settings, get_settings

log = structlog.get_logger(__name__)
LEADER_LOCK = 0x5357_5343_4852_4F4E  # "SWSCHRON": one leader per database
MAX_CATCH_UP = 10_000  # ticks enqueued for one task in one pass, at most


class ScheduleRun(Base):
    __tablename__ = "schedule_runs"

    task: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_tick_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Periodic:
    task: str  # the job (actor) name the tick runs
    every: timedelta
    catch_up_each: bool = False  # True: run every missed tick; False: only the latest
    queue_name: str = "default"


SCHEDULE: dict[str, Periodic] = {}


def every(task: str, every: timedelta, *, catch_up_each: bool = False) -> None:
    SCHEDULE[task] = Periodic(task, every, catch_up_each)


def ticks_due(last: datetime | None, now: datetime, period: timedelta) -> list[datetime]:
    """Ticks after ``last`` up to ``now``, on multiples of the period since the epoch."""
    step = period.total_seconds()
    latest = datetime.fromtimestamp((now.timestamp() // step) * step, UTC)
    if last is None:
        return [latest]
    due: list[datetime] = []
    tick = last + period
    while tick <= latest and len(due) < MAX_CATCH_UP:
        due.append(tick)
        tick += period
    return due


async def run_due(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> int:
    """Enqueue every due tick of every task; the number enqueued."""
    now = now or datetime.now(UTC)
    enqueued = 0
    for periodic in SCHEDULE.values():
        async with transaction(sessionmaker, PLATFORM_TENANT) as session:
            await session.execute(
                insert(ScheduleRun)
                .values(task=periodic.task, last_tick_at=datetime.fromtimestamp(0, UTC))
                .on_conflict_do_nothing()
            )
            run = await session.scalar(
                select(ScheduleRun).where(ScheduleRun.task == periodic.task).with_for_update()
            )
            assert run is not None
            epoch_start = run.last_tick_at.timestamp() == 0
            due = ticks_due(None if epoch_start else run.last_tick_at, now, periodic.every)
            if not due:
                continue
            fire = due if periodic.catch_up_each else due[-1:]
            system = Actor(user_id=None, tenant=PLATFORM_TENANT, request_id="chronograph")
            for tick in fire:
                await enqueue(
                    session,
                    system,
                    periodic.task,
                    {"tick": tick.isoformat()},
                    queue_name=periodic.queue_name,
                    message_key=f"tick:{periodic.task}:{tick.isoformat()}",
                )
            run.last_tick_at = due[-1]
            enqueued += len(fire)
    return enqueued


async def lead(settings: Settings, stop: asyncio.Event, interval: float = 1.0) -> None:
    """Wait for the leader lock, then run due ticks every ``interval`` seconds until stopped."""
    dsn = settings.app_database_url.replace("postgresql+asyncpg://", "postgresql://")
    engine = make_engine(settings.app_database_url, settings)
    sessionmaker = make_sessionmaker(engine)
    try:
        while not stop.is_set():
            lock: Any = None
            try:
                lock = await asyncpg.connect(dsn)
                if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):
                    await _sleep(stop, 5)
                    continue
                log.info("chronograph_leading")
                while not stop.is_set() and not lock.is_closed():
                    fired = await run_due(sessionmaker)
                    if fired:
                        log.info("chronograph_ticks", enqueued=fired)
                    await _sleep(stop, interval)
            except Exception as exc:
                log.warning("chronograph_error", error=str(exc))
                await _sleep(stop, 1)
            finally:
                if lock is not None and not lock.is_closed():
                    await lock.close()  # releases the advisory lock
    finally:
        await engine.dispose()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def main() -> None:
    """Run the scheduler until SIGINT/SIGTERM; register the schedule (every()) first."""
    from services.kit.logging import configure_logging

    settings = get_settings()
    configure_logging(settings)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await lead(settings, stop)

    asyncio.run(serve())
