"""Publishing a signed contract (实施条例 art. 50, within 2 working days of signing) and
recording its filing with the region's finance bureau (政府采购法 art. 47, within 7).

The notice is one of the procurement's public notices (tendering keeps them, readable by
anyone in every region). What is never secret — the subject, the provider and its USCC, the
amount, the period, the day of signing (财库〔2017〕86号) — comes from the contract itself, so
the buyer cannot leave it out; the buyer names what it leaves out and why: state secrets,
trade secrets the parties agreed in the contract, personal information.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import events, repository, telling
from services.contracts.models import Contract
from services.contracts.schemas import ContractStatus, FilingIn, PublicationIn
from services.documents import service as documents
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import Conflict, InvalidField, NotFound
from services.kit.money import text
from services.kit.objects import ObjectType
from services.tenancy import service as tenancy
from services.tendering import service as tendering


async def publish(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: PublicationIn
) -> Contract:
    contract = await _signed(session, actor, contract_id)
    if contract.published_at is not None:
        raise Conflict("The contract was published already.")
    provider = await tenancy.get_provider(session, contract.provider_id)
    assert contract.signed_at is not None
    notice: dict[str, Any] = {
        "contract_id": str(contract.id),
        "provider": provider.name,
        "provider_uscc": provider.uscc,
        "price": text(contract.price),
        "scope": contract.scope,
        "period_start": contract.period_start,
        "period_end": contract.period_end,
        "signed_on": workdays.local_date(contract.signed_at),
        "withheld": [{"part": w.part, "ground": w.ground.value} for w in data.withheld],
    }
    if data.public_document_id is not None:
        public = await documents.current_version(
            session, contract.tenant_id, ObjectType.contract, contract.id, data.public_document_id
        )
        if public is None:
            raise InvalidField("no document of this contract", field="public_document_id")
        notice["public_document"] = {"id": str(public.document_id), "sha256": public.sha256}
    now = datetime.now(UTC)
    contract.notice_id = await tendering.publish_contract_notice(
        session, actor, contract.procurement_id, notice
    )
    contract.published_at = now
    contract.updated_at = now
    await session.flush()
    await record(
        session,
        actor,
        "contract.published",
        "contract",
        contract.id,
        after={"notice_id": contract.notice_id, "withheld": notice["withheld"]}
        | _late(now, contract.publish_by),
    )
    return contract


async def file(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: FilingIn
) -> Contract:
    """Finance records that the signed contract was filed with it."""
    contract = await _signed(session, actor, contract_id)
    if contract.filed_at is not None:
        raise Conflict("The contract was filed already.")
    now = datetime.now(UTC)
    contract.filed_at = now
    contract.filed_by = actor.user_id
    contract.filing_note = data.note
    contract.updated_at = now
    await session.flush()
    await record(
        session,
        actor,
        "contract.filed",
        "contract",
        contract.id,
        after={"note": data.note} | _late(now, contract.file_by),
    )
    await telling.tell(session, actor, contract, events.FILED, roles=telling.CIVIL_AFFAIRS)
    return contract


def _late(now: datetime, due: datetime | None) -> dict[str, bool]:
    return {"late": True} if due is not None and now > due else {}


async def _signed(session: AsyncSession, actor: Actor, contract_id: uuid.UUID) -> Contract:
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    if contract.signed_at is None or contract.status == ContractStatus.void:
        raise Conflict(f"The contract is {contract.status}: only a signed one is published.")
    return contract
