"""The budget guard: money committed against an approved line never passes the line.

``commit`` raises the line's committed amount in one conditional UPDATE. PostgreSQL takes the
row's lock for it, and a concurrent commit waits, then re-checks the condition against the
winner's total (READ COMMITTED re-evaluates the WHERE on the updated row) — so of two
requests racing for the last yuan exactly one wins. The table's CHECK constraint holds the
same rule underneath, against any path that forgets to come through here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.money import text
from services.planning import repository
from services.planning.errors import BudgetExceeded, LineNotApproved, WrongState
from services.planning.models import BudgetLine, Commitment
from services.planning.schemas import CommitmentPurpose, ProjectStatus

# A line's money may be committed while its project is being bought or delivered.
COMMITTABLE = frozenset(
    {ProjectStatus.budgeted, ProjectStatus.in_procurement, ProjectStatus.contracted}
)


async def commit(
    session: AsyncSession,
    actor: Actor,
    line_id: uuid.UUID,
    amount: Decimal,
    purpose: CommitmentPurpose,
    reference_type: str,
    reference_id: uuid.UUID,
    *,
    field: str = "amount",
) -> Commitment:
    """Commit ``amount`` against the line; ``field`` names the amount as the caller's request
    does, for the error that refuses it."""
    if amount <= 0:
        raise InvalidField("must be more than 0", field=field)
    raised = await session.execute(
        update(BudgetLine)
        .where(
            BudgetLine.tenant_id == actor.tenant,
            BudgetLine.id == line_id,
            BudgetLine.approved_amount.is_not(None),
            BudgetLine.committed_amount + amount <= BudgetLine.approved_amount,
        )
        .values(committed_amount=BudgetLine.committed_amount + amount)
        .returning(BudgetLine.project_id, BudgetLine.committed_amount)
        .execution_options(synchronize_session=False)
    )
    row = raised.first()
    if row is None:
        await _refusal(session, actor, line_id, amount, field)
    assert row is not None
    project = await repository.get_project(session, actor.tenant, row.project_id)
    assert project is not None
    if ProjectStatus(project.status) not in COMMITTABLE:
        raise WrongState(f"The line's project is {project.status}; nothing can be committed.")
    commitment = Commitment(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        line_id=line_id,
        amount=amount,
        purpose=purpose.value,
        reference_type=reference_type,
        reference_id=reference_id,
        created_by=actor.user_id,
    )
    session.add(commitment)
    await session.flush()
    await record(
        session,
        actor,
        "budget_line.committed",
        "budget_line",
        line_id,
        after={
            "commitment_id": commitment.id,
            "amount": amount,
            "purpose": purpose.value,
            "reference": f"{reference_type}:{reference_id}",
            "committed_total": row.committed_amount,
        },
    )
    return commitment


async def _refusal(
    session: AsyncSession, actor: Actor, line_id: uuid.UUID, amount: Decimal, field: str
) -> None:
    # Columns, not the BudgetLine object: the caller may have loaded the line before a
    # concurrent commitment won the race, and the session would hand back that stale copy.
    # A new statement reads the line as committed now, the winner's commitment included.
    line = (
        await session.execute(
            select(BudgetLine.approved_amount, BudgetLine.committed_amount).where(
                BudgetLine.tenant_id == actor.tenant, BudgetLine.id == line_id
            )
        )
    ).first()
    if line is None:
        raise NotFound("No such budget line.")
    if line.approved_amount is None:
        raise LineNotApproved("The budget line has not been approved by finance.")
    available = line.approved_amount - line.committed_amount
    raise BudgetExceeded(
        f"{text(amount)} is more than the {text(available)} left on the line",
        field=field,
        available=text(available),
    )


async def _open_commitment(
    session: AsyncSession, actor: Actor, commitment_id: uuid.UUID
) -> Commitment:
    """An open commitment of the actor's region, locked until the transaction ends."""
    found = await session.scalar(
        select(Commitment)
        .where(
            Commitment.tenant_id == actor.tenant,
            Commitment.id == commitment_id,
            Commitment.released_at.is_(None),
        )
        .with_for_update()
    )
    if found is None:
        raise NotFound("No such open commitment.")
    return found


async def release(session: AsyncSession, actor: Actor, commitment_id: uuid.UUID) -> Commitment:
    """Give a commitment's money back to its line (a failed procurement, a closed contract)."""
    commitment = await _open_commitment(session, actor, commitment_id)
    commitment.released_at = datetime.now(UTC)
    await session.execute(
        update(BudgetLine)
        .where(BudgetLine.tenant_id == actor.tenant, BudgetLine.id == commitment.line_id)
        .values(committed_amount=BudgetLine.committed_amount - commitment.amount)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await record(
        session,
        actor,
        "budget_line.released",
        "budget_line",
        commitment.line_id,
        after={"commitment_id": commitment.id, "amount": commitment.amount},
    )
    return commitment


async def transfer(
    session: AsyncSession,
    actor: Actor,
    commitment_id: uuid.UUID,
    amount: Decimal,
    purpose: CommitmentPurpose,
    reference_type: str,
    reference_id: uuid.UUID,
) -> Commitment:
    """Hand ``amount`` of an open commitment over to a new purpose (a procurement's money to
    its contract at signing) and give the rest back to the line, in one statement on the line:
    the money never leaves the line in between, so nothing is committed a second time and no
    concurrent commitment can take it."""
    held = await _open_commitment(session, actor, commitment_id)
    if amount <= 0 or amount > held.amount:
        raise InvalidField(
            f"{text(amount)} is not within the {text(held.amount)} committed", field="amount"
        )
    held.released_at = datetime.now(UTC)
    returned = held.amount - amount
    if returned:
        await session.execute(
            update(BudgetLine)
            .where(BudgetLine.tenant_id == actor.tenant, BudgetLine.id == held.line_id)
            .values(committed_amount=BudgetLine.committed_amount - returned)
            .execution_options(synchronize_session=False)
        )
    successor = Commitment(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        line_id=held.line_id,
        amount=amount,
        purpose=purpose.value,
        reference_type=reference_type,
        reference_id=reference_id,
        created_by=actor.user_id,
    )
    session.add(successor)
    await session.flush()
    await record(
        session,
        actor,
        "budget_line.transferred",
        "budget_line",
        held.line_id,
        after={
            "from_commitment_id": held.id,
            "commitment_id": successor.id,
            "amount": amount,
            "returned": returned,
            "purpose": purpose.value,
            "reference": f"{reference_type}:{reference_id}",
        },
    )
    return successor


async def reduce(
    session: AsyncSession, actor: Actor, commitment_id: uuid.UUID, to_amount: Decimal
) -> Commitment:
    """Keep ``to_amount`` of an open commitment and give the rest back to its line (a contract
    ended early keeps what was paid). The history stays: a smaller commitment succeeds the old
    one as ``transfer`` does, for the same purpose and reference; nothing kept releases it. The
    commitment that holds the money now (the released one when nothing is kept)."""
    held = await _open_commitment(session, actor, commitment_id)
    if to_amount < 0 or to_amount > held.amount:
        raise InvalidField(
            f"{text(to_amount)} is not within the {text(held.amount)} committed", field="amount"
        )
    if to_amount == held.amount:
        return held
    if to_amount == 0:
        return await release(session, actor, commitment_id)
    return await transfer(
        session,
        actor,
        commitment_id,
        to_amount,
        CommitmentPurpose(held.purpose),
        held.reference_type,
        held.reference_id,
    )
