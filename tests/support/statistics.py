"""Statistics as the chronograph and the workers keep them, run on the test's own sessions, and
a province of a test's own."""

from __future__ import annotations

import random
import uuid

import asyncpg
import dramatiq

from services.kit.db import PLATFORM_TENANT
from services.kit.jobs import run_once
from services.statistics import tasks
from services.statistics.sweep import SWEEP
from tests.support.client import Client
from tests.support.database import Sessions
from tests.support.jobs import relay_and_run
from tests.support.planning import YEAR


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


async def fresh_province(client: Client, platform: dict[str, str]) -> str:
    """A province of this test's own, with a city and a county under it."""
    for prefix in random.sample(range(60, 99), 39):
        code = f"{prefix}0000"
        created = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"统计省{prefix}"}
        )
        if created.status_code == 201:
            for child, name in ((f"{prefix}0100", "统计市"), (f"{prefix}0103", "统计区")):
                made = await client.post(
                    "/v1/platform/tenants", headers=platform, json={"code": child, "name": name}
                )
                assert made.status_code == 201, made.text
            return code
    raise AssertionError("no free province code")


async def people_served(admin_db: asyncpg.Connection, county: str) -> None:
    """What a county's accepted progress reports add up to in the second quarter: 7
    left-behind children (few enough to point at a family) and 40 elderly people."""
    for group, count in (("left_behind_children", 7), ("elderly", 40)):
        await admin_db.execute(
            "INSERT INTO statistics_summaries (tenant_id, fiscal_year, quarter, programme_area,"
            " metric, dimension, value) VALUES ($1, $2, 2, 'rural_left_behind',"
            " 'people_served', $3, $4)",
            county,
            YEAR,
            group,
            count,
        )
