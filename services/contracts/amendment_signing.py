"""Signing an amendment, as the contract was signed: each side's authorised user accepts the
SHA-256 of the current version of the amendment's document, for the amendment's current
version. When both sides accepted the same pair, the amendment takes effect:

- a supplementary purchase commits its amount on the contract's budget line (the budget
  guard refuses it when the line has not that much left: nothing is bought without a
  budget, 财政部令第102号) and the contract's value grows by it;
- a change is recorded: its description is the change;
- a termination ends the contract and gives its unpaid money back to the line.

Either way it is published among the procurement's public notices at once, like the contract
itself (实施条例 art. 50: the subject, the supplier, the amount are never secret), and both
sides and finance are told.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import amendment_events, amendment_repository, amendments, telling
from services.contracts.amendment_models import Amendment, AmendmentSignature, AmendmentVersion
from services.contracts.errors import (
    AlreadySigned,
    AmendmentClosed,
    ContractNotInForce,
)
from services.contracts.models import Contract
from services.contracts.schemas import (
    AmendmentGround,
    AmendmentKind,
    AmendmentStatus,
    ContractStatus,
    Party,
    SignatureIn,
)
from services.contracts.signing import for_party, read_as_signed
from services.contracts.termination import terminate
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField
from services.kit.money import text
from services.planning import service as planning
from services.tenancy import service as tenancy
from services.tendering import service as tendering

PARTY_NAMES = {Party.buyer: "采购人", Party.provider: "供应商"}
STATUS_NAMES = {ContractStatus.signed: "履行中", ContractStatus.terminated: "已解除"}

Key = tuple[int, uuid.UUID, int, str]


async def sign(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    amendment_id: uuid.UUID,
    party: Party,
    data: SignatureIn,
) -> Amendment:
    contract = await for_party(session, actor, contract_id, party, lock=True)
    amendment = await amendments.one(session, contract, amendment_id)
    if contract.status != ContractStatus.signed:
        raise ContractNotInForce(f"The contract is {contract.status}: it cannot be amended.")
    if AmendmentStatus(amendment.status) not in amendments.OPEN:
        raise AmendmentClosed(f"The amendment is {amendment.status}: it is not signed.")
    version = await amendment_repository.current(session, amendment)
    if version.document_id is None or version.document_id != data.document_id:
        raise InvalidField(
            "not the document of the amendment's current version", field="document_id"
        )
    attached = await read_as_signed(session, contract, data)
    assert actor.user_id is not None
    key: Key = (amendment.version, attached.document_id, attached.version, attached.sha256)
    signatures = await amendment_repository.signatures(session, amendment)
    if any(s.party == party.value and _key(s) == key for s in signatures):
        raise AlreadySigned("Your side signed this version already.")
    signed = AmendmentSignature(
        tenant_id=contract.tenant_id,
        id=uuid.uuid4(),
        amendment_id=amendment.id,
        contract_id=contract.id,
        party=party.value,
        user_id=actor.user_id,
        amendment_version=amendment.version,
        document_id=attached.document_id,
        document_version=attached.version,
        sha256=attached.sha256,
        signed_at=datetime.now(UTC),
    )
    session.add(signed)
    await session.flush()
    await record(
        session,
        actor,
        "contract.amendment_signature",
        "contract",
        contract.id,
        after={
            "amendment_id": amendment.id,
            "party": party.value,
            "version": amendment.version,
            "sha256": attached.sha256,
        },
    )
    other = Party.provider if party is Party.buyer else Party.buyer
    if any(s.party == other.value and _key(s) == key for s in signatures):
        await _take_effect(session, actor, contract, amendment, version)
    else:
        amendment.status = AmendmentStatus.signing.value
        amendment.updated_at = signed.signed_at
        kind = AmendmentKind(amendment.kind)
        await telling.tell(
            session,
            actor,
            contract,
            amendment_events.AMENDMENT_SIGNED_BY_ONE_SIDE,
            roles=telling.CIVIL_AFFAIRS if other is Party.buyer else (),
            provider=other is Party.provider,
            extra={
                "party": PARTY_NAMES[party],
                "kind": kind.value,
                "kind_name": amendments.KIND_NAMES[kind],
                "version": amendment.version,
                "sha256": attached.sha256,
            },
        )
    await session.flush()
    return amendment


def _key(s: AmendmentSignature) -> Key:
    return (s.amendment_version, s.document_id, s.document_version, s.sha256)


async def _take_effect(
    session: AsyncSession,
    actor: Actor,
    contract: Contract,
    amendment: Amendment,
    version: AmendmentVersion,
) -> None:
    now = datetime.now(UTC)
    kind = AmendmentKind(amendment.kind)
    amendment.status = AmendmentStatus.effective.value
    amendment.effective_at = now
    amendment.updated_at = now
    if kind is AmendmentKind.supplementary_purchase:
        assert amendment.amount is not None
        held = await planning.commit(
            session,
            actor,
            contract.budget_line_id,
            amendment.amount,
            planning.CommitmentPurpose.contract,
            "contract",
            contract.id,
            field="amount",
        )
        amendment.commitment_id = held.id
        contract.supplementary_total += amendment.amount
    elif kind is AmendmentKind.termination:
        await terminate(session, actor, contract, amendment, version)
    contract.updated_at = now
    contract.updated_by = actor.user_id
    await session.flush()
    notice = await _notice(session, contract, amendment, version)
    amendment.notice_id = await tendering.publish_amendment_notice(
        session, actor, contract.procurement_id, notice
    )
    value = text(contract.price + contract.supplementary_total)
    await record(
        session,
        actor,
        "contract.amendment_effective",
        "contract",
        contract.id,
        after={
            "amendment_id": amendment.id,
            "kind": kind.value,
            "version": amendment.version,
            "commitment_id": amendment.commitment_id,
            "notice_id": amendment.notice_id,
            "value": value,
            "status": contract.status,
        },
    )
    await telling.tell(
        session,
        actor,
        contract,
        amendment_events.AMENDMENT_EFFECTIVE,
        roles=telling.CIVIL_AFFAIRS + telling.FINANCE,
        provider=True,
        extra={
            "kind": kind.value,
            "kind_name": amendments.KIND_NAMES[kind],
            "reason": version.reason,
            "value": value,
            "status": STATUS_NAMES[ContractStatus(contract.status)],
        },
    )


async def _notice(
    session: AsyncSession, contract: Contract, amendment: Amendment, version: AmendmentVersion
) -> dict[str, Any]:
    provider = await tenancy.get_provider(session, contract.provider_id)
    ground = AmendmentGround(version.ground) if version.ground is not None else None
    return {
        "contract_id": str(contract.id),
        "amendment_id": str(amendment.id),
        "amendment_kind": amendment.kind,
        "version": amendment.version,
        "provider": provider.name,
        "provider_uscc": provider.uscc,
        "price": text(contract.price),
        "amount": text(amendment.amount) if amendment.amount is not None else None,
        "value": text(contract.price + contract.supplementary_total),
        "ground": ground.value if ground is not None else None,
        "ground_name": amendments.GROUND_NAMES[ground] if ground is not None else None,
        "reason": version.reason,
        "description": version.description,
        "effective_on": version.effective_on,
    }
