"""Part 6: a mixed read load on the API as ``make run`` starts it (granian, one worker per
core, respawn on), against the same load on one worker, in the same run.

wrk holds BENCH_MIXED_CONCURRENCY (200) keep-alive connections for BENCH_MIXED_SECONDS (60) and
rotates three reads: the public notices, 广州市's procurement list (a finance officer's token)
and that officer's inbox. A request unanswered after BENCH_MIXED_TIMEOUT (5 s) counts as a
timeout. The demo world is seeded into the bench database for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench import load, server
from services.demo import DEMO_PASSWORD
from services.demo import seed as seed_demo
from services.entry.local import programs
from services.kit.db import make_engine, make_sessionmaker
from services.kit.settings import Settings

REGION = "440100"
LOGIN = "finance-officer@gz.demo.gov.cn"
PATHS = ("/v1/notices", f"/v1/tenants/{REGION}/procurements", "/v1/me/notifications")
TARGET_P99_MS = 1000.0
SCRIPT = Path(__file__).with_name("mixed.lua")


@dataclass
class Run:
    workers: int
    result: load.LoadResult


@dataclass
class Report:
    runs: list[Run]
    concurrency: int
    seconds: int
    timeout: int
    connections: str


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


async def _seed(url: str) -> None:
    settings = Settings(database_url=url)
    engine = make_engine(settings.app_database_url, settings)
    try:
        await seed_demo(make_sessionmaker(engine), settings)
    finally:
        await engine.dispose()


async def _max_connections(url: str) -> tuple[int, int]:
    """PostgreSQL's max_connections and how many are in use now (other clients included)."""
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        limit = int(await connection.fetchval("SHOW max_connections"))
        used = int(await connection.fetchval("SELECT count(*) FROM pg_stat_activity"))
    finally:
        await connection.close()
    return limit, used


def connection_budget(url: str, workers: int) -> str:
    """What the widest run may open against what the server allows; refuses a run that would
    not fit (its errors would measure PostgreSQL turning connections away)."""
    settings = Settings(database_url=url)
    per_worker = settings.db_pool_size + settings.db_max_overflow + 1  # + the LISTEN one
    limit, used = asyncio.run(_max_connections(url))
    need = workers * per_worker
    if used + need > limit:
        raise RuntimeError(
            f"{workers} workers x {per_worker} connections = {need}, but PostgreSQL allows "
            f"{limit} and {used} are in use: lower DB_POOL_SIZE/DB_MAX_OVERFLOW"
        )
    return (
        f"{workers} workers x ({settings.db_pool_size} pool + {settings.db_max_overflow} "
        f"overflow + 1 LISTEN) = {need} at most; max_connections {limit}, {used} in use before"
    )


@contextlib.contextmanager
def _api(url: str, workers: int, log_level: str) -> Iterator[server.Granian]:
    """The API started with make run's command line, on a free port; always stopped."""
    port = server.free_port()
    env = os.environ.copy()
    env.update(DATABASE_URL=url, LOG_FORMAT="json", LOG_LEVEL=log_level)
    with tempfile.TemporaryDirectory(prefix="sws-bench-mixed-") as tmp:
        log_path = Path(tmp) / "granian.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                programs(workers, load.HOST, str(port))["api"],
                cwd=server.ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            api = server.Granian(process, port, log_path)
            try:
                server.wait_ready(api)
                yield api
            finally:
                server._stop(process)


def _token(api: server.Granian) -> str:
    """Sign in, and check each path answers 200 before any load."""
    with httpx.Client(base_url=api.base_url, trust_env=False, timeout=30) as client:
        response = client.post("/v1/auth/login", json={"login": LOGIN, "password": DEMO_PASSWORD})
        if response.status_code != 200:
            raise RuntimeError(f"sign-in failed: {response.status_code} {response.text}")
        token = str(response.json()["access_token"])
        for path in PATHS:
            answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
            if answer.status_code != 200:
                raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
    return token


def _measure(
    wrk: str, api: server.Granian, token: str, concurrency: int, seconds: int, timeout: int
) -> load.LoadResult:
    return load.run_wrk(
        wrk,
        api.port,
        PATHS[0],
        {},
        concurrency,
        seconds,
        timeout_seconds=timeout,
        script=SCRIPT,
        script_args=[token, *PATHS],
    )


def run(url: str, log_level: str) -> Report:
    wrk = load.wrk_path()
    if wrk is None:
        raise RuntimeError("part 6 needs wrk on PATH (Debian: apt-get install wrk)")
    concurrency = _env_int("BENCH_MIXED_CONCURRENCY", 200)
    seconds = _env_int("BENCH_MIXED_SECONDS", 60)
    timeout = _env_int("BENCH_MIXED_TIMEOUT", 5)
    warmup = _env_int("BENCH_WARMUP_SECONDS", 2)
    asyncio.run(_seed(url))
    cores = os.cpu_count() or 1
    budget = connection_budget(url, cores)
    runs = []
    for workers in (1, cores):
        with _api(url, workers, log_level) as api:
            token = _token(api)
            if warmup > 0:
                _measure(wrk, api, token, concurrency, warmup, timeout)
            runs.append(Run(workers, _measure(wrk, api, token, concurrency, seconds, timeout)))
            if api.process.poll() is not None:
                raise RuntimeError(f"granian exited during the run:\n{api.log_tail()}")
    return Report(runs, concurrency, seconds, timeout, budget)
