"""HTTP routes of payments (拨付): a region's payment setting at
``/v1/tenants/{tenant}/payment-settings`` and a contract's payments at
``/v1/tenants/{tenant}/contracts/{contract_id}/payments``.

Finance's approver sets how the region pays; civil affairs and finance read it. The contract's
provider (its administrator) asks for an instalment; civil affairs confirms or returns; where
finance approves, finance approves or returns; the payment is recorded as paid. Civil affairs,
finance and the contract's own provider read the payments; another provider finds nothing.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from services.contracts import payment_settings, payment_steps, payment_views, payments
from services.contracts.schemas import (
    PaidIn,
    PaymentNoteIn,
    PaymentOut,
    PaymentRequestIn,
    PaymentReturnIn,
    PaymentSettingIn,
    PaymentSettingOut,
    PaymentsOut,
)
from services.kit.guard import TENANT_PATH, CurrentActor, Session

ONE = "/{payment_id:uuid}"


class PaymentSettingController(Controller):
    path = f"{TENANT_PATH}/payment-settings"
    tags = ["contracts"]

    @get("/", opt={"permission": "payment_setting:read"})
    async def read(self, session: Session, actor: CurrentActor) -> PaymentSettingOut:
        """How the region pays instalments (``treasury``: 国库集中支付, the default;
        ``finance_approval``: finance approves each) and the days to pay after the
        deliverables are confirmed (30 by default, at most 60)."""
        return await payment_settings.view(session, actor.tenant)

    @put("/", opt={"permission": "payment_setting:write"})
    async def replace(
        self, session: Session, actor: CurrentActor, data: JSONBody[PaymentSettingIn]
    ) -> PaymentSettingOut:
        """Finance sets the mode and the payment days (保障中小企业款项支付条例 art. 8: at
        most 60). Requests already filed keep the mode they were filed under."""
        return await payment_settings.replace(session, actor, data)


class ContractPaymentController(Controller):
    path = f"{TENANT_PATH}/contracts/{{contract_id:uuid}}/payments"
    tags = ["contracts"]

    @get("/", opt={"permission": "contract_payment:read"})
    async def list_payments(
        self, session: Session, actor: CurrentActor, contract_id: FromPath[uuid.UUID]
    ) -> PaymentsOut:
        """The contract's money: price, requested, confirmed, paid, due and remaining, per
        instalment and per payment with who did what when, its last day to pay and its
        funding sources."""
        contract = await payments.reachable(session, actor, contract_id)
        return await payment_views.of_contract(session, contract)

    @post("/", opt={"permission": "contract_payment:request"}, status_code=201)
    async def request(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[PaymentRequestIn],
    ) -> PaymentOut:
        """The provider asks for (part of) an instalment of its signed contract, with the
        evidence it attached to the contract; never more than is left of the instalment."""
        contract, made = await payments.request(session, actor, contract_id, data)
        return await payment_views.one(session, contract, made)

    @post(f"{ONE}/confirmation", opt={"permission": "contract_payment:confirm"}, status_code=200)
    async def confirm(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        payment_id: FromPath[uuid.UUID],
        data: JSONBody[PaymentNoteIn],
    ) -> PaymentOut:
        """Civil affairs confirms the deliverables: the payment is due by the end of the
        region's payment days (the final instalment only after the acceptance)."""
        contract, done = await payment_steps.confirm(session, actor, contract_id, payment_id, data)
        return await payment_views.one(session, contract, done)

    @post(f"{ONE}/return", opt={"permission": "contract_payment:return"}, status_code=200)
    async def give_back(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        payment_id: FromPath[uuid.UUID],
        data: JSONBody[PaymentReturnIn],
    ) -> PaymentOut:
        """Return the request with reasons — civil affairs before confirming, finance a
        confirmed one where it approves; the amount may be asked for again."""
        contract, done = await payment_steps.give_back(
            session, actor, contract_id, payment_id, data
        )
        return await payment_views.one(session, contract, done)

    @post(f"{ONE}/approval", opt={"permission": "contract_payment:approve"}, status_code=200)
    async def approve(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        payment_id: FromPath[uuid.UUID],
        data: JSONBody[PaymentNoteIn],
    ) -> PaymentOut:
        """Finance approves a confirmed request (where the region's finance approves)."""
        contract, done = await payment_steps.approve(session, actor, contract_id, payment_id, data)
        return await payment_views.one(session, contract, done)

    @post(f"{ONE}/paid", opt={"permission": "contract_payment:pay"}, status_code=200)
    async def paid(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        payment_id: FromPath[uuid.UUID],
        data: JSONBody[PaidIn],
    ) -> PaymentOut:
        """Record the payment with its day and treasury voucher — civil affairs under
        国库集中支付, finance where it approves — split over the budget line's sources."""
        contract, done = await payment_steps.paid(session, actor, contract_id, payment_id, data)
        return await payment_views.one(session, contract, done)
