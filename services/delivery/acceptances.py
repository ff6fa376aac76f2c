"""结项验收: the plan of one acceptance round of a signed contract, and finding it.

An acceptance goes open (the panel forms and records its opinions) → concluded (the buyer's
report, 验收书, awaits both sides' signatures) → published (signed by both, published, its
consequences applied: see ``acceptance_signing``). A contract has one round at a time; a
re-acceptance (the next round) follows a failed one once every rectification it ordered is
closed.

The plan's standards are the contract's: its performance targets (绩效目标) and its quality
requirements, copied when the plan is made so that what was measured stays on record. The
buyer may add standards, never remove the contract's: the contract is what the provider
promised (政府采购法 art. 49 and 实施条例 art. 45 measure the acceptance against it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.delivery import rectifications
from services.delivery.acceptance_errors import (
    AcceptanceWrongState,
    ContractNotAcceptable,
    RectificationsOpen,
)
from services.delivery.acceptance_models import Acceptance
from services.delivery.acceptance_schemas import (
    AcceptanceStatus,
    PlanIn,
    Result,
    StandardSource,
)
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound

S = AcceptanceStatus
TRANSITIONS: dict[S, frozenset[S]] = {
    S.open: frozenset({S.concluded}),
    S.concluded: frozenset({S.published}),
    S.published: frozenset(),
}


def move(acceptance: Acceptance, to: S) -> None:
    """The only way an acceptance's status changes."""
    now = S(acceptance.status)
    if to not in TRANSITIONS[now]:
        raise AcceptanceWrongState(f"An acceptance that is {now} cannot become {to}.")
    acceptance.status = to.value


def require(acceptance: Acceptance, status: S) -> None:
    if acceptance.status != status.value:
        raise AcceptanceWrongState(
            f"The acceptance is {acceptance.status}; this step needs it {status.value}."
        )


async def get(
    session: AsyncSession, actor: Actor, acceptance_id: uuid.UUID, *, lock: bool = False
) -> Acceptance:
    """The region's acceptance; a provider's users reach only their own contracts'."""
    query = select(Acceptance).where(
        Acceptance.tenant_id == actor.tenant, Acceptance.id == acceptance_id
    )
    if actor.provider_id is not None:
        query = query.where(Acceptance.provider_id == actor.provider_id)
    if lock:
        query = query.with_for_update()
    found = await session.scalar(query)
    if found is None:
        raise NotFound("No such acceptance.")
    return found


async def _contract(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, *, lock: bool = False
) -> contracts.ContractBrief:
    brief = await contracts.contract_brief(session, actor.tenant, contract_id, lock=lock)
    if brief is None or (actor.provider_id is not None and brief.provider_id != actor.provider_id):
        raise NotFound("No such contract.")
    return brief


async def of_contract(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID
) -> list[Acceptance]:
    """The contract's acceptance rounds, first first."""
    brief = await _contract(session, actor, contract_id)
    rows = await session.scalars(
        select(Acceptance)
        .where(Acceptance.tenant_id == actor.tenant, Acceptance.contract_id == brief.id)
        .order_by(Acceptance.round)
    )
    return list(rows)


def _standards(brief: contracts.ContractBrief, data: PlanIn) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for target in brief.targets:
        value = f"{target.get('target_value', '')}{target.get('unit', '')}"
        found.append(
            {
                "source": StandardSource.contract.value,
                "name": target.get("name", ""),
                "requirement": value,
            }
        )
    if brief.quality_requirements:
        found.append(
            {
                "source": StandardSource.contract.value,
                "name": "合同约定的质量要求",
                "requirement": brief.quality_requirements,
            }
        )
    found += [
        {"source": StandardSource.buyer.value, "name": s.name, "requirement": s.requirement}
        for s in data.standards
    ]
    return [{"seq": i, **s} for i, s in enumerate(found, start=1)]


async def _may_start(session: AsyncSession, actor: Actor, brief: contracts.ContractBrief) -> int:
    """The round a new acceptance of the contract would be; refuses while one is under way,
    after a pass, or while a failed round's rectifications are not all closed."""
    if brief.status is not contracts.ContractStatus.signed:
        raise ContractNotAcceptable(
            f"The contract is {brief.status}: only a signed one is accepted."
        )
    if brief.accepted_at is not None:
        raise ContractNotAcceptable("The contract passed its acceptance already.")
    last = await session.scalar(
        select(Acceptance)
        .where(Acceptance.tenant_id == actor.tenant, Acceptance.contract_id == brief.id)
        .order_by(Acceptance.round.desc())
        .limit(1)
    )
    if last is None:
        return 1
    if last.status != S.published.value:
        raise ContractNotAcceptable(f"Acceptance round {last.round} is still under way.")
    if last.result == Result.pass_.value:  # accepted_at is set then; kept as a second lock
        raise ContractNotAcceptable("The contract passed its acceptance already.")
    ordered = await rectifications.of_contract(
        session,
        actor.tenant,
        brief.id,
        source_kind=rectifications.SourceKind.acceptance,
        source_id=last.id,
    )
    still = rectifications.unfinished(ordered)
    if still:
        raise RectificationsOpen(
            f"{len(still)} rectification(s) ordered by acceptance round {last.round} are not "
            "closed: the re-acceptance follows them.",
            rectification_ids=[str(r.id) for r in still],
        )
    return last.round + 1


async def plan(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, data: PlanIn
) -> Acceptance:
    """Civil affairs sets the plan of the contract's next acceptance round."""
    # Locked: two plans at once would take the same round.
    brief = await _contract(session, actor, contract_id, lock=True)
    if data.planned_on < workdays.local_date(datetime.now(UTC)):
        raise InvalidField("the day of the acceptance cannot be in the past", field="planned_on")
    round_ = await _may_start(session, actor, brief)
    standards = _standards(brief, data)
    if not standards:
        raise InvalidField(
            "the contract names no targets or quality requirements: add a standard",
            field="standards",
        )
    acceptance = Acceptance(
        tenant_id=actor.tenant,
        id=uuid.uuid4(),
        contract_id=brief.id,
        provider_id=brief.provider_id,
        project_id=brief.project_id,
        procurement_id=brief.procurement_id,
        round=round_,
        status=S.open.value,
        method=data.method,
        planned_on=data.planned_on,
        standards=standards,
        created_by=actor.user_id,
        created_at=datetime.now(UTC),
    )
    session.add(acceptance)
    await session.flush()
    await record(
        session,
        actor,
        "acceptance.planned",
        "acceptance",
        acceptance.id,
        after={
            "contract_id": brief.id,
            "round": round_,
            "planned_on": data.planned_on,
            "standards": [s["name"] for s in standards],
        },
    )
    return acceptance
