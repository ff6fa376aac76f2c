"""The API's connection pool serves waiting requests in the order they came."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import text
from sqlalchemy.util.queue import Empty

from services.kit.db import make_engine
from services.kit.pool import FairAsyncPool, FairQueue
from services.kit.settings import Settings


async def test_a_returned_connection_goes_to_the_longest_waiter_not_a_newcomer() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    waiting = asyncio.create_task(queue._wait(None))
    await asyncio.sleep(0)  # it is in line
    queue.put_nowait("connection")
    # A request arriving before the woken one runs finds nothing to take.
    with pytest.raises(Empty):
        queue.get_nowait()
    assert await waiting == "connection"
    assert queue.empty()


async def test_waiters_are_served_first_come_first_served() -> None:
    queue: FairQueue[int] = FairQueue(maxsize=3)
    waiters = []
    for _ in range(3):
        waiters.append(asyncio.create_task(queue._wait(None)))
        await asyncio.sleep(0)
    for connection in (1, 2, 3):
        queue.put_nowait(connection)
    assert await asyncio.gather(*waiters) == [1, 2, 3]


async def test_a_waiter_that_gave_up_is_skipped() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    with pytest.raises(Empty):
        await queue._wait(0.01)  # the pool's timeout
    cancelled = asyncio.create_task(queue._wait(None))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    queue.put_nowait("connection")
    assert queue.get_nowait() == "connection"  # kept for the next request, not lost


async def test_the_apis_engine_uses_it_and_every_request_gets_its_turn(settings: Settings) -> None:
    narrow = dataclasses.replace(settings, db_pool_size=1, db_max_overflow=0)
    engine = make_engine(narrow.app_database_url, narrow)
    assert isinstance(engine.pool, FairAsyncPool)
    served: list[int] = []

    async def request(number: int) -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_sleep(0.01)"))
            served.append(number)

    try:
        await asyncio.gather(*(request(n) for n in range(20)))
    finally:
        await engine.dispose()
    assert served == list(range(20))  # each in its turn
