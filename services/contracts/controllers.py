"""HTTP routes of a region's contracts, under ``/v1/tenants/{tenant}/contracts``, and a
provider's own contracts in every region at ``/v1/me/contracts``.

Civil affairs drafts (the officer and the approver); finance reads.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody

from services.contracts import attachments as _attachments  # noqa: F401  (registers document checks)
from services.contracts import (
    drafting,
    ending,
    publication,
    repository,
    security,
    signing,
    suspensions,
    views,
)
from services.contracts.schemas import (
    AwardEndIn,
    BuyerSuspensionIn,
    ContractOut,
    ContractTerms,
    FilingIn,
    FinanceSuspensionIn,
    LiftIn,
    Party,
    PublicationIn,
    SecurityReceivedIn,
    SecurityReturnedIn,
    SignatureIn,
    SigningOut,
    SuspensionOut,
)
from services.kit.audit import Actor
from services.kit.authz.enforcer import Authorizer
from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.planning import service as planning

ONE = "/{contract_id:uuid}"


async def _scope(
    request: Request[Any, Any, Any], session: Session, actor: Actor
) -> list[uuid.UUID] | None:
    """None for those who read every contract here; else a department's own projects."""
    authorizer: Authorizer = request.app.state.authorizer
    if authorizer.allowed(actor.user_id, actor.tenant, "contract:read_all"):
        return None
    return await planning.declared_projects(session, actor)


SUSPENSION = "/{suspension_id:uuid}"


class ContractController(Controller):
    path = f"{TENANT_PATH}/contracts"
    tags = ["contracts"]

    @get("/", opt={"permission": "contract:read"})
    async def list_contracts(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[ContractOut]:
        """The region's contracts, newest first: each drafted from an award notice. A partner
        department sees those of the projects its declarations fed."""
        projects = await _scope(request, session, actor)
        rows = await repository.contracts(
            session, actor.tenant, limit=limit, offset=offset, projects=projects
        )
        return Page(
            items=[await views.contract(session, c) for c in rows], limit=limit, offset=offset
        )

    @get(ONE, opt={"permission": "contract:read"})
    async def read(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
    ) -> ContractOut:
        """A contract with its payment schedule and the last moment to sign it."""
        projects = await _scope(request, session, actor)
        contract = await repository.contract(session, actor.tenant, contract_id, projects=projects)
        if contract is None:
            raise NotFound("No such contract.")
        return await views.contract(session, contract)

    @put(f"{ONE}/terms", opt={"permission": "contract:write"})
    async def set_terms(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[ContractTerms],
    ) -> ContractOut:
        """Set the draft's terms as the procurement documents and the winning bid set them:
        the instalments sum exactly to the price; the performance security is at most 10 % of
        it; a period over a year says why (a continuing service, its budget assured)."""
        contract = await drafting.set_terms(session, actor, contract_id, data)
        return await views.contract(session, contract)

    # --- signing ---

    @get(f"{ONE}/signing", opt={"permission": "contract:read_all"})
    async def signing(
        self, session: Session, actor: CurrentActor, contract_id: FromPath[uuid.UUID]
    ) -> SigningOut:
        """Before signing: the provider, its bars in force here today, challenges still open,
        suspensions in force, the signatures so far, and whether a signature is taken now."""
        return await signing.view(session, actor, contract_id)

    @post(f"{ONE}/signatures/buyer", opt={"permission": "contract:sign"}, status_code=200)
    async def sign_as_buyer(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[SignatureIn],
    ) -> ContractOut:
        """The buyer's approver accepts the contract document's current version by its
        SHA-256. When the provider accepted the same version, the contract is signed: the
        price stays committed on the budget line, the rest goes back."""
        contract = await signing.sign(session, actor, contract_id, Party.buyer, data)
        return await views.contract(session, contract)

    @post(f"{ONE}/signatures/provider", opt={"permission": "contract:sign_own"}, status_code=200)
    async def sign_as_provider(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[SignatureIn],
    ) -> ContractOut:
        """The provider's administrator accepts the contract document's current version by
        its SHA-256 (its own contracts only)."""
        contract = await signing.sign(session, actor, contract_id, Party.provider, data)
        return await views.contract(session, contract)

    @post(f"{ONE}/refusal", opt={"permission": "contract:sign"}, status_code=200)
    async def winner_refused(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[AwardEndIn],
    ) -> ContractOut:
        """The winner refused or failed to sign: finance is told; the next-ranked candidate
        is awarded (a new award notice, a new contract) or the purchase is procured again."""
        contract = await ending.winner_refused(session, actor, contract_id, data)
        return await views.contract(session, contract)

    @post(f"{ONE}/voiding", opt={"permission": "contract:void"}, status_code=200)
    async def finance_voided(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[AwardEndIn],
    ) -> ContractOut:
        """Finance decides, on a complaint, that the award may not be signed (94号令 art. 32)."""
        contract = await ending.finance_voided(session, actor, contract_id, data)
        return await views.contract(session, contract)

    # --- suspensions ---

    @post(f"{ONE}/suspensions", opt={"permission": "contract:suspend"}, status_code=201)
    async def suspend(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[BuyerSuspensionIn],
    ) -> SuspensionOut:
        """The buyer suspends signing (or performance) while a challenge that may change the
        result is open (实施条例 art. 54), naming the challenge where there is one."""
        made = await suspensions.suspend(
            session, actor, contract_id, Party.buyer, data.reason, challenge_id=data.challenge_id
        )
        return views.suspension(made, made.starts_at)

    @post(
        f"{ONE}/suspensions{SUSPENSION}/lift",
        opt={"permission": "contract:suspend"},
        status_code=200,
    )
    async def lift(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        suspension_id: FromPath[uuid.UUID],
        data: JSONBody[LiftIn],
    ) -> SuspensionOut:
        """The buyer lifts its suspension, once the challenge behind it is answered."""
        lifted = await suspensions.lift(
            session, actor, contract_id, suspension_id, Party.buyer, data.reason
        )
        return views.suspension(lifted, lifted.lifted_at or lifted.starts_at)

    @post(
        f"{ONE}/suspension-orders", opt={"permission": "contract:order_suspension"}, status_code=201
    )
    async def order_suspension(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[FinanceSuspensionIn],
    ) -> SuspensionOut:
        """Finance orders a suspension during a complaint, for at most 30 days (94号令 art. 28):
        it ends by itself at 24:00 of the last day."""
        made = await suspensions.suspend(
            session, actor, contract_id, Party.finance, data.reason, days=data.days
        )
        return views.suspension(made, made.starts_at)

    @post(
        f"{ONE}/suspension-orders{SUSPENSION}/lift",
        opt={"permission": "contract:order_suspension"},
        status_code=200,
    )
    async def lift_order(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        suspension_id: FromPath[uuid.UUID],
        data: JSONBody[LiftIn],
    ) -> SuspensionOut:
        """Finance lifts its order before its end."""
        lifted = await suspensions.lift(
            session, actor, contract_id, suspension_id, Party.finance, data.reason
        )
        return views.suspension(lifted, lifted.lifted_at or lifted.starts_at)

    # --- the performance security ---

    @post(f"{ONE}/performance-security", opt={"permission": "contract:write"}, status_code=200)
    async def security_received(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[SecurityReceivedIn],
    ) -> ContractOut:
        """Record the performance security the signed contract asks for, as received: its
        non-cash form (实施条例 art. 48), its reference and the day."""
        contract = await security.received(session, actor, contract_id, data)
        return await views.contract(session, contract)

    @post(
        f"{ONE}/performance-security/return", opt={"permission": "contract:write"}, status_code=200
    )
    async def security_returned(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[SecurityReturnedIn],
    ) -> ContractOut:
        """Record that the performance security went back, as the contract says it does."""
        contract = await security.returned(session, actor, contract_id, data)
        return await views.contract(session, contract)

    # --- publication and filing ---

    @post(f"{ONE}/publication", opt={"permission": "contract:publish"}, status_code=200)
    async def publish(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[PublicationIn],
    ) -> ContractOut:
        """Publish the signed contract's public notice (within 2 working days of signing):
        subject, provider, amount and period always; what is left out named with its ground."""
        contract = await publication.publish(session, actor, contract_id, data)
        return await views.contract(session, contract)

    @post(f"{ONE}/filing", opt={"permission": "contract:file"}, status_code=200)
    async def file(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[FilingIn],
    ) -> ContractOut:
        """Finance records the contract's filing (within 7 working days of signing)."""
        contract = await publication.file(session, actor, contract_id, data)
        return await views.contract(session, contract)


class MyContractsController(Controller):
    path = "/v1/me/contracts"
    tags = ["contracts"]

    @get("/", opt={"permission": "contract:read_own"})
    async def list(self, session: Session, actor: CurrentActor) -> list[ContractOut]:
        """The provider's contracts in every region, newest first, with their schedules."""
        if actor.provider_id is None:
            raise NotFound("You do not act for a provider.")
        rows = await repository.of_provider(session, actor.provider_id)
        return [await views.contract(session, c) for c in rows]
