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
from types import SimpleNamespace
from typing import Any

import dramatiq
import pytest
from dramatiq.broker import MessageProxy
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.jobs import BATCH_ACTOR, make_broker, record_dead_letter, run_batch, run_once
from services.kit.outbox import enqueue
from services.kit.relay import Unroutable, relay_batch, to_messages
from services.kit.settings import Settings
from tests.support import suite_jobs
from tests.support.client import Client, Login
from tests.support.database import TEST_DATABASE, count
from tests.support.demo import GZ, ROLE_LOGINS, SZ
from tests.support.jobs import (
    drain,
    enqueue_mark,
    eventually,
    relay_all,
    relay_and_run,
    running_worker,
    times_ran,
)
from tests.support.processes import process_env

Sessions = async_sessionmaker[AsyncSession]


async def _unsent(sessionmaker: Sessions, mark: str, tenant: str = GZ) -> int:
    async with transaction(sessionmaker, tenant) as session:
        result = await session.execute(
            text("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND payload->>'mark' = :m"),
            {"m": mark},
        )
        return int(result.scalar_one())


async def test_a_committed_job_runs_once(sessionmaker: Sessions, broker: dramatiq.Broker) -> None:
    mark = await enqueue_mark(sessionmaker, suite_jobs.RECORD)
    assert await relay_all(sessionmaker, broker) >= 1
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await times_ran(sessionmaker, mark) == 1
    assert await _unsent(sessionmaker, mark) == 0


async def test_a_rolled_back_change_sends_nothing(sessionmaker: Sessions) -> None:
    mark = uuid.uuid4().hex
    with pytest.raises(RuntimeError):
        async with transaction(sessionmaker, GZ) as session:
            await enqueue(session, Actor(None, GZ, "t"), suite_jobs.RECORD, {"mark": mark})
            raise RuntimeError("the request failed after enqueueing")
    assert await _unsent(sessionmaker, mark) == 0


async def test_a_redelivered_job_does_its_work_once(
    sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    mark = await enqueue_mark(sessionmaker, suite_jobs.RECORD)
    await relay_all(sessionmaker, broker)
    # The relay died after sending but before marking: the same rows go out again.
    async with transaction(sessionmaker, GZ) as session:
        await session.execute(
            text("UPDATE outbox SET sent_at = NULL WHERE payload->>'mark' = :m"), {"m": mark}
        )
    await relay_and_run(sessionmaker, broker)
    assert await times_ran(sessionmaker, mark) == 1


async def test_run_once_skips_a_processed_key(sessionmaker: Sessions) -> None:
    mark = uuid.uuid4().hex
    spec = (suite_jobs.record_job, suite_jobs.RECORD, GZ, f"key-{mark}", {"mark": mark})
    assert await run_once(*spec, None, sessionmaker) is True
    assert await run_once(*spec, None, sessionmaker) is False
    assert await times_ran(sessionmaker, mark) == 1


def _unreachable_broker(settings: Settings) -> dramatiq.Broker:
    """The same kind of broker, at an address where nothing listens: a broker that is down."""
    url = (
        "amqp://guest:guest@127.0.0.1:9/"
        if settings.broker_url.startswith("amqp")
        else "redis://127.0.0.1:9/0"
    )
    return make_broker(dataclasses.replace(settings, broker_url=url))


async def test_broker_down_keeps_events_until_it_is_back(
    client: Client,
    login: Login,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    settings: Settings,
) -> None:
    mark = await enqueue_mark(sessionmaker, suite_jobs.RECORD)
    # The API does not talk to the broker: it answers while the broker is away.
    response = await client.get("/v1/me", headers=await login(ROLE_LOGINS["tenant_admin"]))
    assert response.status_code == 200
    down = _unreachable_broker(settings)
    with pytest.raises(Exception):  # noqa: B017 - pika's and redis's own connection errors
        await relay_batch(sessionmaker, down, 100)
    down.close()
    assert await _unsent(sessionmaker, mark) == 1  # nothing lost, nothing marked
    await relay_and_run(sessionmaker, broker)
    assert await times_ran(sessionmaker, mark) == 1


async def test_a_message_no_queue_takes_stays_unsent_until_its_queue_is_back(
    sessionmaker: Sessions, broker: dramatiq.Broker, settings: Settings
) -> None:
    if not settings.broker_url.startswith("amqp"):
        pytest.skip("RabbitMQ returns unroutable messages; Redis has no routing")
    mark = await enqueue_mark(sessionmaker, suite_jobs.RECORD)
    assert await relay_all(sessionmaker, broker) >= 1  # the queue exists: all goes
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await times_ran(sessionmaker, mark) == 1
    # Someone deletes the queue behind the broker object's back; the next batch comes back.
    mark = await enqueue_mark(sessionmaker, suite_jobs.RECORD)
    assert isinstance(broker, RabbitmqBroker)
    broker.channel.queue_delete(f"{TEST_DATABASE}.default")
    with pytest.raises(Unroutable):
        await relay_batch(sessionmaker, broker, 500, f"{TEST_DATABASE}.")
    assert await _unsent(sessionmaker, mark) == 1  # not marked: the broker did not take it
    await relay_all(sessionmaker, broker)  # declared again, sent
    with running_worker(broker) as worker:
        await drain(broker, worker)
    assert await times_ran(sessionmaker, mark) == 1


async def test_a_job_due_later_waits(sessionmaker: Sessions, broker: dramatiq.Broker) -> None:
    from datetime import timedelta

    mark = uuid.uuid4().hex
    async with transaction(sessionmaker, GZ) as session:
        await enqueue(
            session,
            Actor(None, GZ, "t"),
            suite_jobs.RECORD,
            {"mark": mark},
            delay=timedelta(hours=1),
        )
    await relay_all(sessionmaker, broker)
    assert await _unsent(sessionmaker, mark) == 1


async def test_a_failing_job_lands_in_dead_letters_and_replays(
    client: Client,
    login: Login,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    settings: Settings,
) -> None:
    mark = uuid.uuid4().hex
    suite_jobs.FAIL_KEYS.add(mark)
    await enqueue_mark(sessionmaker, suite_jobs.FAILING, mark=mark)
    await relay_and_run(sessionmaker, broker)
    platform = await login(ROLE_LOGINS["platform_admin"])
    letters = (await client.get("/v1/platform/dead-letters?limit=200", headers=platform)).json()
    mine = [x for x in letters["items"] if x["payload"].get("mark") == mark]
    assert len(mine) == 1
    assert mine[0]["job"] == suite_jobs.FAILING and mine[0]["tenant"] == GZ
    assert "failing on purpose" in mine[0]["error"]
    assert await times_ran(sessionmaker, mark) == 0

    # Denied to anyone else, and an unknown id is a 404.
    officer = await login(ROLE_LOGINS["tenant_admin"])
    assert (await client.get("/v1/platform/dead-letters", headers=officer)).status_code == 403

    suite_jobs.FAIL_KEYS.discard(mark)  # the cause is fixed
    replayed = await client.post(
        f"/v1/platform/dead-letters/{mine[0]['id']}/replay", headers=platform
    )
    assert replayed.status_code == 202, replayed.text
    again = await client.post(f"/v1/platform/dead-letters/{mine[0]['id']}/replay", headers=platform)
    assert again.status_code == 409
    await relay_and_run(sessionmaker, broker)
    assert await times_ran(sessionmaker, mark) == 1
    pending = (await client.get("/v1/platform/dead-letters?limit=200", headers=platform)).json()
    assert mark not in {x["payload"].get("mark") for x in pending["items"]}
    assert (
        await count(
            sessionmaker, "SELECT count(*) FROM dead_letters WHERE id = :i", i=mine[0]["id"]
        )
        == 1
    )


# --- batches: due jobs of one queue in one message, run in one transaction -------------------


def _row(queue: str = "default", **changes: Any) -> Any:
    row = {
        "tenant_id": GZ,
        "id": uuid.uuid4(),
        "message_key": uuid.uuid4().hex,
        "actor_name": suite_jobs.RECORD,
        "queue_name": queue,
        "payload": {},
        "request_id": "r",
        "batchable": True,
        "retries": 0,
    }
    row.update(changes)
    return SimpleNamespace(**row)


def test_the_relay_packs_due_jobs_of_a_queue_and_leaves_the_rest_alone() -> None:
    rows = [_row() for _ in range(5)] + [_row("other")]
    alone = _row(batchable=False)
    retried = _row(retries=1)
    messages = to_messages([*rows, alone, retried], "p.", batch_size=2)
    batches = [m for m in messages if m.actor_name == BATCH_ACTOR]
    singles = [m for m in messages if m.actor_name != BATCH_ACTOR]
    assert [len(m.kwargs["items"]) for m in batches] == [2, 2]
    assert {m.queue_name for m in batches} == {"p.default"}
    items = [item for m in batches for item in m.kwargs["items"]]
    assert [item["id"] for item in items] == [str(r.id) for r in rows[:4]]
    assert items[0] == {
        "id": str(rows[0].id),
        "tenant": GZ,
        "message_key": rows[0].message_key,
        "actor_name": suite_jobs.RECORD,
        "payload": {},
        "request_id": "r",
    }
    # The fifth of its queue would be a batch of one; the other queue's is alone too.
    by_id = {m.message_id: m for m in singles}
    assert set(by_id) == {str(rows[4].id), str(rows[5].id), str(alone.id), str(retried.id)}
    assert by_id[str(rows[5].id)].queue_name == "p.other"
    assert by_id[str(retried.id)].options == {"retries": 1}  # dramatiq counts on from there
    assert by_id[str(alone.id)].options == {}
    # Size 1: no batches at all.
    assert all(m.actor_name != BATCH_ACTOR for m in to_messages(rows, "p.", batch_size=1))


def _item(job: str, tenant: str, mark: str, **payload: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "tenant": tenant,
        "message_key": f"key-{mark}",
        "actor_name": job,
        "payload": {"mark": mark, **payload},
        "request_id": f"req-{mark}",
    }


async def test_a_batch_runs_each_job_under_its_own_tenant_and_log_context(
    sessionmaker: Sessions,
) -> None:
    marks = [(uuid.uuid4().hex, tenant) for tenant in (GZ, SZ, GZ, SZ)]
    items = [_item(suite_jobs.CONTEXT, tenant, mark) for mark, tenant in marks]
    assert await run_batch(items, sessionmaker) == 4
    for mark, tenant in marks:
        seen = suite_jobs.SEEN_CONTEXT.pop(mark)
        assert seen["bound"] == tenant  # what RLS checked the claim and the work against
        assert seen["tenant"] == tenant
        assert seen["message_key"] == f"key-{mark}"
        assert seen["request_id"] == f"req-{mark}"
        assert await times_ran(sessionmaker, mark, tenant) == 1
        other = SZ if tenant == GZ else GZ
        assert await times_ran(sessionmaker, mark, other) == 0
    # Delivered again (a crash before the acknowledgement): the claims make it a no-op.
    assert await run_batch(items, sessionmaker) == 0
    for mark, tenant in marks:
        assert await times_ran(sessionmaker, mark, tenant) == 1


async def _claims(sessionmaker: Sessions, key: str, tenant: str = GZ) -> int:
    async with transaction(sessionmaker, tenant) as session:
        result = await session.execute(
            text("SELECT count(*) FROM processed_messages WHERE message_key = :k"), {"k": key}
        )
        return int(result.scalar_one())


async def _outbox_rows(sessionmaker: Sessions, key: str, tenant: str = GZ) -> list[Any]:
    async with transaction(sessionmaker, tenant) as session:
        result = await session.execute(
            text(
                "SELECT batchable, retries, sent_at, available_at > now() AS later"
                " FROM outbox WHERE message_key = :k"
            ),
            {"k": key},
        )
        return list(result.all())


async def test_a_job_failing_in_a_batch_rolls_back_alone_and_comes_back_alone(
    sessionmaker: Sessions,
) -> None:
    before, failing, after = (uuid.uuid4().hex for _ in range(3))
    items = [
        _item(suite_jobs.RECORD, GZ, before),
        _item(suite_jobs.FAILING, GZ, failing, always=True),
        _item(suite_jobs.RECORD, SZ, after),
    ]
    assert await run_batch(items, sessionmaker) == 2
    assert await times_ran(sessionmaker, before) == 1
    assert await times_ran(sessionmaker, after, SZ) == 1
    assert await times_ran(sessionmaker, failing) == 0
    # Its claim went with its savepoint; it is back in the outbox, alone, first retry spent.
    assert await _claims(sessionmaker, f"key-{before}") == 1
    assert await _claims(sessionmaker, f"key-{failing}") == 0
    [row] = await _outbox_rows(sessionmaker, f"key-{failing}")
    assert row.batchable is False and row.retries == 1 and row.sent_at is None and row.later
    # The batch delivered again (its acknowledgement lost): the job fails again, and its row
    # is not written twice.
    assert await run_batch(items, sessionmaker) == 0
    assert len(await _outbox_rows(sessionmaker, f"key-{failing}")) == 1
    assert await times_ran(sessionmaker, before) == 1


async def test_a_batch_that_never_commits_leaves_a_dead_letter_per_job(
    sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    """What DeadLetters does when the carrier's own retries run out (the broker fixture
    points this process's jobs at the test database)."""
    marks = [uuid.uuid4().hex for _ in range(2)]
    items = [_item(suite_jobs.RECORD, GZ, mark) for mark in marks]
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name="default",
        actor_name=BATCH_ACTOR,
        args=(),
        kwargs={"items": items},
        options={"retries": 3},
        message_id=str(uuid.uuid4()),
    )
    await record_dead_letter(MessageProxy(message), RuntimeError("the database refused the commit"))
    for item in items:
        letters = await count(
            sessionmaker,
            "SELECT count(*) FROM dead_letters WHERE id = :i AND message_key = :k"
            " AND tenant_code = :t AND actor_name = :a AND retries = 3",
            i=item["id"],
            k=item["message_key"],
            t=GZ,
            a=suite_jobs.RECORD,
        )
        assert letters == 1


async def test_a_job_that_always_fails_in_a_batch_ends_in_dead_letters_and_replays(
    client: Client,
    login: Login,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    mark = uuid.uuid4().hex
    suite_jobs.FAIL_KEYS.add(mark)
    others = [await enqueue_mark(sessionmaker, suite_jobs.RECORD) for _ in range(2)]
    await enqueue_mark(sessionmaker, suite_jobs.FAILING, mark=mark)
    others.append(await enqueue_mark(sessionmaker, suite_jobs.RECORD, SZ))
    assert await relay_all(sessionmaker, broker) >= 4
    with running_worker(broker) as worker:
        await drain(broker, worker)
        for other in others[:2]:
            assert await times_ran(sessionmaker, other) == 1
        assert await times_ran(sessionmaker, others[2], SZ) == 1
        # The failed job's own row, due after the first backoff: relayed alone, it fails its
        # last retry (FAILING has max_retries=1) and becomes a dead letter.
        await asyncio.sleep(0.3)
        assert await relay_all(sessionmaker, broker) >= 1
        await drain(broker, worker)
    platform = await login(ROLE_LOGINS["platform_admin"])
    letters = (await client.get("/v1/platform/dead-letters?limit=200", headers=platform)).json()
    mine = [x for x in letters["items"] if x["payload"].get("mark") == mark]
    assert len(mine) == 1 and mine[0]["job"] == suite_jobs.FAILING
    assert mine[0]["retries"] == 2  # as dramatiq counts a job sent alone: tried, retried once
    assert await times_ran(sessionmaker, mark) == 0

    suite_jobs.FAIL_KEYS.discard(mark)
    replayed = await client.post(
        f"/v1/platform/dead-letters/{mine[0]['id']}/replay", headers=platform
    )
    assert replayed.status_code == 202, replayed.text
    await relay_and_run(sessionmaker, broker)
    assert await times_ran(sessionmaker, mark) == 1
    for other in others[:2]:
        assert await times_ran(sessionmaker, other) == 1


# --- whole processes: the relay and the worker as they run in production ----------------------


def _start(args: list[str], settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        [sys.executable, *args],
        env=process_env(settings, JOB_MIN_BACKOFF_MS="50", JOB_MAX_BACKOFF_MS="200"),
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


WORKER = ["-m", "dramatiq", "services.entry.worker", "--processes", "1", "--threads", "2"]
RELAY = ["-m", "services.entry.relay"]


async def test_events_committed_while_the_relay_is_down_arrive_after_it_starts(
    sessionmaker: Sessions, broker: dramatiq.Broker, settings: Settings
) -> None:
    mark = await enqueue_mark(sessionmaker, suite_jobs.RECORD)
    assert await _unsent(sessionmaker, mark) == 1
    relay = _start(RELAY, settings)
    worker = _start(WORKER, settings)
    try:
        await eventually(lambda: times_ran(sessionmaker, mark), within=60)
    finally:
        _stop(relay)
        _stop(worker)
    assert await times_ran(sessionmaker, mark) == 1


async def _kill_a_worker_once_started(settings: Settings, started: Path) -> None:
    """Starts a worker and kills it (SIGKILL: no chance to commit or acknowledge) as soon as the
    slow job has written ``started``."""
    worker = _start(WORKER, settings)
    try:
        await eventually(lambda: asyncio.to_thread(started.exists), within=60)
    finally:
        _stop(worker, signal.SIGKILL)


async def test_a_worker_killed_mid_job_leaves_the_effect_exactly_once(
    sessionmaker: Sessions, broker: dramatiq.Broker, settings: Settings, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    mark = await enqueue_mark(sessionmaker, suite_jobs.SLOW, started_file=str(started), seconds=60)
    await relay_all(sessionmaker, broker)
    await _kill_a_worker_once_started(settings, started)
    assert await times_ran(sessionmaker, mark) == 0
    second = _start(WORKER, settings)
    try:
        await eventually(lambda: times_ran(sessionmaker, mark), within=90)
        await asyncio.sleep(1)  # a duplicate, if any, would land now
    finally:
        _stop(second)
    assert await times_ran(sessionmaker, mark) == 1


async def test_a_worker_killed_mid_batch_leaves_every_effect_exactly_once(
    sessionmaker: Sessions, broker: dramatiq.Broker, settings: Settings, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    first_marks = [await enqueue_mark(sessionmaker, suite_jobs.RECORD) for _ in range(2)]
    slow = await enqueue_mark(sessionmaker, suite_jobs.SLOW, started_file=str(started), seconds=60)
    last_marks = [await enqueue_mark(sessionmaker, suite_jobs.RECORD, SZ) for _ in range(2)]
    assert await relay_all(sessionmaker, broker) >= 5  # one batch: the default queue's five
    # Mid-batch: two jobs done, one under way, two to come.
    await _kill_a_worker_once_started(settings, started)
    for mark in first_marks:
        assert await times_ran(sessionmaker, mark) == 0  # nothing of the batch committed
    assert await times_ran(sessionmaker, slow) == 0
    second = _start(WORKER, settings)
    try:
        await eventually(lambda: times_ran(sessionmaker, last_marks[-1], SZ), within=90)
        await asyncio.sleep(1)  # a duplicate, if any, would land now
    finally:
        _stop(second)
    for mark in [*first_marks, slow]:
        assert await times_ran(sessionmaker, mark) == 1
    for mark in last_marks:
        assert await times_ran(sessionmaker, mark, SZ) == 1
