"""Amendments of a signed contract: the buyer drafts, revises and withdraws them.

Supplementary purchases (补充合同), 政府采购法 art. 49: while the contract is performed, the
buyer who needs more goods, works or services the same as the contract's subject may agree a
supplementary contract with the supplier, the contract's other terms unchanged; all the
supplementary contracts together may not exceed 10 % of the original contract's amount.
Beyond that the purchase is a new procurement. "不得超过" reads as "at most": exactly 10 %
is allowed. Every supplementary amendment not withdrawn counts — drafted, being signed or in
effect — so two drafts cannot each pass alone and together exceed it; the sum is exact
(Decimal, against the original ``price``, never the grown value) and is taken with the
contract's row locked, so concurrent drafts wait for each other and count each other.

Changes and termination (合同变更、解除), 政府采购法 art. 50: the parties may not change,
suspend or terminate the contract at will; where continuing would harm the national or the
public interest they shall change, suspend or terminate it, and the party at fault
compensates. Also lawful: a ground the contract itself set, such as its breach clause (民法典
art. 562), and force majeure that defeats the contract's purpose (民法典 art. 563). So a
change or a termination records its ground and its reason; a supplementary purchase has none
(it is the buyer's choice within art. 49) and only it adds money.

An amendment is revised while it has not taken effect: each revision is a new version, every
version is kept, and a signature counts only for the version it was given on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import amendment_events, amendment_repository, repository, telling
from services.contracts.amendment_models import Amendment, AmendmentVersion
from services.contracts.errors import (
    AmendmentClosed,
    ContractNotInForce,
    SupplementaryOverLimit,
)
from services.contracts.models import Contract
from services.contracts.schemas import (
    AmendmentGround,
    AmendmentIn,
    AmendmentKind,
    AmendmentStatus,
    AmendmentWithdrawalIn,
    ContractStatus,
    Party,
)
from services.contracts.signing import for_party
from services.documents import service as documents
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.money import CENT, money, text
from services.kit.objects import ObjectType
from services.tendering import service as tendering

OPEN = (AmendmentStatus.drafted, AmendmentStatus.signing)
KIND_NAMES = {
    AmendmentKind.supplementary_purchase: "补充合同",
    AmendmentKind.change: "合同变更",
    AmendmentKind.termination: "合同解除",
}
GROUND_NAMES = {
    AmendmentGround.public_interest: (
        "继续履行将损害国家利益和社会公共利益（《政府采购法》第五十条）"
    ),
    AmendmentGround.force_majeure: "不可抗力（《民法典》第五百六十三条）",
    AmendmentGround.contract_clause: "合同约定的事由（《民法典》第五百六十二条）",
}


@dataclass(frozen=True)
class Checked:
    amount: Decimal | None


async def in_force(session: AsyncSession, actor: Actor, contract_id: uuid.UUID) -> Contract:
    """The contract, locked: only a signed one, not ended, is amended."""
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    if contract.status != ContractStatus.signed:
        raise ContractNotInForce(f"The contract is {contract.status}: it cannot be amended.")
    return contract


async def for_reader(session: AsyncSession, actor: Actor, contract_id: uuid.UUID) -> Contract:
    """The contract as the reader reaches it: a provider's users only their own."""
    party = Party.provider if actor.provider_id is not None else Party.buyer
    return await for_party(session, actor, contract_id, party, lock=False)


async def one(session: AsyncSession, contract: Contract, amendment_id: uuid.UUID) -> Amendment:
    found = await amendment_repository.amendment(session, contract, amendment_id, lock=True)
    if found is None:
        raise NotFound("No such amendment of this contract.")
    return found


async def draft(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: AmendmentIn
) -> Amendment:
    contract = await in_force(session, actor, contract_id)
    checked = await _check(session, contract, data, None)
    now = datetime.now(UTC)
    amendment = Amendment(
        tenant_id=contract.tenant_id,
        id=uuid.uuid4(),
        contract_id=contract.id,
        kind=data.kind.value,
        status=AmendmentStatus.drafted.value,
        version=1,
        amount=checked.amount,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(amendment)
    await session.flush()  # the versions refer to it
    await _write_version(session, actor, contract, amendment, data, checked, "drafted")
    return amendment


async def revise(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    amendment_id: uuid.UUID,
    data: AmendmentIn,
) -> Amendment:
    """A new version; signatures given on an earlier one count no more."""
    contract = await in_force(session, actor, contract_id)
    amendment = await one(session, contract, amendment_id)
    if AmendmentStatus(amendment.status) not in OPEN:
        raise AmendmentClosed(f"The amendment is {amendment.status}: it is not revised.")
    if data.kind != amendment.kind:
        raise InvalidField("an amendment keeps its kind: withdraw it, draft another", field="kind")
    checked = await _check(session, contract, data, amendment)
    amendment.version += 1
    amendment.amount = checked.amount
    amendment.status = AmendmentStatus.drafted.value
    amendment.updated_at = datetime.now(UTC)
    await _write_version(session, actor, contract, amendment, data, checked, "revised")
    return amendment


async def withdraw(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    amendment_id: uuid.UUID,
    data: AmendmentWithdrawalIn,
) -> Amendment:
    """The buyer withdraws an amendment that has not taken effect; it no longer counts
    towards the 10 %."""
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    amendment = await one(session, contract, amendment_id)
    if AmendmentStatus(amendment.status) not in OPEN:
        raise AmendmentClosed(f"The amendment is {amendment.status}: it is not withdrawn.")
    await close(session, actor, contract, amendment, data.reason)
    return amendment


async def close(
    session: AsyncSession, actor: Actor, contract: Contract, amendment: Amendment, reason: str
) -> None:
    now = datetime.now(UTC)
    amendment.status = AmendmentStatus.withdrawn.value
    amendment.withdrawn_at = now
    amendment.withdrawn_by = actor.user_id
    amendment.withdraw_reason = reason
    amendment.updated_at = now
    await session.flush()
    await record(
        session,
        actor,
        "contract.amendment_withdrawn",
        "contract",
        contract.id,
        after={"amendment_id": amendment.id, "version": amendment.version, "reason": reason},
    )


async def _check(
    session: AsyncSession, contract: Contract, data: AmendmentIn, amendment: Amendment | None
) -> Checked:
    """Refuse what the law or the contract does not allow, naming the field."""
    amount: Decimal | None = None
    if data.kind is AmendmentKind.supplementary_purchase:
        if data.ground is not None:
            raise InvalidField(
                "a supplementary purchase has no ground: it adds the same services on the "
                "same terms (政府采购法 art. 49)",
                field="ground",
            )
        if data.amount is None:
            raise InvalidField("a supplementary purchase states what it adds", field="amount")
        amount = money(data.amount)
        if amount <= 0:
            raise InvalidField("must be more than 0", field="amount")
        await _within_ten_percent(session, contract, amount, amendment)
    else:
        if data.ground is None:
            raise InvalidField(
                "a change or a termination states its lawful ground (政府采购法 art. 50)",
                field="ground",
            )
        if data.amount is not None:
            raise InvalidField("only a supplementary purchase adds money", field="amount")
    assert contract.signed_at is not None
    if data.effective_on < workdays.local_date(contract.signed_at):
        raise InvalidField("before the contract was signed", field="effective_on")
    if data.document_id is not None:
        attached = await documents.current_version(
            session, contract.tenant_id, ObjectType.contract, contract.id, data.document_id
        )
        if attached is None:
            raise InvalidField("no document of this contract", field="document_id")
        if data.document_id == contract.signed_document_id:
            raise InvalidField(
                "the contract's own document: upload the amendment's", field="document_id"
            )
    return Checked(amount=amount)


async def _within_ten_percent(
    session: AsyncSession, contract: Contract, amount: Decimal, amendment: Amendment | None
) -> None:
    others = await amendment_repository.supplementary_total(
        session, contract, excluding=amendment.id if amendment is not None else None
    )
    share = await tendering.supplementary_max_share(session, contract.tenant_id)
    ceiling = contract.price * share
    if others + amount > ceiling:
        left = max(ceiling - others, Decimal(0)).quantize(CENT, rounding=ROUND_DOWN)
        percent = f"{(share * 100).normalize():f}"
        raise SupplementaryOverLimit(
            f"All supplementary contracts together may not exceed {percent} % of the "
            f"original price {text(contract.price)} here (政府采购法 art. 49: at most 10 %): "
            f"{text(others)} is drafted or in effect already, {text(left)} is left. Beyond it "
            "the purchase is a new procurement.",
            field="amount",
            available=text(left),
        )


async def _write_version(
    session: AsyncSession,
    actor: Actor,
    contract: Contract,
    amendment: Amendment,
    data: AmendmentIn,
    checked: Checked,
    action: str,
) -> AmendmentVersion:
    version = AmendmentVersion(
        tenant_id=amendment.tenant_id,
        amendment_id=amendment.id,
        version=amendment.version,
        contract_id=contract.id,
        reason=data.reason,
        ground=data.ground.value if data.ground is not None else None,
        amount=checked.amount,
        effective_on=data.effective_on,
        description=data.description,
        document_id=data.document_id,
        created_by=actor.user_id,
        created_at=amendment.updated_at,
    )
    session.add(version)
    await session.flush()
    await record(
        session,
        actor,
        f"contract.amendment_{action}",
        "contract",
        contract.id,
        after={
            "amendment_id": amendment.id,
            "kind": amendment.kind,
            "version": amendment.version,
            "amount": text(checked.amount) if checked.amount is not None else None,
            "ground": version.ground,
            "reason": data.reason,
            "effective_on": data.effective_on,
            "document_id": data.document_id,
        },
    )
    kind = AmendmentKind(amendment.kind)
    await telling.tell(
        session,
        actor,
        contract,
        amendment_events.AMENDMENT_DRAFTED,
        provider=True,
        extra={
            "kind": kind.value,
            "kind_name": KIND_NAMES[kind],
            "version": amendment.version,
            "reason": data.reason,
        },
    )
    return version
