"""Signing: each side's authorised user accepts one exact version of the contract document.

A signature records the SHA-256 of the document's current version, as the signer's own copy
gives it; the contract is signed when both sides accepted the same version. Before a signature
is taken the platform checks what the buyer is shown (``obstacles``): the award still stands,
nothing suspends the contract, and no bar on the provider is in force here — a bar is a
qualification condition of every procurement (政府采购法 art. 22, 实施条例 art. 19), the one
credit fact that refuses a signature; anything else in the credit record is for the buyer to
read, since refusing to sign after the award notice changes the result (政府采购法 art. 46).

At signing the procurement's money becomes the contract's: the price stays committed on the
line and the rest goes back, in the same transaction (``planning.service.transfer``); the
project moves to ``contracted``; the winner's bid security falls due within 5 working days
(财政部令第87号 art. 38); the public notice is due within 2 working days (实施条例 art. 50)
and the filing with finance within 7 (政府采购法 art. 47) — each counted from the day after
signing to 24:00 of its last working day.

Signing after the 30 days (政府采购法 art. 46) is still signing: the law makes the delay the
buyer's fault, not the contract void. It is recorded as late, and the chronograph has warned.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import events, repository, telling
from services.contracts.errors import (
    AlreadySigned,
    AwardChanged,
    ContractSuspended,
    DocumentChanged,
    NotSignable,
    YearNotBudgeted,
)
from services.contracts.models import Contract, Signature
from services.contracts.schemas import (
    BarOut,
    ChallengeOut,
    ContractStatus,
    Party,
    SignatureIn,
    SigningOut,
)
from services.contracts.views import signature as signature_out
from services.contracts.views import suspension as suspension_out
from services.credit import service as credit
from services.documents import service as documents
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.money import text
from services.kit.objects import ObjectType
from services.planning import service as planning
from services.tenancy import service as tenancy
from services.tendering import service as tendering

PUBLISH_WORKING_DAYS = 2  # 实施条例 art. 50
FILE_WORKING_DAYS = 7  # 政府采购法 art. 47
SIGNABLE = (ContractStatus.drafting, ContractStatus.signing)


async def for_party(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, party: Party, *, lock: bool
) -> Contract:
    """The contract as ``party`` may reach it: a provider only its own."""
    contract = await repository.contract(session, actor.tenant, contract_id, lock=lock)
    if contract is None or (party is Party.provider and contract.provider_id != actor.provider_id):
        raise NotFound("No such contract.")
    return contract


async def view(session: AsyncSession, actor: Actor, contract_id: uuid.UUID) -> SigningOut:
    """What the buyer sees before signing: the provider and its credit here today."""
    contract = await for_party(session, actor, contract_id, Party.buyer, lock=False)
    provider = await tenancy.get_provider(session, contract.provider_id)
    bars = await credit.bars(session, contract.provider_id, contract.tenant_id)
    challenges = await tendering.open_challenges(session, actor.tenant, contract.procurement_id)
    now = datetime.now(UTC)
    suspended = [
        s for s in await repository.suspensions(session, contract) if repository.in_force(s, now)
    ]
    obstacles = await _obstacles(session, contract, now)
    return SigningOut(
        contract_id=contract.id,
        provider_id=provider.id,
        provider_name=provider.name,
        provider_uscc=provider.uscc,
        bars=[
            BarOut(
                disqualification_id=b.disqualification_id,
                source_tenant=b.source_tenant,
                source_name=b.source_name,
                scope=b.scope.value,
                starts_on=b.starts_on,
                last_day=b.last_day,
            )
            for b in bars
        ],
        open_challenges=[
            ChallengeOut(
                id=c.id,
                filed_at=c.filed_at,
                answer_due=c.answer_due,
                answer_due_provisional=workdays.is_provisional_moment(c.answer_due),
            )
            for c in challenges
        ],
        suspensions_in_force=[suspension_out(s, now) for s in suspended],
        signatures=[signature_out(s) for s in await repository.signatures(session, contract)],
        may_sign=not obstacles,
        obstacles=[str(o) for o in obstacles],
    )


async def _obstacles(session: AsyncSession, contract: Contract, now: datetime) -> list[Exception]:
    """Every reason the platform would refuse a signature now, as the refusal itself."""
    found: list[Exception] = []
    if ContractStatus(contract.status) not in SIGNABLE:
        found.append(NotSignable(f"The contract is {contract.status}."))
        return found
    if contract.scope is None or not await repository.instalments(session, contract):
        found.append(NotSignable("The contract's terms are not set yet."))
    try:
        award = await tendering.notified_award(session, contract.tenant_id, contract.procurement_id)
        if award.award_notice_at != contract.award_notice_at or (
            award.provider_id != contract.provider_id
        ):
            found.append(AwardChanged("A new award notice replaced the one drafted from."))
    except tendering.WrongState:
        found.append(AwardChanged("The award was withdrawn (an upheld challenge)."))
    if any(repository.in_force(s, now) for s in await repository.suspensions(session, contract)):
        found.append(ContractSuspended("Signing is suspended; see the contract's suspensions."))
    try:
        await credit.check_eligible(session, contract.provider_id, contract.tenant_id)
    except credit.ProviderDisqualified as barred:
        found.append(barred)
    for share in await repository.year_shares(session, contract):
        line = await planning.line_for_year(
            session, contract.tenant_id, contract.project_id, share.fiscal_year
        )
        if line is None:
            found.append(
                YearNotBudgeted(
                    f"No approved {share.fiscal_year} budget line funds this project's share "
                    f"of {text(share.amount)}: a contract commits no money not yet budgeted "
                    "(财政部令第102号).",
                    field="year_shares",
                )
            )
    return found


async def sign(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    party: Party,
    data: SignatureIn,
) -> Contract:
    contract = await for_party(session, actor, contract_id, party, lock=True)
    now = datetime.now(UTC)
    obstacles = await _obstacles(session, contract, now)
    if obstacles:
        raise obstacles[0]
    assert actor.user_id is not None
    attached = await read_as_signed(session, contract, data)
    # Only what was signed under the award notice the contract now stands on counts.
    signatures = [
        s
        for s in await repository.signatures(session, contract)
        if s.signed_at > contract.award_notice_at
    ]
    key = (attached.document_id, attached.version, attached.sha256)
    if any(s.party == party.value and _key(s) == key for s in signatures):
        raise AlreadySigned("Your side signed this version already.")
    signed = Signature(
        tenant_id=contract.tenant_id,
        id=uuid.uuid4(),
        contract_id=contract.id,
        party=party.value,
        user_id=actor.user_id,
        document_id=attached.document_id,
        version=attached.version,
        sha256=attached.sha256,
        signed_at=now,
    )
    session.add(signed)
    late = now > contract.sign_by
    await record(
        session,
        actor,
        "contract.signature",
        "contract",
        contract.id,
        after={"party": party.value, "sha256": attached.sha256, "version": attached.version}
        | ({"late": True} if late else {}),
    )
    other = Party.provider if party is Party.buyer else Party.buyer
    if any(s.party == other.value and _key(s) == key for s in signatures):
        await _conclude(session, actor, contract, signed, late)
    else:
        contract.status = ContractStatus.signing.value
        await telling.tell(
            session,
            actor,
            contract,
            events.SIGNED_BY_ONE_SIDE,
            roles=telling.CIVIL_AFFAIRS if other is Party.buyer else (),
            provider=other is Party.provider,
            extra={
                "party": _party_name(party),
                "sha256": attached.sha256,
                "sign_by": contract.sign_by,
            },
        )
    contract.updated_at = now
    contract.updated_by = actor.user_id
    await session.flush()
    return contract


async def read_as_signed(
    session: AsyncSession, contract: Contract, data: SignatureIn
) -> documents.AttachedVersion:
    """The contract's document at its current version, when it is what the signer read (the
    SHA-256 of the signer's own copy) and passed its checks; share-locked until the signature
    is recorded, so no new version slips in between."""
    attached = await documents.current_version(
        session, contract.tenant_id, ObjectType.contract, contract.id, data.document_id
    )
    if attached is None:
        raise InvalidField("no document of this contract", field="document_id")
    if attached.verification == "failed":
        raise InvalidField("the document failed its checks; upload it again", field="document_id")
    if attached.sha256 != data.sha256:
        raise DocumentChanged(
            f"The document's current version {attached.version} has SHA-256 "
            f"{attached.sha256}: read it again before signing.",
            field="sha256",
        )
    return attached


def _key(s: Signature) -> tuple[uuid.UUID, int, str]:
    return (s.document_id, s.version, s.sha256)


def _party_name(party: Party) -> str:
    return {Party.buyer: "采购人", Party.provider: "供应商", Party.finance: "财政部门"}[party]


async def _conclude(
    session: AsyncSession, actor: Actor, contract: Contract, last: Signature, late: bool
) -> None:
    """Both sides accepted the same version: the contract is signed, with its money."""
    at = last.signed_at
    contract.status = ContractStatus.signed.value
    contract.signed_at = at
    contract.signed_document_id = last.document_id
    contract.signed_version = last.version
    contract.signed_sha256 = last.sha256
    contract.publish_by = workdays.end_of_nth_working_day(at, PUBLISH_WORKING_DAYS)
    contract.file_by = workdays.end_of_nth_working_day(at, FILE_WORKING_DAYS)
    held = await _commit_years(session, actor, contract)
    contract.contract_commitment_id = held
    await planning.advance(
        session,
        actor,
        contract.project_id,
        planning.ProjectStatus.contracted,
        contract_id=contract.id,
    )
    await tendering.contract_signed(session, actor, contract.procurement_id, at)
    await record(
        session,
        actor,
        "contract.signed",
        "contract",
        contract.id,
        after={
            "sha256": last.sha256,
            "price": text(contract.price),
            "commitment_id": held,
            "late": late,
        },
    )
    await telling.tell(
        session,
        actor,
        contract,
        events.SIGNED,
        roles=telling.CIVIL_AFFAIRS + telling.FINANCE,
        provider=True,
        extra={
            "price": text(contract.price),
            "publish_by": contract.publish_by,
            "file_by": contract.file_by,
        },
    )


async def _commit_years(session: AsyncSession, actor: Actor, contract: Contract) -> uuid.UUID:
    """Each year's share against its own year's approved line. The procurement's year keeps
    its share of the procurement's commitment, the rest going back to the line; a later year
    commits its share on that year's line (the budget guard refuses what it cannot hold). The
    id of the procurement year's commitment."""
    first: uuid.UUID | None = None
    for i, share in enumerate(await repository.year_shares(session, contract)):
        if first is None:  # the procurement's year: the shares start in it
            held = await planning.transfer(
                session,
                actor,
                contract.commitment_id,
                share.amount,
                planning.CommitmentPurpose.contract,
                "contract",
                contract.id,
            )
            share.line_id, share.commitment_id = contract.budget_line_id, held.id
            first = held.id
            continue
        line = await planning.line_for_year(
            session, contract.tenant_id, contract.project_id, share.fiscal_year
        )
        assert line is not None  # an obstacle otherwise
        held = await planning.commit(
            session,
            actor,
            line.line.id,
            share.amount,
            planning.CommitmentPurpose.contract,
            "contract",
            contract.id,
            field=f"year_shares[{i}].amount",
        )
        share.line_id, share.commitment_id = line.line.id, held.id
    assert first is not None  # terms set, so the shares are there
    return first
