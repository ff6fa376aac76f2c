"""HTTP routes of a signed contract's amendments, under
``/v1/tenants/{tenant}/contracts/{contract_id}/amendments``.

Civil affairs drafts, revises and withdraws them; each side signs as it signs the contract
(the buyer's approver, the provider's administrator); civil affairs, finance and the
contract's own provider read them.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from services.contracts import amendment_repository, amendment_signing, amendment_views, amendments
from services.contracts.schemas import (
    AmendmentIn,
    AmendmentOut,
    AmendmentWithdrawalIn,
    Party,
    SignatureIn,
)
from services.kit.errors import NotFound
from services.kit.guard import TENANT_PATH, CurrentActor, Session

AMENDMENTS = "/{contract_id:uuid}/amendments"
ONE = f"{AMENDMENTS}/{{amendment_id:uuid}}"


class AmendmentController(Controller):
    path = f"{TENANT_PATH}/contracts"
    tags = ["contracts"]

    @get(AMENDMENTS, opt={"permission": "contract_amendment:read"})
    async def list_amendments(
        self, session: Session, actor: CurrentActor, contract_id: FromPath[uuid.UUID]
    ) -> list[AmendmentOut]:
        """The contract's amendments, oldest first, each with its versions and signatures."""
        contract = await amendments.for_reader(session, actor, contract_id)
        rows = await amendment_repository.of_contract(session, contract)
        return [await amendment_views.amendment(session, a) for a in rows]

    @post(AMENDMENTS, opt={"permission": "contract_amendment:write"}, status_code=201)
    async def draft(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[AmendmentIn],
    ) -> AmendmentOut:
        """Draft an amendment of a signed contract: a supplementary purchase of the same
        services on unchanged terms (all of them together at most 10 % of the original price,
        政府采购法 art. 49), or a change or a termination on a lawful ground (art. 50)."""
        made = await amendments.draft(session, actor, contract_id, data)
        return await amendment_views.amendment(session, made)

    @get(ONE, opt={"permission": "contract_amendment:read"})
    async def read(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        amendment_id: FromPath[uuid.UUID],
    ) -> AmendmentOut:
        """One amendment with every version and every signature."""
        contract = await amendments.for_reader(session, actor, contract_id)
        found = await amendment_repository.amendment(session, contract, amendment_id)
        if found is None:
            raise NotFound("No such amendment of this contract.")
        return await amendment_views.amendment(session, found)

    @put(ONE, opt={"permission": "contract_amendment:write"})
    async def revise(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        amendment_id: FromPath[uuid.UUID],
        data: JSONBody[AmendmentIn],
    ) -> AmendmentOut:
        """A new version of an amendment that has not taken effect (its kind stays); both
        sides sign the new version again."""
        revised = await amendments.revise(session, actor, contract_id, amendment_id, data)
        return await amendment_views.amendment(session, revised)

    @post(f"{ONE}/withdrawal", opt={"permission": "contract_amendment:write"}, status_code=200)
    async def withdraw(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        amendment_id: FromPath[uuid.UUID],
        data: JSONBody[AmendmentWithdrawalIn],
    ) -> AmendmentOut:
        """Withdraw an amendment that has not taken effect; it counts no more."""
        withdrawn = await amendments.withdraw(session, actor, contract_id, amendment_id, data)
        return await amendment_views.amendment(session, withdrawn)

    @post(f"{ONE}/signatures/buyer", opt={"permission": "contract:sign"}, status_code=200)
    async def sign_as_buyer(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        amendment_id: FromPath[uuid.UUID],
        data: JSONBody[SignatureIn],
    ) -> AmendmentOut:
        """The buyer's approver accepts the amendment document's current version by its
        SHA-256. When the provider accepted the same, the amendment takes effect and is
        published."""
        signed = await amendment_signing.sign(
            session, actor, contract_id, amendment_id, Party.buyer, data
        )
        return await amendment_views.amendment(session, signed)

    @post(f"{ONE}/signatures/provider", opt={"permission": "contract:sign_own"}, status_code=200)
    async def sign_as_provider(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        amendment_id: FromPath[uuid.UUID],
        data: JSONBody[SignatureIn],
    ) -> AmendmentOut:
        """The provider's administrator accepts the amendment document's current version by
        its SHA-256 (its own contracts only)."""
        signed = await amendment_signing.sign(
            session, actor, contract_id, amendment_id, Party.provider, data
        )
        return await amendment_views.amendment(session, signed)
