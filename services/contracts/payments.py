"""Payments (拨付) of a signed contract: the provider asks for (part of) an instalment.

The provider's administrator files a request against one instalment of the schedule, with the
evidence of what it delivered (documents it attached to this contract, recorded with the
version and SHA-256 each had then). The amount is more than 0 and at most what is left of the
instalment; what is requested and not returned never passes the instalment nor the price, under
any concurrency (services.contracts.payment_guard). The request follows the region's payment
mode as it stood when filed (services.contracts.payment_settings); the steps after it are in
services.contracts.payment_steps.

A request against the final instalment may be filed before the acceptance (结项验收); it is
confirmed, approved and paid only once the contract records the acceptance (``accepted_at``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import payment_events, payment_guard, payment_settings, repository, telling
from services.contracts.errors import ContractSuspended
from services.contracts.models import Contract, Instalment
from services.contracts.payment_errors import NotPayable
from services.contracts.payment_models import Payment
from services.contracts.schemas import (
    ContractStatus,
    Party,
    PaymentRequestIn,
    PaymentStatus,
)
from services.contracts.signing import for_party
from services.documents import service as documents
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.money import money, text
from services.kit.objects import ObjectType
from services.tenancy import service as tenancy


async def reachable(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, *, lock: bool = False
) -> Contract:
    """The contract as the actor may reach it: a provider's user only its own provider's."""
    party = Party.provider if actor.provider_id is not None else Party.buyer
    return await for_party(session, actor, contract_id, party, lock=lock)


async def instalment(session: AsyncSession, contract: Contract, seq: int) -> Instalment:
    for found in await repository.instalments(session, contract):
        if found.seq == seq:
            return found
    raise InvalidField(f"the contract has no instalment {seq}", field="instalment_seq")


async def request(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: PaymentRequestIn
) -> tuple[Contract, Payment]:
    contract = await for_party(session, actor, contract_id, Party.provider, lock=False)
    if contract.status != ContractStatus.signed.value:
        raise NotPayable(f"The contract is {contract.status}; only a signed contract is paid.")
    if await repository.suspended(session, contract, datetime.now(UTC)):
        raise ContractSuspended("Performance is suspended; see the contract's suspensions.")
    due = await instalment(session, contract, data.instalment_seq)
    amount = money(data.amount)
    if amount <= 0:
        raise InvalidField("must be more than 0", field="amount")
    evidence = await _evidence(session, contract, data.evidence_document_ids)
    # The guard takes the contract's row, then the instalment's: nothing passes either.
    total, on_instalment = await payment_guard.take(session, contract, due.seq, amount)
    terms = await payment_settings.terms(session, contract.tenant_id)
    assert actor.user_id is not None
    now = datetime.now(UTC)
    made = Payment(
        tenant_id=contract.tenant_id,
        id=uuid.uuid4(),
        contract_id=contract.id,
        instalment_seq=due.seq,
        amount=amount,
        status=PaymentStatus.requested.value,
        mode=terms.mode.value,
        payee_provider_id=contract.provider_id,
        evidence=evidence,
        note=data.note,
        requested_at=now,
        requested_by=actor.user_id,
        warnings_sent=[],
    )
    session.add(made)
    await session.flush()
    await record(
        session,
        actor,
        "contract_payment.requested",
        "contract_payment",
        made.id,
        after={
            "contract_id": contract.id,
            "instalment_seq": due.seq,
            "amount": text(amount),
            "mode": made.mode,
            "evidence": evidence,
            "requested_total": text(total),
            "instalment_requested_total": text(on_instalment),
        },
    )
    provider = await tenancy.get_provider(session, contract.provider_id)
    await telling.tell(
        session,
        actor,
        contract,
        payment_events.PAYMENT_REQUESTED,
        roles=telling.CIVIL_AFFAIRS,
        extra={
            "provider": provider.name,
            "instalment_seq": due.seq,
            "milestone": due.milestone,
            "amount": text(amount),
            "payment_id": made.id,
        },
    )
    return contract, made


async def _evidence(
    session: AsyncSession, contract: Contract, document_ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """Each document as it stands now: one of this contract's, not failed its checks."""
    found: list[dict[str, Any]] = []
    for document_id in dict.fromkeys(document_ids):
        attached = await documents.current_version(
            session, contract.tenant_id, ObjectType.contract, contract.id, document_id
        )
        if attached is None:
            raise InvalidField(
                f"{document_id} is no document of this contract", field="evidence_document_ids"
            )
        if attached.verification == "failed":
            raise InvalidField(
                f"{document_id} failed its checks; upload it again", field="evidence_document_ids"
            )
        found.append(
            {
                "document_id": str(attached.document_id),
                "version": attached.version,
                "sha256": attached.sha256,
            }
        )
    return found


async def payment_of(
    session: AsyncSession, contract: Contract, payment_id: uuid.UUID, *, lock: bool = False
) -> Payment:
    """One of the contract's payments (its row locked for a step), else 404."""
    query = select(Payment).where(
        Payment.tenant_id == contract.tenant_id,
        Payment.contract_id == contract.id,
        Payment.id == payment_id,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = await session.scalar(query)
    if found is None:
        raise NotFound("No such payment.")
    return found
