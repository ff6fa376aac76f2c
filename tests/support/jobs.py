"""Running the real relay and a real dramatiq worker inside a test."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import dramatiq
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.relay import relay_batch
from services.kit.settings import Settings
from tests.support.database import TEST_DATABASE

DEFAULT_BATCH_SIZE = Settings().job_batch_size


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
def running_worker(broker: dramatiq.Broker, threads: int = 2) -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


async def drain(broker: dramatiq.Broker, worker: dramatiq.Worker, within: float = 30) -> None:
    """Wait until every queue is empty and the worker is idle."""

    def wait() -> None:
        for queue in list(broker.get_declared_queues()):
            broker.join(queue, timeout=int(within * 1000))
        worker.join()

    await asyncio.to_thread(wait)


async def eventually(check, within: float = 20, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll an async check until it returns something truthy; that value."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
