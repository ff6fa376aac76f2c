"""The outbox relay: sends committed outbox rows to the broker, then marks them sent.

Runs as its own process (``python -m services.entry.relay``); several may run, since each batch
is claimed with ``FOR UPDATE SKIP LOCKED``. It reads every tenant's outbox through the narrow
``sws_relay`` role, whose RLS policies cover the outbox table only. If the broker is down the
rows stay unsent and are retried; if the relay dies after sending and before marking, the rows
are sent again, which the jobs' idempotency absorbs.

On RabbitMQ a batch goes out in one AMQP transaction on a channel of the relay's own: every
message is published, then one ``tx.commit`` whose answer comes once RabbitMQ has taken
responsibility for all of them (persistent messages on durable queues: on disk). That is the
guarantee a publisher confirm gives per message, for one round trip per batch instead of one
per message; a message no queue would take comes back (``basic.return``) before the commit's
answer and fails the batch. Only then are the rows marked sent.

Due rows of one queue travel together: up to ``JOB_BATCH_SIZE`` of them in one message of the
carrier actor ``jobs.batch`` (``BATCH_ACTOR``), which the worker runs in one transaction
(``services.kit.jobs.run_batch``). A row goes alone when batching is off (size 1), when it
would be alone anyway, when it is not ``batchable``, or when its job already failed in a
batch (``retries`` > 0: it carries its retry count, and dramatiq's retries take over).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import dramatiq
import structlog
from dramatiq.errors import ConnectionClosed
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.db import make_engine, make_sessionmaker
from services.kit.jobs import BATCH_ACTOR
from services.kit.outbox import NOTIFY_CHANNEL, OutboxEvent
from services.kit.settings import Settings

log = structlog.get_logger(__name__)
POLL_SECONDS = 1.0


def to_message(event: Any, queue_prefix: str = "") -> dramatiq.Message[Any]:
    """The message of an outbox row (an ``OutboxEvent``, or a row with its columns)."""
    retries = getattr(event, "retries", 0)
    return dramatiq.Message(
        queue_name=queue_prefix + event.queue_name,
        actor_name=event.actor_name,
        args=(),
        kwargs={
            "tenant": event.tenant_id,
            "message_key": event.message_key,
            "payload": event.payload,
            "request_id": event.request_id,
        },
        # A job that failed in a batch: that was its first attempt, dramatiq counts on.
        options={"retries": retries} if retries else {},
        message_id=str(event.id),
    )


def batch_item(event: Any) -> dict[str, Any]:
    """One job of a batch message: what its own message would carry, and its row's id."""
    return {
        "id": str(event.id),
        "tenant": event.tenant_id,
        "message_key": event.message_key,
        "actor_name": event.actor_name,
        "payload": event.payload,
        "request_id": event.request_id,
    }


def to_messages(
    events: Sequence[Any], queue_prefix: str = "", batch_size: int = 1
) -> list[dramatiq.Message[Any]]:
    """The messages of outbox rows: batchable rows of one queue packed ``batch_size`` to a
    message of ``BATCH_ACTOR``, the rest (and any batch of one) as messages of their own."""
    messages: list[dramatiq.Message[Any]] = []
    by_queue: dict[str, list[Any]] = {}
    for event in events:
        if batch_size > 1 and getattr(event, "batchable", True) and not event.retries:
            by_queue.setdefault(event.queue_name, []).append(event)
        else:
            messages.append(to_message(event, queue_prefix))
    for queue_name, queued in by_queue.items():
        for start in range(0, len(queued), batch_size):
            chunk = queued[start : start + batch_size]
            if len(chunk) == 1:
                messages.append(to_message(chunk[0], queue_prefix))
                continue
            messages.append(
                dramatiq.Message(
                    queue_name=queue_prefix + queue_name,
                    actor_name=BATCH_ACTOR,
                    args=(),
                    kwargs={"items": [batch_item(event) for event in chunk]},
                    options={},
                    message_id=str(uuid.uuid4()),
                )
            )
    return messages


class Unroutable(RuntimeError):
    """RabbitMQ returned a message: no queue took it (the batch stays unsent)."""


@dataclass
class _TxChannel:
    channel: Any  # pika's BlockingChannel, in transaction mode
    returned: list[str] = field(default_factory=list)  # routing keys of returned messages


# Per connection: dramatiq keeps one connection per thread, and drops it after an error.
_TX_CHANNELS: weakref.WeakKeyDictionary[Any, _TxChannel] = weakref.WeakKeyDictionary()


def _tx_channel(connection: Any) -> _TxChannel:
    state = _TX_CHANNELS.get(connection)
    if state is None or not state.channel.is_open:
        channel = connection.channel()
        channel.tx_select()
        state = _TxChannel(channel)
        returned = state.returned
        channel.add_on_return_callback(
            lambda _channel, method, _properties, _body: returned.append(method.routing_key)
        )
        _TX_CHANNELS[connection] = state
    return state


def publish(broker: dramatiq.Broker, messages: Sequence[dramatiq.Message[Any]]) -> None:
    """Hand ``messages`` to the broker; returns once it has taken them all, raises otherwise."""
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    queue_names = dict.fromkeys(m.queue_name for m in messages)
    if not isinstance(broker, RabbitmqBroker):
        for queue_name in queue_names:
            broker.declare_queue(queue_name)
        for message in messages:  # Redis: one script call each, answered when it is stored
            broker.enqueue(message)
        return
    for queue_name in queue_names:
        broker.declare_queue(queue_name, ensure=True)
    import pika
    import pika.exceptions

    properties = pika.BasicProperties(delivery_mode=2)  # persistent, as dramatiq sends them
    try:
        connection = broker.connection
        state = _tx_channel(connection)
        state.returned.clear()
        for message in messages:
            broker.emit_before("enqueue", message, None)
            state.channel.basic_publish(
                exchange="",
                routing_key=message.queue_name,
                body=message.encode(),
                properties=properties,
                mandatory=True,
            )
        state.channel.tx_commit()
        connection.process_data_events(time_limit=0)  # runs the basic.return callbacks, if any
    except (pika.exceptions.AMQPConnectionError, pika.exceptions.AMQPChannelError) as exc:
        # Uncommitted publishes die with the connection; the next batch starts afresh.
        del broker.connection
        raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]
    if state.returned:
        broker.queues_pending.update(state.returned)  # declared again before the next batch
        raise Unroutable(f"RabbitMQ returned messages for {sorted(set(state.returned))}")
    for message in messages:
        broker.emit_after("enqueue", message, None)


# Two arrays, not a list of (tenant, id) pairs: one plan, prepared once, whatever the batch.
_MARK_SENT = text(
    "UPDATE outbox SET sent_at = :sent_at, attempts = outbox.attempts + 1"
    " FROM unnest(CAST(:tenants AS varchar[]), CAST(:ids AS uuid[])) AS sent(tenant_id, id)"
    " WHERE outbox.tenant_id = sent.tenant_id AND outbox.id = sent.id"
)


async def relay_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    limit: int,
    queue_prefix: str = "",
    batch_size: int = 1,
) -> int:
    """Send one batch of rows (``batch_size`` jobs to a message at most); the number of rows
    sent. Raises when the broker refuses (the rows stay unsent)."""
    async with sessionmaker() as session, session.begin():
        connection = await session.connection()  # Core rows: nothing here needs the ORM
        await connection.execute(text("SET LOCAL ROLE sws_relay"))
        events = (
            await connection.execute(
                select(
                    OutboxEvent.tenant_id,
                    OutboxEvent.id,
                    OutboxEvent.message_key,
                    OutboxEvent.actor_name,
                    OutboxEvent.queue_name,
                    OutboxEvent.payload,
                    OutboxEvent.request_id,
                    OutboxEvent.batchable,
                    OutboxEvent.retries,
                )
                .where(OutboxEvent.sent_at.is_(None), OutboxEvent.available_at <= func.now())
                .order_by(OutboxEvent.available_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not events:
            return 0
        # Blocking, and answered by the broker; this process does nothing else meanwhile.
        publish(broker, to_messages(events, queue_prefix, batch_size))
        # One statement marks the whole batch; a crash before it resends the batch, which
        # the jobs' idempotency absorbs.
        await connection.execute(
            _MARK_SENT,
            {
                "tenants": [event.tenant_id for event in events],
                "ids": [event.id for event in events],
                "sent_at": datetime.now(UTC),
            },
        )
        return len(events)


async def run(settings: Settings, broker: dramatiq.Broker, stop: asyncio.Event) -> None:
    engine = make_engine(settings.app_database_url, settings)
    sessionmaker = make_sessionmaker(engine)
    wake = asyncio.Event()
    listener = asyncio.create_task(_listen(settings, wake, stop))
    log.info("relay_started")
    try:
        while not stop.is_set():
            try:
                sent = await relay_batch(
                    sessionmaker,
                    broker,
                    settings.relay_batch,
                    settings.queue_prefix,
                    settings.job_batch_size,
                )
            except Exception as exc:  # broker or database away: keep the rows, try again
                log.warning("relay_send_failed", error=str(exc))
                sent = 0
                await _sleep(stop, POLL_SECONDS)
            if sent:
                log.info("relay_sent", events=sent)
                continue  # there may be more
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), POLL_SECONDS)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await engine.dispose()
        log.info("relay_stopped")


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _listen(settings: Settings, wake: asyncio.Event, stop: asyncio.Event) -> None:
    dsn = settings.app_database_url.replace("postgresql+asyncpg://", "postgresql://")
    while not stop.is_set():
        try:
            connection = await asyncpg.connect(dsn)
            try:
                closed = asyncio.Event()
                connection.add_termination_listener(lambda *_, done=closed: done.set())
                await connection.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
                await closed.wait()
            finally:
                if not connection.is_closed():
                    await connection.close()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("relay_listener_down", error=str(exc))
        await _sleep(stop, POLL_SECONDS)
