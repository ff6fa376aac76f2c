"""The suite's own database: its name, and the URLs and sessions that reach it."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# Recreated at the start of every run on the DATABASE_URL server; concurrent runs need their own,
# and so does each of a run's workers (pytest-xdist's ``gw0``, ``gw1``…): everything else a run
# holds, its broker queues, its bucket, its fuzzer's database, is named after this.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
TEST_DATABASE = os.environ.get("TEST_DATABASE", "sws_test") + (f"_{_WORKER}" if _WORKER else "")
Sessions = async_sessionmaker[AsyncSession]


@contextmanager
def one_at_a_time(name: str) -> Iterator[None]:
    """Across this machine's test processes (the workers of one run, or concurrent runs)."""
    with open(Path(tempfile.gettempdir()) / f"sws-test-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def with_database(url: str, name: str) -> str:
    """The same server's URL, naming another database."""
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


async def recreate(url: str) -> None:
    """Drop the URL's database (after ending its sessions); the migration creates it anew."""
    name = url.partition("?")[0].rsplit("/", 1)[1]
    connection = await asyncpg.connect(with_database(url, "postgres").replace("+asyncpg", ""))
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await connection.close()


async def count(sessionmaker: Sessions, sql: str, **params: object) -> int:
    """A ``SELECT count(*) …`` as the app role, outside any tenant."""
    async with sessionmaker() as session:
        return int((await session.execute(text(sql), params)).scalar_one())
