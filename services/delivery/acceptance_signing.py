"""Signing the acceptance report (验收书), and what the report does once both sides signed.

As with the contract, each side accepts one exact version of the report: its signature records
the SHA-256 of the report document's current version (object kind ``acceptance``) as the
signer's own copy gives it; the buyer signs through civil affairs' approver, the provider
through its administrator. When both accepted the same version the report takes effect:

- it is published (实施条例 art. 45) among the procurement's public notices: the project, the
  provider, the round, the result and each standard with its verdict — no person's name, no
  reasons written by the panel;
- a pass records the contract's acceptance (the final instalment may then be paid) and moves
  the project to ``completed``;
- a fail orders a rectification of each failed standard, due at 24:00 of the last day of the
  period the conclusion named (counted from the day after the report took effect, a rest day
  moving it to the next working day); a re-acceptance follows once they are all closed. A
  fail of a re-acceptance is also a breach of the contract: what the contract's liability for
  breach (违约责任) says is recorded on the acceptance and shown with it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.credit import service as credit
from services.delivery import acceptance_events, acceptance_telling, acceptances, rectifications
from services.delivery.acceptance_errors import AlreadySigned, DocumentChanged
from services.delivery.acceptance_models import Acceptance, AcceptanceSignature
from services.delivery.acceptance_schemas import AcceptanceStatus, Party, Result, SignatureIn
from services.documents import service as documents
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.planning import service as planning
from services.tendering import service as tendering

NO_LIABILITY = "合同未约定违约责任"
TOLD_OF_PUBLICATION = (
    Role.civil_affairs_officer,
    Role.civil_affairs_approver,
    Role.finance_officer,
    Role.finance_approver,
)


async def signatures(session: AsyncSession, acceptance: Acceptance) -> list[AcceptanceSignature]:
    rows = await session.scalars(
        select(AcceptanceSignature)
        .where(
            AcceptanceSignature.tenant_id == acceptance.tenant_id,
            AcceptanceSignature.acceptance_id == acceptance.id,
        )
        .order_by(AcceptanceSignature.signed_at, AcceptanceSignature.id)
    )
    return list(rows)


def _key(s: AcceptanceSignature) -> tuple[uuid.UUID, int, str]:
    return (s.document_id, s.version, s.sha256)


async def sign(
    session: AsyncSession,
    actor: Actor,
    acceptance_id: uuid.UUID,
    party: Party,
    data: SignatureIn,
) -> Acceptance:
    if party is Party.provider and actor.provider_id is None:
        raise NotFound("No such acceptance.")
    acceptance = await acceptances.get(session, actor, acceptance_id, lock=True)
    acceptances.require(acceptance, AcceptanceStatus.concluded)
    attached = await documents.current_version(
        session, acceptance.tenant_id, ObjectType.acceptance, acceptance.id, data.document_id
    )
    if attached is None:
        raise InvalidField("no document of this acceptance", field="document_id")
    if attached.verification == "failed":
        raise InvalidField("the document failed its checks; upload it again", field="document_id")
    if attached.sha256 != data.sha256:
        raise DocumentChanged(
            f"The report's current version {attached.version} has SHA-256 "
            f"{attached.sha256}: read it again before signing.",
            field="sha256",
        )
    assert actor.user_id is not None
    earlier = await signatures(session, acceptance)
    key = (attached.document_id, attached.version, attached.sha256)
    if any(s.party == party.value and _key(s) == key for s in earlier):
        raise AlreadySigned("Your side signed this version already.")
    now = datetime.now(UTC)
    signed = AcceptanceSignature(
        tenant_id=acceptance.tenant_id,
        id=uuid.uuid4(),
        acceptance_id=acceptance.id,
        party=party.value,
        user_id=actor.user_id,
        document_id=attached.document_id,
        version=attached.version,
        sha256=attached.sha256,
        signed_at=now,
    )
    session.add(signed)
    await session.flush()
    await record(
        session,
        actor,
        "acceptance.signature",
        "acceptance",
        acceptance.id,
        after={"party": party.value, "sha256": attached.sha256, "version": attached.version},
    )
    other = Party.provider if party is Party.buyer else Party.buyer
    if any(s.party == other.value and _key(s) == key for s in earlier):
        await _take_effect(session, actor, acceptance, signed)
    return acceptance


def rectification_due(took_effect: datetime, days: int) -> date:
    """The last day of a period of ``days`` calendar days from the day after the report took
    effect; a rest day moves it to the next working day."""
    return workdays.calendar_last_day(workdays.local_date(took_effect), days)


async def _take_effect(
    session: AsyncSession, actor: Actor, acceptance: Acceptance, last: AcceptanceSignature
) -> None:
    at = last.signed_at
    brief = await contracts.contract_brief(session, acceptance.tenant_id, acceptance.contract_id)
    assert brief is not None  # an acceptance's contract stays
    acceptances.move(acceptance, AcceptanceStatus.published)
    acceptance.signed_document_id = last.document_id
    acceptance.signed_version = last.version
    acceptance.signed_sha256 = last.sha256
    acceptance.signed_at = at
    verdicts = {int(f["seq"]): bool(f["passed"]) for f in acceptance.findings or []}
    acceptance.notice_id = await tendering.publish_acceptance_notice(
        session,
        actor,
        acceptance.procurement_id,
        {
            "acceptance_id": str(acceptance.id),
            "contract_id": str(acceptance.contract_id),
            "provider": brief.provider_name,
            "provider_uscc": brief.provider_uscc,
            "round": acceptance.round,
            "result": acceptance.result,
            "signed_on": workdays.local_date(at),
            "report_sha256": last.sha256,
            "standards": [
                {
                    "seq": s["seq"],
                    "name": s["name"],
                    "requirement": s["requirement"],
                    "passed": verdicts[int(s["seq"])],
                }
                for s in acceptance.standards
            ],
        },
    )
    if acceptance.result == Result.pass_.value:
        next_step = "合同约定的尾款可以申请支付，项目已结项。"
        await contracts.record_acceptance(session, actor, acceptance.contract_id, at)
        await planning.advance(
            session,
            actor,
            acceptance.project_id,
            planning.ProjectStatus.completed,
            contract_id=acceptance.contract_id,
            acceptance_id=acceptance.id,
        )
    else:
        due_on = await _order_rectifications(session, actor, acceptance, at)
        next_step = f"请于{due_on}前完成不合格标准的整改；整改全部销号后再次组织验收。"
        if acceptance.breach_liability is not None:
            next_step += (
                f"本次为再次验收不合格，按合同约定的违约责任处理：{acceptance.breach_liability}"
            )
    await _record_facts(session, actor, acceptance, brief)
    await session.flush()
    await record(
        session,
        actor,
        "acceptance.published",
        "acceptance",
        acceptance.id,
        before={"status": AcceptanceStatus.concluded.value},
        after={
            "status": acceptance.status,
            "result": acceptance.result,
            "sha256": last.sha256,
            "notice_id": acceptance.notice_id,
        },
    )
    await acceptance_telling.tell(
        session,
        actor,
        acceptance,
        acceptance_events.PUBLISHED,
        roles=TOLD_OF_PUBLICATION,
        extra={"next_step": next_step},
    )


async def _record_facts(
    session: AsyncSession, actor: Actor, acceptance: Acceptance, brief: contracts.ContractBrief
) -> None:
    """The result enters the provider's credit record (结果运用): a pass or a fail, and a fail of
    a re-acceptance also as a breach. Counts and codes only: no panel member, no recipient."""
    failed = [int(f["seq"]) for f in acceptance.findings or [] if not f["passed"]]
    passed = acceptance.result == Result.pass_.value
    details = {
        "contract_id": str(acceptance.contract_id),
        "round": acceptance.round,
        "standards": len(acceptance.standards),
        "standards_failed": len(failed),
    }
    await credit.record_fact(
        session,
        actor,
        provider_id=brief.provider_id,
        kind="acceptance_passed" if passed else "acceptance_failed",
        source_kind="acceptance",
        source_id=acceptance.id,
        summary=(
            f"「{brief.title}」第{acceptance.round}次验收"
            + ("合格" if passed else f"不合格（{len(failed)}项标准未达到）")
        ),
        details=details,
    )
    if acceptance.breach_liability is not None:
        await credit.record_fact(
            session,
            actor,
            provider_id=brief.provider_id,
            kind="breach",
            source_kind="acceptance",
            source_id=acceptance.id,
            summary=f"「{brief.title}」再次验收不合格，按合同约定的违约责任处理",
            details=details,
        )


async def _order_rectifications(
    session: AsyncSession, actor: Actor, acceptance: Acceptance, at: datetime
) -> date:
    """The conclusion's orders, now in force: they are the buyer's, made by whoever
    concluded, whichever side signed last."""
    assert acceptance.rectify_within_days is not None  # a fail names them (conclusion)
    ordering = Actor(
        user_id=acceptance.concluded_by, tenant=acceptance.tenant_id, request_id=actor.request_id
    )
    due_on = rectification_due(at, acceptance.rectify_within_days)
    standards = {int(s["seq"]): s for s in acceptance.standards}
    for finding in acceptance.findings or []:
        if finding["passed"]:
            continue
        standard = standards[int(finding["seq"])]
        await rectifications.order(
            session,
            ordering,
            contract_id=acceptance.contract_id,
            source_kind=rectifications.SourceKind.acceptance,
            source_id=acceptance.id,
            finding=f"验收标准{standard['seq']}「{standard['name']}」不合格：{finding['reason']}",
            required_action=f"达到合同约定的要求：{standard['requirement']}",
            due_on=due_on,
        )
    if acceptance.round > 1:
        brief = await contracts.contract_brief(
            session, acceptance.tenant_id, acceptance.contract_id
        )
        assert brief is not None
        acceptance.breach_liability = brief.breach_liability or NO_LIABILITY
        await record(
            session,
            actor,
            "acceptance.breach",
            "acceptance",
            acceptance.id,
            after={"round": acceptance.round, "breach_liability": acceptance.breach_liability},
        )
    return due_on
