"""HTTP routes of acceptances (结项验收): a contract's rounds under
``/v1/tenants/{tenant}/contracts/{contract_id}/acceptances``, one acceptance under
``/v1/tenants/{tenant}/acceptances/{acceptance_id}``.

Civil affairs plans, seats the panel and concludes; its approver signs the report for the
buyer, the provider's administrator for the provider. A panel member who is not a government
user holds ``acceptance_member`` on that one acceptance: the routes that take it name the
acceptance in the path (``opt["object"]``), so it reaches that acceptance and nothing else.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, JSONBody

from services.delivery import acceptance_attachments as _attachments  # noqa: F401  (registers the kind)
from services.delivery import (
    acceptance_conclusion,
    acceptance_panel,
    acceptance_signing,
    acceptance_views,
    acceptances,
)
from services.delivery.acceptance_schemas import (
    AcceptanceOut,
    ConclusionIn,
    MemberIn,
    MemberOut,
    OpinionIn,
    PanelOut,
    Party,
    PlanIn,
    SignatureIn,
)
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.settings import Settings

ONE = "/{acceptance_id:uuid}"
ON_ACCEPTANCE = ("acceptance", "acceptance_id")


class ContractAcceptanceController(Controller):
    path = f"{TENANT_PATH}/contracts/{{contract_id:uuid}}/acceptances"
    tags = ["acceptance"]

    @post("/", opt={"permission": "acceptance:write"}, status_code=201)
    async def plan(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[PlanIn],
    ) -> AcceptanceOut:
        """The plan of the signed contract's next acceptance round (验收方案): the contract's
        targets and quality requirements are its standards; the buyer may add standards, the
        method and the day. A re-acceptance follows a failed round once every rectification
        it ordered is closed."""
        made = await acceptances.plan(session, actor, contract_id, data)
        return await acceptance_views.acceptance(session, made, actor.user_id)

    @get("/", opt={"permission": "acceptance:read"})
    async def list_rounds(
        self, session: Session, actor: CurrentActor, contract_id: FromPath[uuid.UUID]
    ) -> list[AcceptanceOut]:
        """The contract's acceptance rounds, first first (a provider: its own contracts)."""
        rows = await acceptances.of_contract(session, actor, contract_id)
        return [await acceptance_views.acceptance(session, a, actor.user_id) for a in rows]


class AcceptanceController(Controller):
    path = f"{TENANT_PATH}/acceptances"
    tags = ["acceptance"]

    @get(ONE, opt={"permission": "acceptance:read", "object": ON_ACCEPTANCE})
    async def read(
        self, session: Session, actor: CurrentActor, acceptance_id: FromPath[uuid.UUID]
    ) -> AcceptanceOut:
        """An acceptance: its standards, the panel by role (counts), the tallies of the
        opinions, the conclusion, the signatures; a member's own opinion."""
        found = await acceptances.get(session, actor, acceptance_id)
        return await acceptance_views.acceptance(session, found, actor.user_id)

    @get(f"{ONE}/panel", opt={"permission": "acceptance:write"})
    async def panel(
        self, session: Session, actor: CurrentActor, acceptance_id: FromPath[uuid.UUID]
    ) -> PanelOut:
        """The panel by role and name with each member's opinion, for the buyer only; each
        read is recorded in the audit chain."""
        found, seated, recorded = await acceptance_panel.read_panel(session, actor, acceptance_id)
        return acceptance_views.panel(found, seated, recorded)

    @post(f"{ONE}/panel", opt={"permission": "acceptance:write"}, status_code=201)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        acceptance_id: FromPath[uuid.UUID],
        data: JSONBody[MemberIn],
    ) -> MemberOut:
        """Seat a member: a civil-affairs user of the region as the buyer's representative,
        or a service-recipient representative or third-party member by login and name — an
        existing account is reused; a new one is opened, scoped to this acceptance, and its
        one-time password is in this answer only."""
        settings: Settings = request.app.state.settings
        member, password = await acceptance_panel.add_member(
            session, settings, actor, acceptance_id, data
        )
        return acceptance_views.member_out(member, recorded=False, one_time_password=password)

    @delete(f"{ONE}/panel/{{user_id:uuid}}", opt={"permission": "acceptance:write"})
    async def remove_member(
        self,
        session: Session,
        actor: CurrentActor,
        acceptance_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
    ) -> None:
        """Unseat a member before the conclusion: their opinion goes, and an account scoped
        to this acceptance loses its way in."""
        await acceptance_panel.remove_member(session, actor, acceptance_id, user_id)

    @put(
        f"{ONE}/opinion",
        opt={"permission": "acceptance:opine", "object": ON_ACCEPTANCE},
        status_code=200,
    )
    async def opine(
        self,
        session: Session,
        actor: CurrentActor,
        acceptance_id: FromPath[uuid.UUID],
        data: JSONBody[OpinionIn],
    ) -> AcceptanceOut:
        """A panel member records (or, before the conclusion, replaces) their opinion: pass
        or fail and a score 0–100 for every standard, with comments."""
        found, _ = await acceptance_panel.record_opinion(session, actor, acceptance_id, data)
        return await acceptance_views.acceptance(session, found, actor.user_id)

    @post(f"{ONE}/conclusion", opt={"permission": "acceptance:write"}, status_code=200)
    async def conclude(
        self,
        session: Session,
        actor: CurrentActor,
        acceptance_id: FromPath[uuid.UUID],
        data: JSONBody[ConclusionIn],
    ) -> AcceptanceOut:
        """The buyer's conclusion, once every member recorded (a buyer's representative, a
        service-recipient representative and a third-party member among them): pass or fail
        against every standard with reasons — the content of the report (验收书)."""
        found = await acceptance_conclusion.conclude(session, actor, acceptance_id, data)
        return await acceptance_views.acceptance(session, found, actor.user_id)

    @post(f"{ONE}/signatures/buyer", opt={"permission": "acceptance:sign"}, status_code=200)
    async def sign_as_buyer(
        self,
        session: Session,
        actor: CurrentActor,
        acceptance_id: FromPath[uuid.UUID],
        data: JSONBody[SignatureIn],
    ) -> AcceptanceOut:
        """Civil affairs' approver accepts the report document's current version by its
        SHA-256. With the provider's signature of the same version the report takes effect:
        published; a pass releases the final instalment and completes the project, a fail
        orders the rectifications."""
        found = await acceptance_signing.sign(session, actor, acceptance_id, Party.buyer, data)
        return await acceptance_views.acceptance(session, found, actor.user_id)

    @post(f"{ONE}/signatures/provider", opt={"permission": "acceptance:sign_own"}, status_code=200)
    async def sign_as_provider(
        self,
        session: Session,
        actor: CurrentActor,
        acceptance_id: FromPath[uuid.UUID],
        data: JSONBody[SignatureIn],
    ) -> AcceptanceOut:
        """The provider's administrator accepts the report document's current version by
        its SHA-256 (its own contracts' acceptances only)."""
        found = await acceptance_signing.sign(session, actor, acceptance_id, Party.provider, data)
        return await acceptance_views.acceptance(session, found, actor.user_id)
