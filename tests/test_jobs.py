"""The jobs machinery end to end: outbox → relay → broker → worker, against the real services."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.jobs import make_broker, run_once
from services.kit.outbox import enqueue
from services.kit.relay import Unroutable, relay_batch
from services.kit.settings import Settings
from tests import jobs_for_tests
from tests.conftest import GZ, ROLE_LOGINS, Login
from tests.jobs_support import count, drain, eventually, relay_all, running_worker

Sessions = async_sessionmaker[AsyncSession]


async def _enqueue(sessionmaker: Sessions, job: str, tenant: str = GZ, **payload: Any) -> str:
    mark = payload.setdefault("mark", uuid.uuid4().hex)
    async with transaction(sessionmaker, tenant) as session:
        await enqueue(session, Actor(None, tenant, "test"), job, payload)
    return mark


async def _ran(sessionmaker: Sessions, mark: str, tenant: str = GZ) -> int:
    async with transaction(sessionmaker, tenant) as session:
        result = await session.execute(
            text("SELECT count(*) FROM audit_log WHERE tenant_id = :t AND object_id = :m"),
            {"t": tenant, "m": mark},
        )
        return int(result.scalar_one())


async def _unsent(sessionmaker: Sessions, mark: str, tenant: str = GZ) -> int:
    async with transaction(sessionmaker, tenant) as session:
        result = await session.execute(
            text("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND payload->>'mark' = :m"),
            {"m": mark},
        )
        return int(result.scalar_one())


async def test_a_committed_job_runs_once(sessionmaker: Sessions, broker: dramatiq.Broker) -> None:
    mark = await _enqueue(sessionmaker, jobs_for_tests.RECORD)
    assert await relay_all(sessionmaker, broker) >= 1
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await _ran(sessionmaker, mark) == 1
    assert await _unsent(sessionmaker, mark) == 0


async def test_a_rolled_back_change_sends_nothing(sessionmaker: Sessions) -> None:
    mark = uuid.uuid4().hex
    with pytest.raises(RuntimeError):
        async with transaction(sessionmaker, GZ) as session:
            await enqueue(session, Actor(None, GZ, "t"), jobs_for_tests.RECORD, {"mark": mark})
            raise RuntimeError("the request failed after enqueueing")
    assert await _unsent(sessionmaker, mark) == 0


async def test_a_redelivered_job_does_its_work_once(
    sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    mark = await _enqueue(sessionmaker, jobs_for_tests.RECORD)
    await relay_all(sessionmaker, broker)
    # The relay died after sending but before marking: the same rows go out again.
    async with transaction(sessionmaker, GZ) as session:
        await session.execute(
            text("UPDATE outbox SET sent_at = NULL WHERE payload->>'mark' = :m"), {"m": mark}
        )
    await relay_all(sessionmaker, broker)
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await _ran(sessionmaker, mark) == 1


async def test_run_once_skips_a_processed_key(sessionmaker: Sessions) -> None:
    mark = uuid.uuid4().hex
    spec = (jobs_for_tests.record_job, jobs_for_tests.RECORD, GZ, f"key-{mark}", {"mark": mark})
    assert await run_once(*spec, None, sessionmaker) is True
    assert await run_once(*spec, None, sessionmaker) is False
    assert await _ran(sessionmaker, mark) == 1


def _unreachable_broker(settings: Settings) -> dramatiq.Broker:
    """The same kind of broker, at an address where nothing listens: a broker that is down."""
    url = (
        "amqp://guest:guest@127.0.0.1:9/"
        if settings.broker_url.startswith("amqp")
        else "redis://127.0.0.1:9/0"
    )
    return make_broker(dataclasses.replace(settings, broker_url=url))


async def test_broker_down_keeps_events_until_it_is_back(
    client: AsyncTestClient,
    login: Login,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    settings: Settings,
) -> None:
    mark = await _enqueue(sessionmaker, jobs_for_tests.RECORD)
    # The API does not talk to the broker: it answers while the broker is away.
    response = await client.get("/v1/me", headers=await login(ROLE_LOGINS["tenant_admin"]))
    assert response.status_code == 200
    down = _unreachable_broker(settings)
    with pytest.raises(Exception):  # noqa: B017 - pika's and redis's own connection errors
        await relay_batch(sessionmaker, down, 100)
    down.close()
    assert await _unsent(sessionmaker, mark) == 1  # nothing lost, nothing marked
    await relay_all(sessionmaker, broker)
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await _ran(sessionmaker, mark) == 1


async def test_a_message_no_queue_takes_stays_unsent_until_its_queue_is_back(
    sessionmaker: Sessions, broker: dramatiq.Broker, settings: Settings
) -> None:
    from tests.conftest import TEST_DATABASE

    if not settings.broker_url.startswith("amqp"):
        pytest.skip("RabbitMQ returns unroutable messages; Redis has no routing")
    mark = await _enqueue(sessionmaker, jobs_for_tests.RECORD)
    assert await relay_all(sessionmaker, broker) >= 1  # the queue exists: all goes
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await _ran(sessionmaker, mark) == 1
    # Someone deletes the queue behind the broker object's back; the next batch comes back.
    mark = await _enqueue(sessionmaker, jobs_for_tests.RECORD)
    broker.channel.queue_delete(f"{TEST_DATABASE}.default")  # type: ignore[attr-defined]
    with pytest.raises(Unroutable):
        await relay_batch(sessionmaker, broker, 500, f"{TEST_DATABASE}.")
    assert await _unsent(sessionmaker, mark) == 1  # not marked: the broker did not take it
    await relay_all(sessionmaker, broker)  # declared again, sent
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await _ran(sessionmaker, mark) == 1


async def test_a_job_due_later_waits(sessionmaker: Sessions, broker: dramatiq.Broker) -> None:
    from datetime import timedelta

    mark = uuid.uuid4().hex
    async with transaction(sessionmaker, GZ) as session:
        await enqueue(
            session,
            Actor(None, GZ, "t"),
            jobs_for_tests.RECORD,
            {"mark": mark},
            delay=timedelta(hours=1),
        )
    await relay_all(sessionmaker, broker)
    assert await _unsent(sessionmaker, mark) == 1


async def test_a_failing_job_lands_in_dead_letters_and_replays(
    client: AsyncTestClient,
    login: Login,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    settings: Settings,
) -> None:
    mark = uuid.uuid4().hex
    jobs_for_tests.FAIL_KEYS.add(mark)
    await _enqueue(sessionmaker, jobs_for_tests.FAILING, mark=mark)
    await relay_all(sessionmaker, broker)
    with running_worker(broker) as worker:
        await drain(broker, worker)
    platform = await login(ROLE_LOGINS["platform_admin"])
    letters = (await client.get("/v1/platform/dead-letters?limit=200", headers=platform)).json()
    mine = [x for x in letters["items"] if x["payload"].get("mark") == mark]
    assert len(mine) == 1
    assert mine[0]["job"] == jobs_for_tests.FAILING and mine[0]["tenant"] == GZ
    assert "failing on purpose" in mine[0]["error"]
    assert await _ran(sessionmaker, mark) == 0

    # Denied to anyone else, and an unknown id is a 404.
    officer = await login(ROLE_LOGINS["tenant_admin"])
    assert (await client.get("/v1/platform/dead-letters", headers=officer)).status_code == 403

    jobs_for_tests.FAIL_KEYS.discard(mark)  # the cause is fixed
    replayed = await client.post(
        f"/v1/platform/dead-letters/{mine[0]['id']}/replay", headers=platform
    )
    assert replayed.status_code == 202, replayed.text
    again = await client.post(f"/v1/platform/dead-letters/{mine[0]['id']}/replay", headers=platform)
    assert again.status_code == 409
    await relay_all(sessionmaker, broker)
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await _ran(sessionmaker, mark) == 1
    pending = (await client.get("/v1/platform/dead-letters?limit=200", headers=platform)).json()
    assert mark not in {x["payload"].get("mark") for x in pending["items"]}
    assert (
        await count(
            sessionmaker, "SELECT count(*) FROM dead_letters WHERE id = :i", i=mine[0]["id"]
        )
        == 1
    )


# --- whole processes: the relay and the worker as they run in production ----------------------


def _process_env(settings: Settings) -> dict[str, str]:
    from tests.conftest import TEST_DATABASE

    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "BROKER_URL": settings.broker_url,
        "QUEUE_PREFIX": f"{TEST_DATABASE}.",
        "WORKER_EXTRA_MODULES": "tests.jobs_for_tests",
        "REDIS_HEARTBEAT_TIMEOUT_MS": "2000",
        "JOB_MIN_BACKOFF_MS": "50",
        "JOB_MAX_BACKOFF_MS": "200",
        "LOG_FORMAT": "json",
    }


def _start(args: list[str], settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        [sys.executable, *args],
        env=_process_env(settings),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen[bytes], signum: int = signal.SIGTERM) -> None:
    """SIGTERM asks the main process to shut its children down; SIGKILL hits the whole group."""
    with contextlib.suppress(ProcessLookupError):
        if signum == signal.SIGKILL:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
    process.wait(timeout=30)


WORKER = ["-m", "dramatiq", "services.worker", "--processes", "1", "--threads", "2"]
RELAY = ["-m", "services.kit.relay"]


async def test_events_committed_while_the_relay_is_down_arrive_after_it_starts(
    sessionmaker: Sessions, broker: dramatiq.Broker, settings: Settings
) -> None:
    mark = await _enqueue(sessionmaker, jobs_for_tests.RECORD)
    assert await _unsent(sessionmaker, mark) == 1
    relay = _start(RELAY, settings)
    worker = _start(WORKER, settings)
    try:
        await eventually(lambda: _ran(sessionmaker, mark), within=60)
    finally:
        _stop(relay)
        _stop(worker)
    assert await _ran(sessionmaker, mark) == 1


async def test_a_worker_killed_mid_job_leaves_the_effect_exactly_once(
    sessionmaker: Sessions, broker: dramatiq.Broker, settings: Settings, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    mark = await _enqueue(sessionmaker, jobs_for_tests.SLOW, started_file=str(started), seconds=60)
    await relay_all(sessionmaker, broker)
    first = _start(WORKER, settings)
    try:
        await eventually(lambda: asyncio.to_thread(started.exists), within=60)
    finally:
        _stop(first, signal.SIGKILL)  # no chance to finish, commit or acknowledge
    assert await _ran(sessionmaker, mark) == 0
    second = _start(WORKER, settings)
    try:
        await eventually(lambda: _ran(sessionmaker, mark), within=90)
        await asyncio.sleep(1)  # a duplicate, if any, would land now
    finally:
        _stop(second)
    assert await _ran(sessionmaker, mark) == 1
