"""Red flags kept as the chronograph and the worker keep them: the sweep's tick, then the
measures it queued."""

from __future__ import annotations

import uuid

import dramatiq

from services.kit.db import PLATFORM_TENANT
from services.kit.jobs import run_once
from services.redflags import tasks
from services.redflags.sweep import SWEEP
from tests.support.database import Sessions
from tests.support.jobs import relay_and_run


async def sweep(sessionmaker: Sessions) -> None:
    """What the chronograph's tick does every minute: queue a measure per dirty region."""
    tick = f"tick:{SWEEP}:test-{uuid.uuid4()}"
    assert await run_once(
        tasks.red_flags_sweep, SWEEP, PLATFORM_TENANT, tick, {}, None, sessionmaker
    )


async def measured(sessionmaker: Sessions, broker: dramatiq.Broker) -> None:
    """Every queued job run (the releases' own among them), then the sweep and its measures."""
    await relay_and_run(sessionmaker, broker)
    await sweep(sessionmaker)
    await relay_and_run(sessionmaker, broker)
