"""Part 3: events/s through outbox → relay → worker, against a bare dramatiq actor.

Both sides run on the same broker (BROKER_URL, else the embedded Redis), with the queue
prefix ``<bench database>.`` (``sws_bench.``), and both are consumed by real worker processes
started the same way (``python -m dramatiq <module> --processes P --threads T``); the sides
are timed one after the other. PRODUCERS (BENCH_PRODUCERS, 16) is enough for the workers,
not the producers, to set the pace on a small machine.

Baseline: PRODUCERS threads ``send()`` N messages of ``bench.bare_noop`` (no database at
all) straight to the broker; it counts by appending a byte to a file, polled here.
Target: PRODUCERS concurrent transactions commit the N events to the outbox with
``services.kit.outbox.enqueue``, 100 per transaction (as the API's role, tenant-bound, as
the API does); the real relay (``python -m services.entry.relay``) sends them; the real worker
(``dramatiq services.entry.worker`` with ``WORKER_EXTRA_MODULES=bench.jobs``) runs
``bench.claim_only``, whose only work is the idempotency claim in the job's own transaction.
Completions are the committed claims, counted in ``processed_messages``. Each run's events
carry message keys that share a random prefix (``message_key`` of ``enqueue``, as the
chronograph sets its own), so the poll counts them with a short range scan of the primary
key, and reads the outbox only until all are relayed: the probe stays cheap on a database
whose CPU the measured path shares (a count over the table every POLL_SECONDS cost more
PostgreSQL CPU than the jobs' own claims).

All the processes start together and both sides warm up (WARMUP events each: workers up,
pools open) before either is timed, so neither pays for start-up and the side not being
timed sits idle (its CPU in the window is reported). The clock runs from the first send to
the poll that sees the last completion (both sides polled every POLL_SECONDS). The worker and
relay logs stay on (LOG_LEVEL as in part 1, JSON, to files).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dramatiq
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench import processes
from bench.jobs import (
    BARE_QUEUE,
    CLAIM_JOB,
    CLAIM_QUEUE,
    COUNT_FILE_ENV,
    declare_bare,
)
from bench.server import DATABASE, TENANT
from services.entry.local_servers import broker_url as embedded_broker_url
from services.kit.audit import Actor
from services.kit.db import make_engine, make_sessionmaker, transaction
from services.kit.jobs import make_broker
from services.kit.outbox import enqueue
from services.kit.settings import Settings

QUEUE_PREFIX = f"{DATABASE}."
TARGET_RATIO = 0.5
BATCH = 100  # outbox events per committed transaction
WARMUP = 200
POLL_SECONDS = 0.01
STALL_SECONDS = 30.0  # no completion for this long: something is wrong, stop
Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Flow:
    events: int
    seconds: float  # first send -> the poll that saw the last completion
    sent_seconds: float  # first send -> every producer done (committed, or confirmed)
    relayed_seconds: float | None = None  # first send -> every outbox row marked sent
    cpu: dict[str, float | None] = field(default_factory=dict)  # CPU s in the window

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class EventsReport:
    broker: str
    events: int
    processes: int
    threads: int
    producers: int
    baseline: Flow
    target: Flow

    @property
    def ratio(self) -> float:
        return self.target.rate / self.baseline.rate if self.baseline.rate else 0.0


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _stuck(what: str, value: int, goal: int, children: list[processes.Child]) -> RuntimeError:
    tails = "\n".join(f"--- {c.name}:\n{c.log_tail()}" for c in children)
    return RuntimeError(f"{what}: stuck at {value} of {goal} for {STALL_SECONDS:.0f} s\n{tails}")


async def _wait(
    progress: Callable[[], Awaitable[tuple[int, int]]],
    goal: int,
    children: list[processes.Child],
    what: str,
) -> tuple[float, float]:
    """Poll ``progress`` (completed, not yet marked relayed) until ``goal`` have completed
    and none is left to relay; return when each was first seen (perf_counter). The relay
    marks a batch sent after publishing all of it, so either may come first. Fails if a
    child dies, or if neither count moves for STALL_SECONDS."""
    done_at: float | None = None
    relayed_at: float | None = None
    last, last_change = (-1, -1), time.monotonic()
    while True:
        counts = await progress()
        completed, unrelayed = counts
        now = time.perf_counter()
        if relayed_at is None and unrelayed == 0:
            relayed_at = now
        if done_at is None and completed >= goal:
            done_at = now
        if done_at is not None and relayed_at is not None:
            return done_at, relayed_at
        if counts != last:
            last, last_change = counts, time.monotonic()
        for child in children:
            child.check()
        if time.monotonic() - last_change > STALL_SECONDS:
            raise _stuck(what, completed, goal, children)
        await asyncio.sleep(POLL_SECONDS)


def _send_all(
    actor: dramatiq.Actor[Any, Any], pool: ThreadPoolExecutor, producers: int, n: int, tag: str
) -> None:
    """Baseline: ``n`` messages straight to the broker from ``producers`` threads (each has
    its own broker connection), the same arguments as the outbox's messages carry."""

    def send(start: int) -> None:
        for i in range(start, n, producers):
            actor.send(tenant=TENANT[0], message_key=_key(tag, i), payload={"n": i}, request_id=tag)

    for future in [pool.submit(send, k) for k in range(producers)]:
        future.result()


async def _enqueue_all(app: Sessions, n: int, producers: int, tag: str) -> None:
    """Target: ``n`` events committed to the outbox in transactions of BATCH, by
    ``producers`` concurrent tasks, each with its own connection, as the API's role."""
    actor = Actor(user_id=None, tenant=TENANT[0], request_id=tag)
    batches = iter(range(0, n, BATCH))

    async def producer() -> None:
        for start in batches:
            async with transaction(app, TENANT[0]) as session:
                for i in range(start, min(start + BATCH, n)):
                    await enqueue(
                        session,
                        actor,
                        CLAIM_JOB,
                        {"n": i},
                        queue_name=CLAIM_QUEUE,
                        message_key=_key(tag, i),
                    )

    await asyncio.gather(*(producer() for _ in range(producers)))


def _key(tag: str, i: int) -> str:
    """The message key of a run's ``i``-th event: the run's tag (32 hex digits), then ``i``."""
    return f"{tag}{i:07d}"


# A run's keys lie between these two, in any collation (the tag is unique to the run).
_DONE = text(
    "SELECT count(*) FROM processed_messages"
    " WHERE tenant_id = :t AND message_key BETWEEN :lo AND :hi"
)
_UNRELAYED = text(
    "SELECT count(*) FROM outbox WHERE tenant_id = :t AND actor_name = :a AND sent_at IS NULL"
)


async def _clean(owner: Sessions) -> None:
    """Forget earlier runs: the bench job's rows, and every job the bench tenant left unsent
    (part 4's document checks, say), which would otherwise run during this measurement."""
    async with transaction(owner, TENANT[0]) as session:
        await session.execute(
            text(
                "DELETE FROM outbox WHERE tenant_id = :t AND (sent_at IS NULL OR actor_name = :a)"
            ),
            {"t": TENANT[0], "a": CLAIM_JOB},
        )
        await session.execute(
            text("DELETE FROM processed_messages WHERE tenant_id = :t AND actor_name = :a"),
            {"t": TENANT[0], "a": CLAIM_JOB},
        )


@dataclass
class _Rig:
    """Everything both sides run on, started once."""

    bare_workers: processes.Child
    relay: processes.Child
    workers: processes.Child
    count_file: Path
    actor: dramatiq.Actor[Any, Any]
    pool: ThreadPoolExecutor
    producers: int
    app: Sessions
    owner: Sessions

    @property
    def children(self) -> list[processes.Child]:
        return [self.bare_workers, self.relay, self.workers]

    async def bare_progress(self) -> tuple[int, int]:
        return self.count_file.stat().st_size, 0

    def outbox_progress(self, tag: str, n: int) -> Callable[[], Awaitable[tuple[int, int]]]:
        """(claims committed, events not yet relayed) of the run ``tag`` of ``n`` events."""
        unrelayed = n

        async def progress() -> tuple[int, int]:
            nonlocal unrelayed
            async with transaction(self.owner, TENANT[0]) as session:
                done = await session.scalar(
                    _DONE, {"t": TENANT[0], "lo": _key(tag, 0), "hi": _key(tag, n)}
                )
                if unrelayed:  # once all are relayed, no need to look again
                    unrelayed = await session.scalar(_UNRELAYED, {"t": TENANT[0], "a": CLAIM_JOB})
            return int(done or 0), int(unrelayed or 0)

        return progress

    def cpu(self) -> dict[str, float | None]:
        return {
            "bare": self.bare_workers.cpu_seconds(),
            "relay": self.relay.cpu_seconds(),
            "workers": self.workers.cpu_seconds(),
            "producers": time.process_time(),  # this process: the senders, and the polling
        }


def _window(
    before: dict[str, float | None], after: dict[str, float | None]
) -> dict[str, float | None]:
    """CPU seconds used between two ``_Rig.cpu()`` readings (None where unknown)."""
    used: dict[str, float | None] = {}
    for key, start in before.items():
        end = after[key]
        used[key] = None if start is None or end is None else end - start
    return used


async def _baseline(rig: _Rig, n: int) -> Flow:
    cpu = rig.cpu()
    started = time.perf_counter()
    await asyncio.to_thread(_send_all, rig.actor, rig.pool, rig.producers, n, uuid.uuid4().hex)
    sent = time.perf_counter() - started
    done_at, _ = await _wait(rig.bare_progress, WARMUP + n, rig.children, "baseline")
    elapsed = done_at - started
    used = _window(cpu, rig.cpu())
    return Flow(
        events=n,
        seconds=elapsed,
        sent_seconds=sent,
        cpu={
            "workers": used["bare"],
            "producers": used["producers"],
            "idle": _sum(used["relay"], used["workers"]),
        },
    )


async def _target(rig: _Rig, n: int) -> Flow:
    cpu = rig.cpu()
    started = time.perf_counter()
    tag = uuid.uuid4().hex
    await _enqueue_all(rig.app, n, rig.producers, tag)
    sent = time.perf_counter() - started
    done_at, relayed_at = await _wait(rig.outbox_progress(tag, n), n, rig.children, "target")
    elapsed = done_at - started
    used = _window(cpu, rig.cpu())
    return Flow(
        events=n,
        seconds=elapsed,
        sent_seconds=sent,
        relayed_seconds=relayed_at - started,
        cpu={
            "relay": used["relay"],
            "workers": used["workers"],
            "producers": used["producers"],
            "idle": used["bare"],
        },
    )


def _sum(*values: float | None) -> float | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


async def _measure(
    settings: Settings,
    broker: dramatiq.Broker,
    env: dict[str, str],
    worker_args: list[str],
    n: int,
    producers: int,
) -> tuple[Flow, Flow]:
    app_engine = make_engine(settings.app_database_url, settings)
    owner_engine = make_engine(settings.admin_database_url, settings)
    try:
        owner = make_sessionmaker(owner_engine)
        await _clean(owner)
        with tempfile.TemporaryDirectory(prefix="sws-bench-events-") as tmp:
            log_dir = Path(tmp)
            count_file = log_dir / "bare.count"
            count_file.touch()
            dramatiq_args = ["-m", "dramatiq", *worker_args]
            with (
                processes.running(
                    "bare-workers",
                    [*dramatiq_args, "bench.bare_worker"],
                    {**env, COUNT_FILE_ENV: str(count_file)},
                    log_dir,
                ) as bare_workers,
                processes.running("relay", ["-m", "services.entry.relay"], env, log_dir) as relay,
                processes.running(
                    "workers",
                    [*dramatiq_args, "services.entry.worker"],
                    {**env, "WORKER_EXTRA_MODULES": "bench.jobs"},
                    log_dir,
                ) as workers,
                ThreadPoolExecutor(producers, thread_name_prefix="bench-send") as pool,
            ):
                rig = _Rig(
                    bare_workers,
                    relay,
                    workers,
                    count_file,
                    declare_bare(broker, QUEUE_PREFIX),
                    pool,
                    producers,
                    make_sessionmaker(app_engine),
                    owner,
                )
                # Both warm-ups at once: the slow part is the processes' start-up.
                warmup = uuid.uuid4().hex
                await asyncio.to_thread(_send_all, rig.actor, pool, producers, WARMUP, warmup)
                await _enqueue_all(rig.app, WARMUP, producers, warmup)
                await _wait(rig.bare_progress, WARMUP, rig.children, "baseline warm-up")
                await _wait(
                    rig.outbox_progress(warmup, WARMUP), WARMUP, rig.children, "target warm-up"
                )
                baseline = await _baseline(rig, n)
                target = await _target(rig, n)
        await _clean(owner)
    finally:
        await app_engine.dispose()
        await owner_engine.dispose()
    return baseline, target


def run(database_url: str, log_level: str) -> EventsReport:
    n = _env_int("BENCH_EVENTS", 3_000)
    worker_processes = _env_int("BENCH_WORKER_PROCESSES", 2)
    threads = _env_int("BENCH_WORKER_THREADS", 8)
    producers = _env_int("BENCH_PRODUCERS", 16)
    if not 1 <= n <= 100_000:
        raise SystemExit("BENCH_EVENTS must be 1..100000")
    url, embedded = embedded_broker_url()
    broker_label = "BROKER_URL" if embedded is None else "embedded Redis in ./.data"
    broker_label += ", " + ("RabbitMQ" if url.startswith("amqp") else "Redis")
    settings = Settings(database_url=database_url, broker_url=url, queue_prefix=QUEUE_PREFIX)
    env = processes.child_env(
        DATABASE_URL=database_url,
        BROKER_URL=url,
        QUEUE_PREFIX=QUEUE_PREFIX,
        LOG_FORMAT="json",
        LOG_LEVEL=log_level,
    )
    worker_args = ["--processes", str(worker_processes), "--threads", str(threads)]
    broker = make_broker(settings)
    try:
        for queue in (BARE_QUEUE, CLAIM_QUEUE):  # leftovers of an interrupted run
            broker.declare_queue(QUEUE_PREFIX + queue)
            broker.flush(QUEUE_PREFIX + queue)
        baseline, target = asyncio.run(_measure(settings, broker, env, worker_args, n, producers))
    finally:
        broker.close()
        client = getattr(broker, "client", None)
        if client is not None:  # RedisBroker: close() leaves its pool connected, and the
            client.connection_pool.disconnect()  # embedded Redis stops only with no clients
        del embedded  # the embedded Redis stops at exit, if this process is its last client
    return EventsReport(broker_label, n, worker_processes, threads, producers, baseline, target)
