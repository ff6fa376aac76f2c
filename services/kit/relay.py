"""The outbox relay: sends committed outbox rows to the broker, then marks them sent.

Runs as its own process (``python -m services.kit.relay``); several may run, since each batch
is claimed with ``FOR UPDATE SKIP LOCKED``. It reads every tenant's outbox through the narrow
``sws_relay`` role, whose RLS policies cover the outbox table only. If the broker is down the
rows stay unsent and are retried; if the relay dies after sending and before marking, the rows
are sent again, which the jobs' idempotency absorbs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import UTC, datetime
from typing import Any

import asyncpg
import dramatiq
import structlog
from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.db import make_engine, make_sessionmaker
from services.kit.outbox import NOTIFY_CHANNEL, OutboxEvent
from services.kit.settings import Settings, get_settings

log = structlog.get_logger(__name__)
POLL_SECONDS = 1.0


def to_message(event: OutboxEvent, queue_prefix: str = "") -> dramatiq.Message[Any]:
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
        options={},
        message_id=str(event.id),
    )


async def relay_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    limit: int,
    queue_prefix: str = "",
) -> int:
    """Send one batch; the number sent. Raises when the broker refuses (rows stay unsent)."""
    async with sessionmaker() as session, session.begin():
        await session.execute(text("SET LOCAL ROLE sws_relay"))
        events = (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.sent_at.is_(None), OutboxEvent.available_at <= func.now())
                .order_by(OutboxEvent.available_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not events:
            return 0
        declared: set[str] = set()
        for event in events:
            message = to_message(event, queue_prefix)
            if message.queue_name not in declared:
                broker.declare_queue(message.queue_name)
                declared.add(message.queue_name)
            # A blocking publish, confirmed by the broker; this process does nothing else.
            broker.enqueue(message)
        # One statement marks the whole batch; a crash before it resends the batch, which
        # the jobs' idempotency absorbs.
        await session.execute(
            update(OutboxEvent)
            .where(
                tuple_(OutboxEvent.tenant_id, OutboxEvent.id).in_(
                    [(event.tenant_id, event.id) for event in events]
                )
            )
            .values(sent_at=datetime.now(UTC), attempts=OutboxEvent.attempts + 1)
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
                    sessionmaker, broker, settings.relay_batch, settings.queue_prefix
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


def main() -> None:
    from services.kit.jobs import setup_broker
    from services.kit.logging import configure_logging

    settings = get_settings()
    configure_logging(settings)
    broker = setup_broker(settings)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run(settings, broker, stop)

    asyncio.run(serve())
    broker.close()


if __name__ == "__main__":
    main()
