"""Seals: which documents open only at their procedure's opening, and that opening.

A seal belongs to a procedure — ``(tenant, object_type, object_id)``, a bid say — and holds
its data key, wrapped by the master key (the cipher itself is in ``sealing``). Whether a
document is sealed, and until when, is the server's decision for the object types whose
owner registered a seal policy (``SealPolicy``, given to ``register_object_type``): the
client's ``sealed_until`` is refused for them, and a document is sealed even when the client
asks for nothing. Other types keep the client's choice, if their owner made them sealable.

A sealed document is encrypted while it streams in, with its procedure's data key; the
bucket only ever holds ciphertext. Until its seal is opened every way to the content refuses
with 409 ``document_sealed`` and the attempt is audited: there is no role that bypasses it,
since the check is on the seal, not on the user. At ``sealed_until`` the opening job
(``tasks.open_seal``, enqueued through the outbox with a delay when the seal is made, and
swept for by the chronograph in case it was missed) marks the seal opened; the database
itself refuses an earlier opening. A seal its owner opens (a bid's, at the tender's opening)
gets no timed job: the owner calls ``open_seal``.

After opening, the content is *not* re-stored as plaintext: it stays encrypted at rest, and
a download link points at the API's ``…/versions/{n}/content`` route, which streams it
decrypted chunk by chunk (see ``downloads``). That keeps bids confidential in the bucket and
in its backups for good, needs no second copy of large files, and keeps the opening job
small and instant (no re-upload of every bid at the moment everyone is waiting for the
opening).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import repository, sealing
from services.documents.errors import DocumentSealed, ProcedureOpened
from services.documents.models import DocumentSeal
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.kit.outbox import enqueue
from services.kit.settings import Settings

log = structlog.get_logger(__name__)

OPEN_SEAL_JOB = "documents.open_seal"
SWEEP_SEALS_JOB = "documents.sweep_seals"
# A seal is for a procedure under way: its opening is at most a year ahead.
MAX_SEAL_AHEAD = timedelta(days=366)


SealTime = Callable[[AsyncSession, Actor, uuid.UUID], Awaitable[datetime]]
"""The time an object's documents are sealed until, read from the context that owns it; raises
(a refusal of that context) when the object takes no more documents — a bid after its
deadline, say."""


@dataclass(frozen=True)
class SealPolicy:
    """The server seals every document of an object type, until the time ``until`` reads
    from the object's owner."""

    until: SealTime
    # Its owner opens the seal (the tender's opening opens a bid's), not our timed job.
    opened_by_owner: bool = False

    async def sealed_until(
        self, session: AsyncSession, actor: Actor, object_id: uuid.UUID
    ) -> datetime:
        return (await self.until(session, actor, object_id)).astimezone(UTC)


def procedure_name(tenant: str, object_type: str, object_id: uuid.UUID) -> str:
    return f"{tenant}|{object_type}|{object_id}"


def data_key(settings: Settings, seal: DocumentSeal) -> bytes:
    """The procedure's data key, unwrapped: to seal content with, or to open it once the seal
    is opened (the caller checks which)."""
    master = settings.document_master_key_bytes
    if seal.master_key_id != sealing.master_key_id(master):
        raise RuntimeError(
            f"the seal of {seal.object_type} {seal.object_id} was made with master key "
            f"{seal.master_key_id}, not the configured one"
        )
    return sealing.unwrap_key(
        master, seal.wrapped_key, procedure_name(seal.tenant_id, seal.object_type, seal.object_id)
    )


async def _schedule_opening(session: AsyncSession, actor: Actor, seal: DocumentSeal) -> None:
    """The opening job, due at the seal's time; a new time gets a job of its own."""
    delay = max(seal.sealed_until - datetime.now(UTC), timedelta(0))
    await enqueue(
        session,
        actor,
        OPEN_SEAL_JOB,
        {"object_type": seal.object_type, "object_id": str(seal.object_id)},
        message_key=(
            f"document-seal-open:{seal.object_type}:{seal.object_id}:"
            f"{seal.sealed_until.isoformat()}"
        ),
        delay=delay,
    )


def _check_seal_time(sealed_until: datetime) -> datetime:
    if sealed_until.tzinfo is None:
        raise InvalidField("needs a time zone (e.g. +08:00 or Z)", field="sealed_until")
    now = datetime.now(UTC)
    if sealed_until <= now:
        raise InvalidField("must be in the future", field="sealed_until")
    if sealed_until > now + MAX_SEAL_AHEAD:
        raise InvalidField("must be within a year", field="sealed_until")
    return sealed_until.astimezone(UTC)


async def seal_for_upload(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    object_type: ObjectType,
    object_id: uuid.UUID,
    sealed_until: datetime,
    opened_by_owner: bool = False,
) -> DocumentSeal:
    """The procedure's seal, made by the first sealed upload (committed before the content
    streams, so concurrent uploads share one key). Later uploads must name the same time.
    A seal its owner opens (``opened_by_owner``) gets no timed opening job of ours."""
    sealed_until = _check_seal_time(sealed_until)
    seal = await repository.get_seal(session, actor.tenant, object_type.value, object_id)
    if seal is None:
        master = settings.document_master_key_bytes
        procedure = procedure_name(actor.tenant, object_type.value, object_id)
        created = await session.scalar(
            insert(DocumentSeal)
            .values(
                tenant_id=actor.tenant,
                object_type=object_type.value,
                object_id=object_id,
                sealed_until=sealed_until,
                wrapped_key=sealing.wrap_key(master, sealing.new_data_key(), procedure),
                master_key_id=sealing.master_key_id(master),
                opened_by_owner=opened_by_owner,
                created_by=actor.user_id,
            )
            .on_conflict_do_nothing()
            .returning(DocumentSeal.object_id)
        )
        seal = await repository.get_seal(session, actor.tenant, object_type.value, object_id)
        assert seal is not None
        if created is not None:
            await record(
                session,
                actor,
                "document_seal.created",
                "document_seal",
                f"{object_type.value}:{object_id}",
                after={"sealed_until": seal.sealed_until, "opened_by_owner": opened_by_owner},
            )
            if not seal.opened_by_owner:
                await _schedule_opening(session, actor, seal)
    if seal.released_at is not None:
        raise ProcedureOpened(
            f"The {object_type.value}'s sealed documents were opened at "
            f"{seal.released_at.isoformat()}; nothing more can be sealed in it."
        )
    if seal.sealed_until != sealed_until:
        raise InvalidField(
            f"the {object_type.value}'s sealed documents open at "
            f"{seal.sealed_until.isoformat()}; upload with that time",
            field="sealed_until",
        )
    return seal


async def sealing_key(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    object_type: ObjectType,
    object_id: uuid.UUID,
    sealed_until: datetime,
) -> bytes:
    """The data key of a procedure's seal (made if needed, opened by its owner), to seal a
    small value — a bid's price — beside the procedure's documents, under the same opening."""
    seal = await seal_for_upload(
        session, settings, actor, object_type, object_id, sealed_until, opened_by_owner=True
    )
    return data_key(settings, seal)


async def opened_key(
    session: AsyncSession, settings: Settings, tenant: str, object_type: str, object_id: uuid.UUID
) -> bytes:
    """The data key of an opened seal; refused while the seal is closed."""
    seal = await repository.get_seal(session, tenant, object_type, object_id)
    if seal is None or seal.released_at is None:
        raise DocumentSealed(f"The {object_type}'s seal is not opened.")
    return data_key(settings, seal)


async def reschedule_seal(
    session: AsyncSession,
    actor: Actor,
    object_type: ObjectType,
    object_id: uuid.UUID,
    sealed_until: datetime,
) -> DocumentSeal:
    """Move a procedure's opening (a deadline extended under 实施条例 art. 31, say). For the
    object's owner; the database refuses a time in the past and an opened seal."""
    sealed_until = _check_seal_time(sealed_until)
    seal = await repository.get_seal(
        session, actor.tenant, object_type.value, object_id, for_update=True
    )
    if seal is None:
        raise NotFound("No sealed documents in this procedure.")
    if seal.released_at is not None:
        raise ProcedureOpened("The procedure's sealed documents are opened already.")
    before = {"sealed_until": seal.sealed_until}
    seal.sealed_until = sealed_until
    await session.flush()
    await record(
        session,
        actor,
        "document_seal.rescheduled",
        "document_seal",
        f"{object_type.value}:{object_id}",
        before=before,
        after={"sealed_until": sealed_until},
    )
    if not seal.opened_by_owner:
        await _schedule_opening(session, actor, seal)
    return seal


async def withhold_seal(
    session: AsyncSession, actor: Actor, object_type: ObjectType, object_id: uuid.UUID
) -> bool:
    """The procedure ended without opening (a failed tender): its sealed documents are never
    opened — the database refuses it from now on. True if this call withheld it."""
    withheld = await session.scalar(
        update(DocumentSeal)
        .where(
            DocumentSeal.tenant_id == actor.tenant,
            DocumentSeal.object_type == object_type.value,
            DocumentSeal.object_id == object_id,
            DocumentSeal.released_at.is_(None),
            DocumentSeal.withheld_at.is_(None),
        )
        .values(withheld_at=func.now())
        .returning(DocumentSeal.withheld_at)
    )
    if withheld is None:
        return False
    await record(
        session,
        actor,
        "document_seal.withheld",
        "document_seal",
        f"{object_type.value}:{object_id}",
        after={"withheld_at": withheld},
    )
    return True


async def open_seal(
    session: AsyncSession, actor: Actor, object_type: str, object_id: uuid.UUID
) -> bool:
    """Open a procedure's seal if its time has come (by the database's clock); True if this
    call opened it. Opening early is refused by the database as well."""
    opened = (
        await session.execute(
            update(DocumentSeal)
            .where(
                DocumentSeal.tenant_id == actor.tenant,
                DocumentSeal.object_type == object_type,
                DocumentSeal.object_id == object_id,
                DocumentSeal.released_at.is_(None),
                DocumentSeal.withheld_at.is_(None),
                DocumentSeal.sealed_until <= func.now(),
            )
            .values(released_at=func.now())
            .returning(DocumentSeal.sealed_until, DocumentSeal.released_at)
        )
    ).first()
    if opened is None:
        return False
    await record(
        session,
        actor,
        "document_seal.opened",
        "document_seal",
        f"{object_type}:{object_id}",
        before={"sealed_until": opened.sealed_until},
        after={"opened_at": opened.released_at},
    )
    log.info("document_seal_opened", object_type=object_type, object_id=str(object_id))
    return True
