"""An award that ends without a contract.

The winner refuses or fails to sign: the buyer records it, finance is told — refusing to sign
after the award notice may be an art. 77 case of 政府采购法 (实施条例 art. 72) — and the buyer
either awards to the next-ranked candidate of the review report (实施条例 art. 49: a new result
notice, a new award notice, a new 30 days, and a new contract drafted from it) or procures
again (the procurement fails and its money returns to the budget line).

Finance decides, on a complaint, that the award may not be signed (财政部令第94号 art. 32):
the contract is void, with the same two ways on.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import events, repository, telling
from services.contracts.errors import NotSignable
from services.contracts.models import Contract
from services.contracts.schemas import AwardEndIn, ContractStatus, NextStep, Party
from services.contracts.signing import SIGNABLE
from services.kit.audit import Actor, record
from services.kit.errors import NotFound
from services.tenancy import service as tenancy
from services.tendering import service as tendering

NEXT_STEP_NAMES = {
    NextStep.next_ranked: "依次确定下一候选人为中标（成交）供应商",
    NextStep.procure_again: "重新开展采购活动",
}


async def winner_refused(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: AwardEndIn
) -> Contract:
    contract = await _signable(session, actor, contract_id)
    signatures = await repository.signatures(session, contract)
    if any(s.party == Party.provider.value for s in signatures):
        raise NotSignable("The provider has signed: it did not refuse.")
    provider = await tenancy.get_provider(session, contract.provider_id)
    await _end(session, actor, contract, ContractStatus.refused, data)
    await telling.tell(
        session,
        actor,
        contract,
        events.REFUSAL_REPORTED,
        roles=telling.FINANCE,
        extra={
            "provider": provider.name,
            "provider_uscc": provider.uscc,
            "reason": data.reason,
            "next_step": NEXT_STEP_NAMES[data.next_step],
        },
    )
    return contract


async def finance_voided(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: AwardEndIn
) -> Contract:
    contract = await _signable(session, actor, contract_id)
    await _end(session, actor, contract, ContractStatus.void, data)
    return contract


async def _signable(session: AsyncSession, actor: Actor, contract_id: uuid.UUID) -> Contract:
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    if ContractStatus(contract.status) not in SIGNABLE:
        raise NotSignable(f"The contract is {contract.status}.")
    return contract


async def _end(
    session: AsyncSession,
    actor: Actor,
    contract: Contract,
    status: ContractStatus,
    data: AwardEndIn,
) -> None:
    now = datetime.now(UTC)
    contract.status = status.value
    contract.ended_at = now
    contract.end_reason = data.reason
    contract.updated_at = now
    contract.updated_by = actor.user_id
    await session.flush()
    await record(
        session,
        actor,
        f"contract.{status.value}",
        "contract",
        contract.id,
        after={"reason": data.reason, "next_step": data.next_step.value},
    )
    if data.next_step is NextStep.next_ranked:
        await tendering.award_next_ranked(
            session, actor, contract.procurement_id, contract.provider_id, data.reason
        )
    else:
        await tendering.abandon_award(
            session, actor, contract.procurement_id, contract.provider_id, data.reason
        )
