"""整改: ordered by an inspection finding or a failed acceptance, answered by the provider,
closed or reopened by the one who checks it.

open → answered (the provider says what it did) → closed, or back to open (reopened, with a
reason and, if need be, a new last day). A rectification is due at 24:00 Asia/Shanghai of its
last day (民法典 arts. 201, 203: a period given as a date ends at the end of that day); an
answer after that is still taken, and the chronograph warns the buyer once per deadline
(services.delivery.rectification_clock).

The one who checks an answer (closes or reopens) is the bureau that ordered it: the inspecting
bureau for an inspection's finding (civil affairs, or finance for its own inspection of the use
of funds), civil affairs for an acceptance. The provider is told of each order and reopening;
the checking bureau (and always civil affairs) of each answer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.delivery import rectification_events as events
from services.delivery import rectification_telling as telling
from services.delivery.inspection_models import Inspection
from services.delivery.inspection_schemas import Bureau
from services.delivery.rectification_models import Rectification, RectificationEntry
from services.documents import service as documents
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import Conflict, Forbidden, InvalidField, NotFound
from services.kit.objects import ObjectType
from services.tenancy import service as tenancy


class RectificationStatus(StrEnum):
    open = "open"  # 待整改
    answered = "answered"  # 已反馈, awaiting the check
    closed = "closed"  # 已销号


class SourceKind(StrEnum):
    inspection = "inspection"
    acceptance = "acceptance"


S = RectificationStatus
TRANSITIONS: dict[S, frozenset[S]] = {
    S.open: frozenset({S.answered}),
    S.answered: frozenset({S.closed, S.open}),
    S.closed: frozenset(),
}


class RectificationWrongState(Conflict):
    code = "rectification_wrong_state"
    title = "The rectification is not in a state that allows this"


class NotTheChecker(Forbidden):
    code = "rectification_not_your_check"
    title = "Another bureau checks this rectification"


def _snapshot(r: Rectification) -> dict[str, Any]:
    return {"status": r.status, "due_on": r.due_on, "reopened": r.reopened}


def _check_last_day(due_on: date, field: str) -> None:
    if due_on < workdays.local_date(datetime.now(UTC)):
        raise InvalidField("the last day of a rectification cannot be in the past", field=field)


async def order(
    session: AsyncSession,
    actor: Actor,
    *,
    contract_id: uuid.UUID,
    source_kind: SourceKind,
    source_id: uuid.UUID,
    finding: str,
    required_action: str,
    due_on: date,
    due_field: str = "due_on",
) -> Rectification:
    """Orders the contract's provider to put ``finding`` right by 24:00 of ``due_on``."""
    contract = await contracts.contract_brief(session, actor.tenant, contract_id)
    if contract is None:
        raise NotFound("No such contract.")
    _check_last_day(due_on, due_field)
    rectification = Rectification(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        contract_id=contract.id,
        provider_id=contract.provider_id,
        source_kind=source_kind.value,
        source_id=source_id,
        finding=finding,
        required_action=required_action,
        due_on=due_on,
        due_at=workdays.end_of_day(due_on),
        status=S.open.value,
        ordered_by=actor.user_id,
        # Set here, not by the server default: the response reads it without a reload.
        ordered_at=datetime.now(UTC),
        reopened=0,
    )
    session.add(rectification)
    await session.flush()
    await record(
        session,
        actor,
        "rectification.ordered",
        "rectification",
        rectification.id,
        after={
            "contract_id": contract.id,
            "source_kind": source_kind.value,
            "source_id": source_id,
            "due_on": due_on,
        },
    )
    await telling.tell(session, actor, rectification, events.RECTIFICATION_ORDERED, provider=True)
    return rectification


async def checked_by(session: AsyncSession, rectification: Rectification) -> Bureau:
    """The bureau that checks the answers: the inspecting one, civil affairs otherwise."""
    if rectification.source_kind != SourceKind.inspection.value:
        return Bureau.civil_affairs
    bureau = await session.scalar(
        select(Inspection.bureau).where(
            Inspection.tenant_id == rectification.tenant_id,
            Inspection.id == rectification.source_id,
        )
    )
    return Bureau(bureau) if bureau else Bureau.civil_affairs


async def _must_check(session: AsyncSession, actor: Actor, rectification: Rectification) -> None:
    bureau = await checked_by(session, rectification)
    held = (
        await tenancy.roles_in(session, actor.tenant, actor.user_id)
        if actor.user_id is not None
        else set()
    )
    if not held & set(telling.BUREAU_ROLES[bureau]):
        names = {Bureau.civil_affairs: "civil affairs", Bureau.finance: "finance"}
        raise NotTheChecker(f"The {names[bureau]} bureau that ordered it checks it.")


async def get(
    session: AsyncSession,
    tenant: str,
    rectification_id: uuid.UUID,
    *,
    provider_id: uuid.UUID | None = None,
    lock: bool = False,
) -> Rectification:
    """The region's rectification; with ``provider_id``, only one that provider must answer."""
    query = select(Rectification).where(
        Rectification.tenant_id == tenant, Rectification.id == rectification_id
    )
    if provider_id is not None:
        query = query.where(Rectification.provider_id == provider_id)
    if lock:
        query = query.with_for_update()
    found = await session.scalar(query)
    if found is None:
        raise NotFound("No such rectification.")
    return found


async def _move(
    session: AsyncSession,
    actor: Actor,
    rectification: Rectification,
    to: S,
    kind: str,
    text: str,
    shown: list[dict[str, Any]] | None = None,
    new_due_on: date | None = None,
) -> None:
    now = S(rectification.status)
    if to not in TRANSITIONS[now]:
        raise RectificationWrongState(f"A rectification that is {now} cannot become {to}.")
    before = _snapshot(rectification)
    rectification.status = to.value
    if to is S.open:
        rectification.reopened += 1
    if new_due_on is not None:
        rectification.due_on = new_due_on
        rectification.due_at = workdays.end_of_day(new_due_on)
    seq = await session.scalar(
        select(func.coalesce(func.max(RectificationEntry.seq), 0) + 1).where(
            RectificationEntry.tenant_id == rectification.tenant_id,
            RectificationEntry.rectification_id == rectification.id,
        )
    )
    session.add(
        RectificationEntry(
            tenant_id=rectification.tenant_id,
            rectification_id=rectification.id,
            seq=seq,
            kind=kind,
            text=text,
            user_id=actor.user_id,
            at=datetime.now(UTC),
            documents=shown or [],
        )
    )
    await session.flush()
    await record(
        session,
        actor,
        f"rectification.{kind}",
        "rectification",
        rectification.id,
        before=before,
        after=_snapshot(rectification) | {"text": text, "documents": shown or []},
    )


async def answer(
    session: AsyncSession,
    actor: Actor,
    rectification_id: uuid.UUID,
    text: str,
    document_ids: list[uuid.UUID] | None = None,
) -> Rectification:
    """The provider's account of what it did, with documents it attached to the
    rectification (each recorded with its version and SHA-256 as they stand now); only the
    provider ordered to act answers."""
    if actor.provider_id is None:
        raise NotFound("No such rectification.")
    rectification = await get(
        session, actor.tenant, rectification_id, provider_id=actor.provider_id, lock=True
    )
    shown = await _shown(session, rectification, document_ids or [])
    await _move(session, actor, rectification, S.answered, "answer", text, shown)
    bureau = await checked_by(session, rectification)
    await telling.tell(
        session,
        actor,
        rectification,
        events.RECTIFICATION_ANSWERED,
        roles=telling.checkers(bureau),
    )
    return rectification


async def _shown(
    session: AsyncSession, rectification: Rectification, document_ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for index, document_id in enumerate(document_ids):
        if any(s["document_id"] == str(document_id) for s in shown):
            continue
        found = await documents.current_version(
            session,
            rectification.tenant_id,
            ObjectType.rectification,
            rectification.id,
            document_id,
        )
        if found is None:
            raise InvalidField(
                "is not a document attached to this rectification",
                field=f"document_ids[{index}]",
            )
        shown.append(
            {
                "document_id": str(found.document_id),
                "version": found.version,
                "sha256": found.sha256,
            }
        )
    return shown


async def close(
    session: AsyncSession, actor: Actor, rectification_id: uuid.UUID, note: str
) -> Rectification:
    """The check found it put right (销号)."""
    rectification = await get(session, actor.tenant, rectification_id, lock=True)
    await _must_check(session, actor, rectification)
    await _move(session, actor, rectification, S.closed, "close", note)
    rectification.closed_at = datetime.now(UTC)
    rectification.closed_by = actor.user_id
    rectification.close_note = note
    return rectification


async def reopen(
    session: AsyncSession,
    actor: Actor,
    rectification_id: uuid.UUID,
    reason: str,
    due_on: date | None = None,
) -> Rectification:
    """The answer did not put it right: open again, by the same or a new last day."""
    rectification = await get(session, actor.tenant, rectification_id, lock=True)
    await _must_check(session, actor, rectification)
    if due_on is not None:
        _check_last_day(due_on, "due_on")
    await _move(session, actor, rectification, S.open, "reopen", reason, new_due_on=due_on)
    await telling.tell(
        session,
        actor,
        rectification,
        events.RECTIFICATION_REOPENED,
        provider=True,
        extra={"reason": reason},
    )
    return rectification


async def entries(session: AsyncSession, rectification: Rectification) -> list[RectificationEntry]:
    rows = await session.scalars(
        select(RectificationEntry)
        .where(
            RectificationEntry.tenant_id == rectification.tenant_id,
            RectificationEntry.rectification_id == rectification.id,
        )
        .order_by(RectificationEntry.seq)
    )
    return list(rows)


async def of_contract(
    session: AsyncSession,
    tenant: str,
    contract_id: uuid.UUID,
    *,
    source_kind: SourceKind | None = None,
    source_id: uuid.UUID | None = None,
) -> list[Rectification]:
    """The contract's rectifications (optionally of one source), oldest first."""
    query = select(Rectification).where(
        Rectification.tenant_id == tenant, Rectification.contract_id == contract_id
    )
    if source_kind is not None:
        query = query.where(Rectification.source_kind == source_kind.value)
    if source_id is not None:
        query = query.where(Rectification.source_id == source_id)
    rows = await session.scalars(query.order_by(Rectification.ordered_at, Rectification.id))
    return list(rows)


def unfinished(rectifications: list[Rectification]) -> list[Rectification]:
    """Those not closed yet."""
    return [r for r in rectifications if r.status != S.closed]
