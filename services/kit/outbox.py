"""The transactional outbox: a job is a row committed with the change that causes it.

``enqueue`` only inserts; the relay (``services.kit.relay``) sends committed rows to the
broker and marks them sent. A crash between commit and send only delays a job, and a resend
after a crash is harmless because every job is idempotent on its ``message_key``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Index, String, func, text, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.audit import Actor
from services.kit.db import Base

NOTIFY_CHANNEL = "outbox_new"


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # The relay's scan: unsent rows, oldest first. Partial, so it stays small.
        Index(
            "ix_outbox_tenant_unsent",
            "tenant_id",
            "available_at",
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The idempotency key: equal for a job and its replays, distinct otherwise.
    message_key: Mapped[str] = mapped_column(String(200))
    actor_name: Mapped[str] = mapped_column(String(100))
    queue_name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    # False: the relay sends the row as a message of its own, never in a batch (jobs that
    # talk to the outside world, whose slow answers would hold a whole batch's commit).
    batchable: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Retries its job has already spent: a job that failed inside a batch comes back as a new
    # row with 1, sent alone, so dramatiq's retries take over where the batch left off.
    retries: Mapped[int] = mapped_column(default=0, server_default=text("0"))


async def enqueue(
    session: AsyncSession,
    actor: Actor,
    actor_name: str,
    payload: dict[str, Any],
    *,
    queue_name: str = "default",
    message_key: str | None = None,
    delay: timedelta | None = None,
    batchable: bool = True,
) -> OutboxEvent:
    """Add a job to the caller's transaction; it runs only if that transaction commits.
    ``batchable=False`` keeps it out of the relay's batches (see ``services.kit.relay``)."""
    event_id = uuid.uuid4()
    event = OutboxEvent(
        tenant_id=actor.tenant,
        id=event_id,
        message_key=message_key or str(event_id),
        actor_name=actor_name,
        queue_name=queue_name,
        payload=payload,
        request_id=actor.request_id,
        available_at=datetime.now(UTC) + (delay or timedelta(0)),
        attempts=0,
        batchable=batchable,
        retries=0,
    )
    session.add(event)  # written with the rest of the transaction, in one batch
    # Wakes the relay at commit (NOTIFY is transactional); once per transaction is enough,
    # and the relay polls besides.
    marker = _notify_marker(session)
    if not session.info.get(marker):
        await session.execute(text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})
        session.info[marker] = True
    return event


def _notify_marker(session: AsyncSession) -> tuple[str, int]:
    return ("outbox_notify", id(session.get_transaction()))


def forget_notify(session: AsyncSession) -> None:
    """The NOTIFY of this transaction was rolled back (with a savepoint): send it again with
    the next ``enqueue``."""
    session.info.pop(_notify_marker(session), None)
