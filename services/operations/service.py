"""Dead letters: jobs that failed every retry, listed and replayed by platform admins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.db import bind_tenant
from services.kit.errors import NotFound
from services.kit.jobs import DeadLetter
from services.kit.outbox import enqueue
from services.operations.errors import AlreadyReplayed


async def list_dead_letters(
    session: AsyncSession, pending_only: bool, limit: int, offset: int
) -> Sequence[DeadLetter]:
    query = select(DeadLetter).order_by(DeadLetter.failed_at.desc(), DeadLetter.id)
    if pending_only:
        query = query.where(DeadLetter.replayed_at.is_(None))
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def replay(session: AsyncSession, actor: Actor, dead_letter_id: str) -> DeadLetter:
    """Send the job again under its original key (it never committed, so it will run)."""
    letter = await session.get(DeadLetter, dead_letter_id, with_for_update=True)
    if letter is None:
        raise NotFound("No such dead letter.")
    if letter.replayed_at is not None:
        raise AlreadyReplayed("This dead letter was replayed already.")
    letter.replayed_at = datetime.now(UTC)
    await record(
        session,
        actor,
        "dead_letter.replayed",
        "dead_letter",
        letter.id,
        after={"job": letter.actor_name, "tenant": letter.tenant_code},
    )
    # The job belongs to its tenant's outbox: name that tenant for this one insert.
    await bind_tenant(session, letter.tenant_code)
    await enqueue(
        session,
        Actor(actor.user_id, letter.tenant_code, actor.request_id),
        letter.actor_name,
        letter.payload,
        queue_name=letter.queue_name,
        message_key=letter.message_key,
    )
    await bind_tenant(session, actor.tenant)
    return letter
