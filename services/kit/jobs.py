"""Background jobs on dramatiq: the broker, the ``job`` decorator, idempotency, dead letters.

A job function is ``async def fn(ctx: JobContext, payload: dict) -> None``. Each delivery runs
in one transaction bound to the job's tenant; the first thing that transaction does is claim
the job's ``message_key`` in ``processed_messages``. The claim commits with the work, so a
redelivery after the work committed finds the key and does nothing, and a crash before the
commit loses both, so the redelivery does the work. Jobs that keep failing land in
``dead_letters``, which platform admins list and replay through the API.

A batch (the relay packs up to ``JOB_BATCH_SIZE`` due jobs of one queue into one message of
``jobs.batch``) runs in one transaction: each job binds its tenant and claims its key, as
above, and the batch commits once. It runs first without savepoints; if a job raises, that
run is rolled back and the batch runs again with each job inside a savepoint of its own, so a
job that raises rolls back its own claim and work and nothing else. A job that raised is
written back to the outbox in that same transaction, as a row of its own with its first retry
counted, due after the first backoff (or straight to ``dead_letters`` when it has no
retries): from there dramatiq's retries, backoff and dead letters treat it exactly as a job
sent alone. A crash before the
commit loses the whole batch's work, and the broker delivers the batch again.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dramatiq
import structlog
from dramatiq.broker import MessageProxy
from dramatiq.common import compute_backoff
from dramatiq.middleware import Middleware, Retries
from dramatiq.middleware.retries import DEFAULT_MAX_BACKOFF
from sqlalchemy import DateTime, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.audit import Actor
from services.kit.db import Base, make_engine, make_sessionmaker, transaction
from services.kit.outage import retry_through_outage
from services.kit.outbox import OutboxEvent, forget_notify
from services.kit.settings import Settings, get_settings

log = structlog.get_logger(__name__)

# The carrier of a batch: the relay packs due jobs of one queue into one message of this actor.
BATCH_ACTOR = "jobs.batch"


class ProcessedMessage(Base):
    __tablename__ = "processed_messages"

    tenant_id: Mapped[str] = mapped_column(String(6), primary_key=True)
    message_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class DeadLetter(Base):
    """A job that failed every retry. A platform record: it names the tenant it ran for."""

    __tablename__ = "dead_letters"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the dramatiq message id
    tenant_code: Mapped[str] = mapped_column(String(6), index=True)
    message_key: Mapped[str] = mapped_column(String(200))
    actor_name: Mapped[str] = mapped_column(String(100))
    queue_name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str] = mapped_column(Text)
    retries: Mapped[int] = mapped_column()
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    replayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class JobContext:
    session: AsyncSession
    tenant: str
    message_key: str
    request_id: str | None

    @property
    def actor(self) -> Actor:
        """The audit actor of work done by a job: no user, the job's tenant and request."""
        return Actor(user_id=None, tenant=self.tenant, request_id=self.request_id)


JobFunction = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


class _Runtime:
    """The worker's database access, made on the worker's event loop at first use (pooled
    connections belong to the loop that opened them; a restarted worker has a new loop)."""

    settings: Settings | None = None
    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def get(cls) -> async_sessionmaker[AsyncSession]:
        loop = asyncio.get_running_loop()
        if cls.sessionmaker is None or cls.loop is not loop:
            settings = cls.settings or get_settings()
            cls.loop = loop
            cls.engine = make_engine(settings.app_database_url, settings)
            cls.sessionmaker = make_sessionmaker(cls.engine)
        return cls.sessionmaker

    @classmethod
    async def close(cls) -> None:
        """Close the pooled connections on the loop that opened them (a worker stopped
        without this leaves them open in PostgreSQL until the process exits)."""
        engine, cls.engine, cls.sessionmaker, cls.loop = cls.engine, None, None, None
        if engine is not None:
            await engine.dispose()


class CloseDatabase(Middleware):
    """Closes the jobs' connection pool when a worker stops, while its event loop still runs.
    Added after AsyncIO: after-hooks run in reverse, so this one runs before the loop stops."""

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = dramatiq.asyncio.get_event_loop_thread()
        if loop_thread is not None and _Runtime.loop is loop_thread.loop:
            loop_thread.run_coroutine(_Runtime.close())


def job_settings() -> Settings:
    """The settings this process's jobs run with: the environment's, or use_settings()'s."""
    return _Runtime.settings or get_settings()


def use_settings(settings: Settings) -> None:
    """Point this process's jobs at other settings (an embedded test database, say)."""
    _Runtime.settings, _Runtime.engine, _Runtime.sessionmaker = settings, None, None


# The job's first statement: binds the transaction to the job's tenant (as bind_tenant does,
# SET LOCAL) and claims the key, in one round trip. The CTE runs before the row is inserted,
# so row-level security checks the claim against the tenant it has just bound.
_BIND_AND_CLAIM = text(
    "WITH bound AS (SELECT set_config('app.tenant_id', :tenant, true) AS tenant_id,"
    " set_config('app.provider_id', '', true))"
    " INSERT INTO processed_messages (tenant_id, message_key, actor_name)"
    " SELECT tenant_id, :message_key, :actor_name FROM bound"
    " ON CONFLICT DO NOTHING RETURNING message_key"
)


async def run_once(
    fn: JobFunction,
    actor_name: str,
    tenant: str,
    message_key: str,
    payload: dict[str, Any],
    request_id: str | None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> bool:
    """Run a job unless its key was processed; True when it ran."""
    structlog.contextvars.bind_contextvars(
        tenant=tenant, request_id=request_id, job=actor_name, message_key=message_key
    )
    try:
        async with (sessionmaker or _Runtime.get())() as session, session.begin():
            connection = await session.connection()
            claim = await connection.execute(
                _BIND_AND_CLAIM,
                {"tenant": tenant, "message_key": message_key, "actor_name": actor_name},
            )
            if claim.first() is None:
                log.info("job_skipped_already_processed")
                return False
            await fn(JobContext(session, tenant, message_key, request_id), payload)
        log.info("job_done")
        return True
    finally:
        structlog.contextvars.unbind_contextvars("tenant", "request_id", "job", "message_key")


_BIND = text(
    "SELECT set_config('app.tenant_id', :tenant, true), set_config('app.provider_id', '', true)"
)


class _JobRaised(Exception):
    """A job raised in a batch run without savepoints: that run is rolled back whole."""


async def run_batch(
    items: list[dict[str, Any]],
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> int:
    """Run a batch of jobs in one transaction (see the module's docstring); the number that
    ran. Raises only when the batch as a whole could not commit: nothing of it is kept.

    Jobs rarely fail, so the batch first runs without savepoints (a SAVEPOINT and a RELEASE
    per job cost as much as the claim). If a job raises, that run is rolled back whole and the
    batch runs again with a savepoint per job; either way only committed work counts."""
    sessions = sessionmaker or _Runtime.get()
    try:
        done = await _run_batch(items, sessions, isolate=False)
    except _JobRaised:
        done = await _run_batch(items, sessions, isolate=True)
    for item in done:  # logged once committed
        with _job_log_context(item):
            log.info("job_done")
    return len(done)


@contextlib.contextmanager
def _job_log_context(item: dict[str, Any]) -> Iterator[None]:
    structlog.contextvars.bind_contextvars(
        tenant=item["tenant"],
        request_id=item.get("request_id"),
        job=item["actor_name"],
        message_key=item["message_key"],
    )
    try:
        yield
    finally:
        structlog.contextvars.unbind_contextvars("tenant", "request_id", "job", "message_key")


async def _run_batch(
    items: list[dict[str, Any]],
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    isolate: bool,
) -> list[dict[str, Any]]:
    """One run of a batch; the items that ran (committed on return). ``isolate``: each job
    in a savepoint, and a job that raises goes back to the outbox alone; otherwise a job that
    raises fails the run (``_JobRaised``, everything rolled back)."""
    settings = job_settings()
    failed: list[tuple[dict[str, Any], BaseException]] = []
    done: list[dict[str, Any]] = []
    async with sessionmaker() as session, session.begin():
        for item in items:
            tenant, message_key, actor_name = (
                item["tenant"],
                item["message_key"],
                item["actor_name"],
            )
            with _job_log_context(item):
                try:
                    spec = JOBS.get(actor_name)
                    if spec is None:
                        raise LookupError(f"no job named {actor_name!r} in this worker")
                    async with contextlib.AsyncExitStack() as savepoint:
                        if isolate:
                            await savepoint.enter_async_context(session.begin_nested())
                        # Through the session: that emits the SAVEPOINT (begin_nested defers
                        # it to the session's next use), so the claim is inside it.
                        connection = await session.connection()
                        claim = await connection.execute(
                            _BIND_AND_CLAIM,
                            {
                                "tenant": tenant,
                                "message_key": message_key,
                                "actor_name": actor_name,
                            },
                        )
                        if claim.first() is None:
                            log.info("job_skipped_already_processed")
                            continue
                        context = JobContext(session, tenant, message_key, item.get("request_id"))
                        await spec.fn(context, item["payload"])
                        # Written now, under this job's tenant (inside its savepoint).
                        await session.flush()
                    done.append(item)
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    if not isolate:
                        log.info("job_failed_in_batch_rerun_with_savepoints", error=error)
                        raise _JobRaised from exc
                    forget_notify(session)
                    failed.append((item, exc))
                    log.warning("job_failed_in_batch", error=error)
                finally:
                    # The next job starts from a clean session, as a job alone would.
                    session.expunge_all()
        for item, raised in failed:
            await _send_alone(session, settings, item, raised)
    return done


async def _send_alone(
    session: AsyncSession, settings: Settings, item: dict[str, Any], exc: BaseException
) -> None:
    """A job that raised in a batch: its first attempt is spent. As dramatiq's Retries would,
    either a dead letter (no retries) or a new outbox row of its own, due after the first
    backoff, carrying retries=1; in the batch's transaction, so it commits with the batch."""
    spec = JOBS.get(item["actor_name"])
    policy = retry_policy(spec, settings)
    queue_name = spec.queue_name if spec else "default"
    if policy.max_retries <= 0 or spec is None:
        # retries=1: what dramatiq's Retries counts after a first failed attempt.
        await _dead_letter_item(session, item, _error_text(exc), retries=1)
        log.error("job_dead_lettered", job=item["actor_name"], message_id=item["id"])
        return
    _, backoff_ms = compute_backoff(
        0,
        factor=policy.min_backoff_ms,
        max_backoff=min(policy.max_backoff_ms, DEFAULT_MAX_BACKOFF),
    )
    connection = await session.connection()
    await connection.execute(_BIND, {"tenant": item["tenant"]})
    # Its id follows from the batch row's: a batch delivered again after its commit (the
    # acknowledgement was lost) fails the job again, and writes nothing more.
    await connection.execute(
        insert(OutboxEvent)
        .values(
            tenant_id=item["tenant"],
            id=uuid.uuid5(_RETRY_NAMESPACE, item["id"]),
            message_key=item["message_key"],
            actor_name=item["actor_name"],
            queue_name=queue_name,
            payload=item["payload"],
            request_id=item.get("request_id"),
            available_at=func.now() + timedelta(milliseconds=backoff_ms),
            attempts=0,
            batchable=False,
            retries=1,
        )
        .on_conflict_do_nothing()
    )
    log.info("job_retry_scheduled", job=item["actor_name"], backoff_ms=backoff_ms)


_RETRY_NAMESPACE = uuid.UUID("6f1c2a52-1d0e-4d8b-9a43-2f5e0b7c9d61")


def _error_text(exception: BaseException) -> str:
    return "".join(traceback.format_exception(exception, limit=20))[-8000:]


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFunction
    queue_name: str
    max_retries: int | None
    # Talks to the outside world (SMTP, webhooks): retried over hours, see outward_retries.
    outward: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """What dramatiq's Retries does with one job: how often, and how long between tries."""

    max_retries: int
    min_backoff_ms: int
    max_backoff_ms: int


def shortest_retry_span_ms(retries: int, min_backoff_ms: int, max_backoff_ms: int) -> int:
    """The least time ``retries`` retries can take under dramatiq's ``compute_backoff``:
    retry n waits ``min_backoff * 2**n`` to twice that, or, once that passes the cap, half
    the cap to the cap (its jitter). So at least ``min(min_backoff * 2**n, cap // 2)``."""
    cap = min(max_backoff_ms, DEFAULT_MAX_BACKOFF)
    return sum(min(min_backoff_ms * 2 ** min(n, 32), cap // 2) for n in range(retries))


def retries_to_span(span_ms: int, min_backoff_ms: int, max_backoff_ms: int) -> int:
    """The fewest retries whose shortest schedule lasts ``span_ms`` or more."""
    if min(min_backoff_ms, max_backoff_ms // 2) <= 0:
        raise ValueError("backoffs must be positive, the cap at least 2 ms")
    retries = 0
    while shortest_retry_span_ms(retries, min_backoff_ms, max_backoff_ms) < span_ms:
        retries += 1
    return retries


def outward_retries(settings: Settings) -> RetryPolicy:
    """Deliveries to the outside world outlast an outage of the receiving server: capped
    exponential backoff (DELIVERY_MIN/MAX_BACKOFF_MS) for as many retries as it takes to
    span DELIVERY_RETRY_SPAN_SECONDS, whatever the jitter. With the defaults (1 s, 10 min,
    6 h) that is 80 retries over 6 h 3 min at the least, about 9 h typically. A retry waits
    unacknowledged in the worker, so the cap stays far below RabbitMQ's consumer timeout."""
    return RetryPolicy(
        max_retries=retries_to_span(
            settings.delivery_retry_span_seconds * 1000,
            settings.delivery_min_backoff_ms,
            settings.delivery_max_backoff_ms,
        ),
        min_backoff_ms=settings.delivery_min_backoff_ms,
        max_backoff_ms=settings.delivery_max_backoff_ms,
    )


def retry_policy(spec: JobSpec | None, settings: Settings) -> RetryPolicy:
    """A job's retries: the outward policy, its own ``max_retries``, or the JOB_* settings."""
    if spec is not None and spec.outward:
        return outward_retries(settings)
    max_retries = settings.job_max_retries
    if spec is not None and spec.max_retries is not None:
        max_retries = spec.max_retries
    return RetryPolicy(max_retries, settings.job_min_backoff_ms, settings.job_max_backoff_ms)


# Jobs register here when their module is imported; setup_broker() declares them as actors,
# so importing a context's jobs has no broker side effects (the API imports none of them).
JOBS: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    queue_name: str = "default",
    max_retries: int | None = None,
    outward: bool = False,
) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn`` as the job ``name``; send it with ``outbox.enqueue``. ``outward``: it
    sends to a server outside the platform, and is retried over hours (``outward_retries``)."""

    def register(fn: JobFunction) -> JobFunction:
        JOBS[name] = JobSpec(name, fn, queue_name, max_retries, outward)
        return fn

    return register


def declare_jobs(broker: dramatiq.Broker, settings: Settings) -> None:
    queue_prefix = settings.queue_prefix
    for spec in JOBS.values():
        policy = retry_policy(spec, settings)
        declare = dramatiq.actor(
            actor_name=spec.name,
            queue_name=queue_prefix + spec.queue_name,
            broker=broker,
            max_retries=policy.max_retries,
            min_backoff=policy.min_backoff_ms,
            max_backoff=policy.max_backoff_ms,
        )
        declare(_delivery(spec))
    if JOBS:
        # One carrier for every queue: the relay sends its batches to the queue of their jobs
        # (dramatiq looks the actor up by name, whatever queue the message came from).
        # Retried as a whole only when its transaction could not commit.
        dramatiq.actor(
            actor_name=BATCH_ACTOR,
            queue_name=queue_prefix + "default",
            broker=broker,
        )(_deliver_batch)


async def _deliver_batch(items: list[dict[str, Any]]) -> None:
    await run_batch(items)


def _delivery(spec: JobSpec) -> Callable[..., Awaitable[None]]:
    async def deliver(
        tenant: str, message_key: str, payload: dict[str, Any], request_id: str | None = None
    ) -> None:
        await run_once(spec.fn, spec.name, tenant, message_key, payload, request_id)

    deliver.__name__ = deliver.__qualname__ = spec.fn.__name__
    return deliver


class DeadLetters(Middleware):
    """Records a message whose retries ran out. Placed before Retries in the list, so its
    after-hook runs after Retries has decided (dramatiq runs after-hooks in reverse).

    Once our ``dead_letters`` row is written, the message is acknowledged rather than
    rejected: the row is the record a replay works from, and a rejected message would also
    stay in dramatiq's dead-letter queue (``<queue>.XQ``) for a week, a second copy nobody
    replays. Only when the row cannot be written does the broker keep the message there."""

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None or not message.failed:
            return

        async def record() -> None:
            await retry_through_outage(lambda: record_dead_letter(message, exception))

        loop_thread = dramatiq.asyncio.get_event_loop_thread()
        try:
            if loop_thread is not None:
                loop_thread.run_coroutine(record())
            else:
                asyncio.run(record())
        except Exception as error:
            log.error(
                "dead_letter_not_recorded",
                job=message.actor_name,
                message_id=message.message_id,
                error=f"{type(error).__name__}: {error}",
                kept_in=f"{message.queue_name}.XQ",
            )
            return
        message.failed = False  # recorded: acknowledge it, leave no copy in the XQ


async def record_dead_letter(message: MessageProxy, exception: BaseException) -> None:
    kwargs = message.kwargs
    if message.actor_name == BATCH_ACTOR:
        await _dead_letter_batch(message, exception)
        return
    spec = JOBS.get(message.actor_name)
    error = _error_text(exception)
    async with transaction(_Runtime.get()) as session:
        await session.execute(
            insert(DeadLetter)
            .values(
                id=message.message_id,
                tenant_code=kwargs.get("tenant", ""),
                message_key=kwargs.get("message_key", message.message_id),
                actor_name=message.actor_name,
                # The job's own queue, without this deployment's prefix: replays add it again.
                queue_name=spec.queue_name if spec else message.queue_name,
                payload=kwargs.get("payload", {}),
                request_id=kwargs.get("request_id"),
                error=error,
                retries=message.options.get("retries", 0),
            )
            .on_conflict_do_nothing()
        )
    log.error("job_dead_lettered", job=message.actor_name, message_id=message.message_id)


async def _dead_letter_batch(message: MessageProxy, exception: BaseException) -> None:
    """A batch that could not commit through all its retries: each job a dead letter of its
    own, under the id its own message would have had, so each is listed and replayed alone."""
    error = _error_text(exception)
    retries = message.options.get("retries", 0)
    async with transaction(_Runtime.get()) as session:
        for item in message.kwargs.get("items", []):
            await _dead_letter_item(session, item, error, retries)
    log.error("job_batch_dead_lettered", message_id=message.message_id)


async def _dead_letter_item(
    session: AsyncSession, item: dict[str, Any], error: str, retries: int
) -> None:
    """One job of a batch as a dead letter of its own, under the id its own message would have
    had; a second write of the same job keeps the first."""
    spec = JOBS.get(item["actor_name"])
    await session.execute(
        insert(DeadLetter)
        .values(
            id=item["id"],
            tenant_code=item["tenant"],
            message_key=item["message_key"],
            actor_name=item["actor_name"],
            queue_name=spec.queue_name if spec else "default",
            payload=item["payload"],
            request_id=item.get("request_id"),
            error=error,
            retries=retries,
        )
        .on_conflict_do_nothing()
    )


def make_broker(settings: Settings) -> dramatiq.Broker:
    """RabbitMQ for amqp:// URLs, Redis for redis:// (the embedded default in make run)."""
    settings.check_backoff()
    url = settings.broker_url
    broker: dramatiq.Broker
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms for messages sent through the broker (the relay publishes its
        # batches in AMQP transactions on a channel of its own, services.kit.relay). A
        # connection RabbitMQ blocks (memory or disk alarm) fails after a minute instead of
        # hanging the relay; its rows stay unsent and are retried.
        if "blocked_connection_timeout" not in url:
            url += ("&" if "?" in url else "?") + "blocked_connection_timeout=60"
        broker = RabbitmqBroker(url=url, confirm_delivery=True)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        # Maintenance (requeueing a dead worker's messages) on 10 % of fetches: cheap on the
        # local Redis this broker is for, and a crash is recovered within seconds.
        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=url,
            heartbeat_timeout=settings.redis_heartbeat_timeout_ms,
            maintenance_chance=100_000,
        )
    else:
        raise RuntimeError("BROKER_URL must be an amqp:// or redis:// URL")
    for middleware in broker.middleware:
        if isinstance(middleware, Retries):
            # Bounded backoff, well below RabbitMQ's 30-minute consumer timeout (a retry waits
            # its backoff unacknowledged in the worker; check_backoff above refuses a longer cap).
            middleware.max_retries = settings.job_max_retries
            middleware.min_backoff = settings.job_min_backoff_ms
            middleware.max_backoff = settings.job_max_backoff_ms
    broker.add_middleware(dramatiq.middleware.AsyncIO())
    broker.add_middleware(CloseDatabase())
    broker.add_middleware(DeadLetters(), before=Retries)
    return broker


def setup_broker(settings: Settings | None = None) -> dramatiq.Broker:
    """The process's broker, with every job imported so far declared on it."""
    settings = settings or get_settings()
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    declare_jobs(broker, settings)
    return broker
