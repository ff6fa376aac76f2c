"""The performance security (履约保证金) of a signed contract, as received and returned.

At most 10 % of the price and never cash (实施条例 art. 48): a cheque, a draft, a promissory
note or a guarantee. The buyer records what it received and, when the contract says it comes
back (its ``security_return_terms``), that it returned it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import repository
from services.contracts.models import Contract
from services.contracts.schemas import ContractStatus, SecurityReceivedIn, SecurityReturnedIn
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import Conflict, InvalidField, NotFound
from services.kit.money import text


async def received(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: SecurityReceivedIn
) -> Contract:
    contract = await _owed(session, actor, contract_id)
    if contract.security_received_on is not None:
        raise Conflict("The performance security was recorded as received already.")
    _not_ahead(data.received_on, "received_on")
    contract.security_form = data.form.value
    contract.security_reference = data.reference
    contract.security_received_on = data.received_on
    await session.flush()
    await record(
        session,
        actor,
        "contract.security_received",
        "contract",
        contract.id,
        after={
            "amount": text(contract.performance_security or Decimal("0")),
            "form": data.form.value,
            "reference": data.reference,
            "received_on": data.received_on,
        },
    )
    return contract


async def returned(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: SecurityReturnedIn
) -> Contract:
    contract = await _owed(session, actor, contract_id)
    if contract.security_received_on is None:
        raise Conflict("No performance security was received.")
    if contract.security_returned_on is not None:
        raise Conflict("The performance security was returned already.")
    _not_ahead(data.returned_on, "returned_on")
    if data.returned_on < contract.security_received_on:
        raise InvalidField("must not come before it was received", field="returned_on")
    contract.security_returned_on = data.returned_on
    contract.security_return_note = data.note
    await session.flush()
    await record(
        session,
        actor,
        "contract.security_returned",
        "contract",
        contract.id,
        after={"returned_on": data.returned_on, "note": data.note},
    )
    return contract


async def _owed(session: AsyncSession, actor: Actor, contract_id: uuid.UUID) -> Contract:
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    if contract.signed_at is None or contract.status in (ContractStatus.void.value,):
        raise Conflict("Only a signed contract has a performance security to hold.")
    if not contract.performance_security:
        raise Conflict("The contract asks for no performance security.")
    return contract


def _not_ahead(day: date, field: str) -> None:
    if day > workdays.local_date(datetime.now(UTC)):
        raise InvalidField("must not be later than today", field=field)
