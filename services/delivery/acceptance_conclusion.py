"""验收结论: the buyer concludes once the panel has spoken — every member recorded, among them
at least one of the buyer's representatives, one service-recipient representative (their
opinion is required for a public service, 实施条例 art. 45) and one third-party member.

The conclusion is pass or fail against every standard of the plan, each with its reason; it
passes only when every standard does. It is the content of the acceptance report (验收书),
which both sides then sign (``acceptance_signing``). A fail names the calendar days the
provider has to put each failed standard right: the period starts the day after the report
takes effect (both signatures) and ends at 24:00 Asia/Shanghai of its last day, moved to the
next working day when that is a rest day (民法典 arts. 201, 203).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery import acceptance_events, acceptance_panel, acceptance_telling, acceptances
from services.delivery.acceptance_errors import OpinionsMissing, PanelIncomplete
from services.delivery.acceptance_models import Acceptance
from services.delivery.acceptance_schemas import (
    AcceptanceStatus,
    ConclusionIn,
    MemberKind,
    Result,
)
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import InvalidField

KIND_NAMES = {
    MemberKind.buyer: "采购人代表",
    MemberKind.recipient: "服务对象代表",
    MemberKind.third_party: "第三方成员",
}


async def conclude(
    session: AsyncSession, actor: Actor, acceptance_id: uuid.UUID, data: ConclusionIn
) -> Acceptance:
    acceptance = await acceptances.get(session, actor, acceptance_id, lock=True)
    acceptances.require(acceptance, AcceptanceStatus.open)
    seated = await acceptance_panel.members(session, acceptance)
    recorded = await acceptance_panel.opinions(session, acceptance)
    lacking = [k for k in MemberKind if not any(m.kind == k.value for m in seated)]
    if lacking:
        raise PanelIncomplete(
            "The panel lacks: " + "、".join(KIND_NAMES[k] for k in lacking) + ".",
            missing=[k.value for k in lacking],
        )
    silent = [m for m in seated if m.user_id not in recorded]
    if silent:
        raise OpinionsMissing(
            f"{len(silent)} member(s) of the panel have not recorded an opinion yet.",
            missing=len(silent),
        )
    acceptance_panel.check_cover(acceptance.standards, data.findings, "findings")
    failed = [f for f in data.findings if not f.passed]
    if failed and data.rectify_within_days is None:
        raise InvalidField(
            "a fail names the days the provider has to put it right", field="rectify_within_days"
        )
    acceptances.move(acceptance, AcceptanceStatus.concluded)
    acceptance.result = (Result.fail if failed else Result.pass_).value
    acceptance.findings = [
        {"seq": f.seq, "passed": f.passed, "reason": f.reason}
        for f in sorted(data.findings, key=lambda f: f.seq)
    ]
    acceptance.summary = data.summary
    acceptance.rectify_within_days = data.rectify_within_days if failed else None
    acceptance.concluded_at = datetime.now(UTC)
    acceptance.concluded_by = actor.user_id
    await session.flush()
    await record(
        session,
        actor,
        "acceptance.concluded",
        "acceptance",
        acceptance.id,
        before={"status": AcceptanceStatus.open.value},
        after={
            "status": acceptance.status,
            "result": acceptance.result,
            "findings": acceptance.findings,
            "rectify_within_days": acceptance.rectify_within_days,
        },
    )
    # The two who sign: civil affairs' approver and the provider's administrators.
    await acceptance_telling.tell(
        session,
        actor,
        acceptance,
        acceptance_events.CONCLUDED,
        roles=(Role.civil_affairs_approver,),
    )
    return acceptance
