"""HTTP routes of a region's legal rules, under ``/v1/tenants/{tenant}/tendering-rules``.

Civil affairs, finance and the region's administrator read them; the administrator and civil
affairs' approver replace the region's overrides (tighter than the law, never looser).
"""

from __future__ import annotations

from dataclasses import asdict

from litestar import Controller, get, put
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.tendering import rules
from services.tendering.rules_schemas import Overrides, RuleOut, RulesOut


async def _view(session: AsyncSession, tenant: str) -> RulesOut:
    row = await rules.stored_overrides(session, tenant)
    overrides = dict(row.overrides) if row is not None else {}
    in_force = asdict(rules.merge(overrides))
    national = asdict(rules.NATIONAL)
    return RulesOut(
        tenant=tenant,
        rules=[
            RuleOut(
                rule=name,
                kind=info.kind,
                unit=info.unit,
                national=rules.to_json(national[name]),
                value=rules.to_json(in_force[name]),
                tightened=in_force[name] != national[name],
                source=info.source,
                description=info.description,
            )
            for name, info in rules.RULES.items()
        ],
        overrides=overrides,
        updated_at=row.updated_at if row is not None else None,
        updated_by=row.updated_by if row is not None else None,
    )


class TenderingRulesController(Controller):
    path = f"{TENANT_PATH}/tendering-rules"
    tags = ["tendering"]

    @get("/", opt={"permission": "tendering_rules:read"})
    async def read(self, session: Session, actor: CurrentActor) -> RulesOut:
        """The legal rules in force here: each with the national default and its source."""
        return await _view(session, actor.tenant)

    @put("/", opt={"permission": "tendering_rules:write"})
    async def replace(
        self, session: Session, actor: CurrentActor, data: JSONBody[Overrides]
    ) -> RulesOut:
        """Replace the region's overrides as a whole; each may only tighten the law."""
        await rules.set_overrides(session, actor, dict(data))
        return await _view(session, actor.tenant)
