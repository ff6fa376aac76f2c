"""The chronograph: each tick enqueued once across schedulers, missed ticks caught up."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit import chronograph
from services.kit.chronograph import SCHEDULE, Periodic, lead, run_due, ticks_due
from services.kit.db import PLATFORM_TENANT, transaction
from services.kit.settings import Settings
from tests.support import suite_jobs

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def tick_every_second() -> Iterator[None]:
    SCHEDULE.clear()
    SCHEDULE[suite_jobs.TICK] = Periodic(suite_jobs.TICK, timedelta(seconds=1), catch_up_each=True)
    yield
    SCHEDULE.clear()


async def _tick_keys(sessionmaker: Sessions) -> list[str]:
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        rows = await session.execute(
            text("SELECT message_key FROM outbox WHERE actor_name = :a"),
            {"a": suite_jobs.TICK},
        )
        return [row[0] for row in rows]


async def _set_last_tick(sessionmaker: Sessions, at: datetime) -> None:
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        await session.execute(
            text(
                "INSERT INTO schedule_runs (task, last_tick_at) VALUES (:t, :at) "
                "ON CONFLICT (task) DO UPDATE SET last_tick_at = :at"
            ),
            {"t": suite_jobs.TICK, "at": at},
        )


def test_ticks_fall_on_multiples_of_the_period() -> None:
    last = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    now = datetime(2026, 11, 28, 10, 5, 30, tzinfo=UTC)
    due = ticks_due(last, now, timedelta(minutes=1))
    assert due == [last + timedelta(minutes=n) for n in range(1, 6)]
    assert ticks_due(None, now, timedelta(minutes=1)) == [due[-1]]
    assert ticks_due(due[-1], now, timedelta(minutes=1)) == []


async def test_two_schedulers_enqueue_each_tick_once(
    sessionmaker: Sessions, settings: Settings, tick_every_second: None
) -> None:
    before = set(await _tick_keys(sessionmaker))
    stop = asyncio.Event()
    leaders = [asyncio.create_task(lead(settings, stop, interval=0.2)) for _ in range(2)]
    await asyncio.sleep(3.5)
    stop.set()
    await asyncio.gather(*leaders)
    keys = [k for k in await _tick_keys(sessionmaker) if k not in before]
    assert len(keys) >= 2
    assert len(keys) == len(set(keys))  # no tick twice


def _some_past_second() -> datetime:
    """A moment no other test has ticked at, so the keys it yields are new."""
    return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=random.randrange(10**8))


async def test_racing_passes_without_the_lock_still_enqueue_once(
    sessionmaker: Sessions, tick_every_second: None
) -> None:
    now = _some_past_second()
    await _set_last_tick(sessionmaker, now - timedelta(seconds=5))
    before = set(await _tick_keys(sessionmaker))
    await asyncio.gather(run_due(sessionmaker, now), run_due(sessionmaker, now))
    new = [k for k in await _tick_keys(sessionmaker) if k not in before]
    assert len(new) == 5 and len(set(new)) == 5


async def test_missed_ticks_are_caught_up_each_or_only_the_latest(
    sessionmaker: Sessions, tick_every_second: None
) -> None:
    now = _some_past_second()
    await _set_last_tick(sessionmaker, now - timedelta(seconds=10))
    before = set(await _tick_keys(sessionmaker))
    assert await run_due(sessionmaker, now) == 10
    SCHEDULE[suite_jobs.TICK] = Periodic(suite_jobs.TICK, timedelta(seconds=1))
    await _set_last_tick(sessionmaker, now + timedelta(seconds=20))
    assert await run_due(sessionmaker, now + timedelta(seconds=30)) == 1
    new = [k for k in await _tick_keys(sessionmaker) if k not in before]
    assert len(new) == 11
    assert chronograph.MAX_CATCH_UP >= 10
