"""Bringing the kept statistics up to date inside a test, as the chronograph and workers do."""

from __future__ import annotations

import uuid

import dramatiq

from services.kit.db import PLATFORM_TENANT
from services.kit.jobs import run_once
from services.statistics import tasks
from services.statistics.sweep import SWEEP
from tests.support.database import Sessions
from tests.support.jobs import relay_and_run


async def sweep(sessionmaker: Sessions) -> None:
    """What the chronograph's tick does every minute: queue a refresh per dirty region-year."""
    tick = f"tick:{SWEEP}:test-{uuid.uuid4()}"
    assert await run_once(
        tasks.statistics_sweep, SWEEP, PLATFORM_TENANT, tick, {}, None, sessionmaker
    )


async def refreshed(sessionmaker: Sessions, broker: dramatiq.Broker) -> None:
    """Every queued job run, then the sweep and the refreshes it queues."""
    await relay_and_run(sessionmaker, broker)
    await sweep(sessionmaker)
    await relay_and_run(sessionmaker, broker)
