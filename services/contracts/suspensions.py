"""Suspending a contract: signing, and once signed, performance.

The buyer suspends while a challenge (or an enquiry) that may change the result is open
(实施条例 art. 54; 财政部令第94号 art. 18 for a complaint) — its decision, recorded with the
reason and, where there is one, the challenge; it lifts the suspension itself, not before that
challenge is answered. Finance may order a suspension during a complaint for at most 30 days
(94号令 art. 28): counted from the day after the order to 24:00 of the last day — a last day on
a rest day gives way to the next working day (民法典 art. 203, ``workdays.calendar_deadline``) —
it ends by itself then, or earlier when finance lifts it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import events, repository, telling
from services.contracts.errors import ChallengeStillOpen, NotSignable
from services.contracts.models import Contract, Suspension
from services.contracts.schemas import ENDED, ContractStatus, Party
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import Conflict, InvalidField, NotFound
from services.tendering import service as tendering

PARTY_NAMES = {Party.buyer: "采购人", Party.finance: "财政部门"}


async def suspend(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    by: Party,
    reason: str,
    *,
    challenge_id: uuid.UUID | None = None,
    days: int | None = None,
) -> Suspension:
    contract = await _contract(session, actor, contract_id)
    if ContractStatus(contract.status) in ENDED:
        raise NotSignable(f"The contract is {contract.status}: there is nothing to suspend.")
    if challenge_id is not None:
        open_ones = await tendering.open_challenges(session, actor.tenant, contract.procurement_id)
        if challenge_id not in {c.id for c in open_ones}:
            raise InvalidField("no open challenge of this procurement", field="challenge_id")
    now = datetime.now(UTC)
    suspension = Suspension(
        tenant_id=contract.tenant_id,
        id=uuid.uuid4(),
        contract_id=contract.id,
        ordered_by=by.value,
        reason=reason,
        challenge_id=challenge_id,
        starts_at=now,
        ends_at=workdays.calendar_deadline(now, days) if days is not None else None,
        created_by=actor.user_id,
    )
    session.add(suspension)
    await session.flush()
    await record(
        session,
        actor,
        "contract.suspended",
        "contract",
        contract.id,
        after={
            "suspension_id": suspension.id,
            "by": by.value,
            "reason": reason,
            "challenge_id": challenge_id,
            "ends_at": suspension.ends_at,
        },
    )
    await telling.tell(
        session,
        actor,
        contract,
        events.SUSPENDED,
        roles=telling.CIVIL_AFFAIRS if by is Party.finance else telling.FINANCE,
        provider=True,
        extra={"party": PARTY_NAMES[by], "reason": reason},
    )
    return suspension


async def lift(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    suspension_id: uuid.UUID,
    by: Party,
    reason: str,
) -> Suspension:
    contract = await _contract(session, actor, contract_id)
    suspension = await session.scalar(
        select(Suspension)
        .where(
            Suspension.tenant_id == contract.tenant_id,
            Suspension.contract_id == contract.id,
            Suspension.id == suspension_id,
            Suspension.ordered_by == by.value,  # each lifts only its own
        )
        .with_for_update()
    )
    if suspension is None:
        raise NotFound("No such suspension of yours on this contract.")
    now = datetime.now(UTC)
    if not repository.in_force(suspension, now):
        raise Conflict("The suspension is no longer in force.")
    if suspension.challenge_id is not None:
        open_ones = await tendering.open_challenges(session, actor.tenant, contract.procurement_id)
        if suspension.challenge_id in {c.id for c in open_ones}:
            raise ChallengeStillOpen(
                "The challenge behind this suspension is not answered yet (实施条例 art. 54)."
            )
    suspension.lifted_at = now
    suspension.lifted_by = actor.user_id
    suspension.lift_reason = reason
    await session.flush()
    await record(
        session,
        actor,
        "contract.suspension_lifted",
        "contract",
        contract.id,
        after={"suspension_id": suspension.id, "reason": reason},
    )
    await telling.tell(
        session,
        actor,
        contract,
        events.SUSPENSION_LIFTED,
        roles=telling.CIVIL_AFFAIRS if by is Party.finance else telling.FINANCE,
        provider=True,
        extra={"reason": reason},
    )
    return suspension


async def _contract(session: AsyncSession, actor: Actor, contract_id: uuid.UUID) -> Contract:
    # Locked: a signature waits for a suspension being recorded, and sees it.
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    return contract
