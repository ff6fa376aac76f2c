"""HTTP routes of a region's contracts, under ``/v1/tenants/{tenant}/contracts``, and a
provider's own contracts in every region at ``/v1/me/contracts``.

Civil affairs drafts (the officer and the approver); finance reads.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody

from services.contracts import attachments as _attachments  # noqa: F401  (registers document checks)
from services.contracts import drafting, repository, views
from services.contracts.schemas import ContractOut, ContractTerms
from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page

ONE = "/{contract_id:uuid}"


class ContractController(Controller):
    path = f"{TENANT_PATH}/contracts"
    tags = ["contracts"]

    @get("/", opt={"permission": "contract:read"})
    async def list_contracts(
        self,
        session: Session,
        actor: CurrentActor,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[ContractOut]:
        """The region's contracts, newest first: each drafted from an award notice."""
        rows = await repository.contracts(session, actor.tenant, limit=limit, offset=offset)
        return Page(
            items=[await views.contract(session, c) for c in rows], limit=limit, offset=offset
        )

    @get(ONE, opt={"permission": "contract:read"})
    async def read(
        self, session: Session, actor: CurrentActor, contract_id: FromPath[uuid.UUID]
    ) -> ContractOut:
        """A contract with its payment schedule and the last moment to sign it."""
        contract = await repository.contract(session, actor.tenant, contract_id)
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
