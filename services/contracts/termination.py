"""A termination that took effect: the contract ends and its unpaid money goes back.

Terminated on a ground of 政府采购法 art. 50 (the public interest), 民法典 art. 563 (force
majeure) or 民法典 art. 562 (a ground the contract set), the contract is performed no further:
what was paid stays committed on the budget line, the rest of the contract's money — its own
commitment from signing and those of its supplementary purchases — returns to the line, in
the same transaction, so the line can fund other work. Compensation between the parties (the
party at fault compensates, art. 50) is settled outside the budget line. Amendments still
open are withdrawn: nothing more is amended on an ended contract.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import amendment_repository, amendments, repository
from services.contracts.amendment_models import Amendment, AmendmentVersion
from services.contracts.models import Contract
from services.contracts.paid import paid_total
from services.contracts.schemas import (
    AmendmentGround,
    AmendmentKind,
    AmendmentStatus,
    ContractStatus,
)
from services.kit.audit import Actor, record
from services.kit.money import text
from services.planning import service as planning


async def terminate(
    session: AsyncSession,
    actor: Actor,
    contract: Contract,
    amendment: Amendment,
    version: AmendmentVersion,
) -> None:
    assert contract.contract_commitment_id is not None and version.ground is not None
    paid = await paid_total(session, contract)
    returned = await _keep_only(session, actor, contract, paid)
    now = datetime.now(UTC)
    contract.status = ContractStatus.terminated.value
    contract.ended_at = now
    contract.end_reason = (
        f"{amendments.GROUND_NAMES[AmendmentGround(version.ground)]}：{version.reason}"
    )
    contract.updated_at = now
    contract.updated_by = actor.user_id
    for other in await amendment_repository.of_contract(
        session, contract, statuses=amendments.OPEN
    ):
        if other.id != amendment.id:
            await amendments.close(session, actor, contract, other, "合同已解除")
    await session.flush()
    await record(
        session,
        actor,
        "contract.terminated",
        "contract",
        contract.id,
        after={
            "amendment_id": amendment.id,
            "ground": version.ground,
            "reason": version.reason,
            "paid": text(paid),
            "returned": text(returned),
        },
    )


async def _keep_only(
    session: AsyncSession, actor: Actor, contract: Contract, paid: Decimal
) -> Decimal:
    """Reduce the contract's commitments — each fiscal year's share in year order, then its
    supplementary purchases' in the order they took effect — to ``paid`` in all; what went
    back to the lines."""
    to_keep = paid
    returned = Decimal(0)

    async def reduce(commitment_id: uuid.UUID, amount: Decimal) -> uuid.UUID:
        nonlocal to_keep, returned
        kept = min(to_keep, amount)
        to_keep -= kept
        returned += amount - kept
        return (await planning.reduce(session, actor, commitment_id, kept)).id

    for i, share in enumerate(await repository.year_shares(session, contract)):
        assert share.commitment_id is not None  # committed at signing
        share.commitment_id = await reduce(share.commitment_id, share.amount)
        if i == 0:
            contract.contract_commitment_id = share.commitment_id
    effective = await amendment_repository.of_contract(
        session, contract, statuses=(AmendmentStatus.effective,)
    )
    for a in sorted(effective, key=lambda a: a.effective_at or a.created_at):
        if a.kind == AmendmentKind.supplementary_purchase:
            assert a.commitment_id is not None and a.amount is not None
            a.commitment_id = await reduce(a.commitment_id, a.amount)
    return returned
