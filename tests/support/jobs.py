"""Running the real relay and a real dramatiq worker inside a test, and the suite's own jobs."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.outbox import enqueue
from services.kit.relay import relay_batch
from services.kit.settings import Settings
from tests.support.database import TEST_DATABASE
from tests.support.demo import GZ

DEFAULT_BATCH_SIZE = Settings().job_batch_size
T = TypeVar("T")


async def relay_all(
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Send every due outbox row (what the relay process does in a loop), due jobs of one
    queue ``batch_size`` to a message as the relay sends them by default."""
    total = 0
    while sent := await relay_batch(sessionmaker, broker, 500, f"{TEST_DATABASE}.", batch_size):
        total += sent
    return total


@contextlib.contextmanager
def running_worker(broker: dramatiq.Broker, threads: int = 4) -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


# dramatiq's own test for an empty RabbitMQ queue: this many counts in a row, this far apart
# (a message delivered to the worker but not yet taken up counts as nowhere for a moment).
EMPTY_COUNTS = 10
COUNT_INTERVAL = 0.1


def _join_rabbitmq(broker: RabbitmqBroker, queues: list[str], within: float) -> None:
    """Every queue (and its delay queue) empty ``EMPTY_COUNTS`` times in a row — counted all
    at once, rather than one queue after another as ``broker.join`` would, which costs a
    second a queue and lets a queue already joined fill up again unseen."""
    deadline = time.monotonic() + within
    empty = 0
    while empty < EMPTY_COUNTS:
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{', '.join(queues)} not empty within {within} s")
        waiting = sum(sum(broker.get_queue_message_counts(q)[:-1]) for q in queues)
        empty = empty + 1 if waiting == 0 else 0
        broker.connection.sleep(COUNT_INTERVAL)


async def drain(broker: dramatiq.Broker, worker: dramatiq.Worker, within: float = 120) -> None:
    """Wait until every queue is empty and the worker is idle. A relay sends every row the
    suite left in the outbox so far (the emails of every earlier test among them), so the
    time allowed grows with the suite, not with the test."""

    def wait() -> None:
        queues = sorted(broker.get_declared_queues())
        if isinstance(broker, RabbitmqBroker):
            _join_rabbitmq(broker, queues, within)
        else:  # Redis counts what a worker holds too, and answers at once when all is done
            for queue in queues:
                broker.join(queue, timeout=int(within * 1000))
        worker.join()

    await asyncio.to_thread(wait)


async def relay_and_run(
    sessionmaker: async_sessionmaker[AsyncSession], broker: dramatiq.Broker
) -> None:
    """Relay every committed outbox row and let a real worker run the jobs to the end."""
    await relay_all(sessionmaker, broker)
    with running_worker(broker) as worker:
        await drain(broker, worker)


async def eventually(
    check: Callable[[], Awaitable[T | None]], within: float = 20, interval: float = 0.1
) -> T:
    """Poll an async check until it returns something truthy; that value."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def enqueue_mark(
    sessionmaker: async_sessionmaker[AsyncSession], job: str, tenant: str = GZ, **payload: Any
) -> str:
    """One of the suite's own jobs (``suite_jobs``), committed to the outbox of ``tenant``: the
    mark its run leaves in the audit log."""
    mark: str = payload.setdefault("mark", uuid.uuid4().hex)
    async with transaction(sessionmaker, tenant) as session:
        await enqueue(session, Actor(None, tenant, "test"), job, payload)
    return mark


async def times_ran(
    sessionmaker: async_sessionmaker[AsyncSession], mark: str, tenant: str = GZ
) -> int:
    """How many times a job of the suite's own left its mark."""
    async with transaction(sessionmaker, tenant) as session:
        result = await session.execute(
            text("SELECT count(*) FROM audit_log WHERE tenant_id = :t AND object_id = :m"),
            {"t": tenant, "m": mark},
        )
        return int(result.scalar_one())
