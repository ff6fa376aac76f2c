"""Contracts' deadlines counted again once a year's holidays are entered (the recount job of
``tenancy.holidays`` calls :func:`recount_year` in each region).

Recounted, each computed by a rule and stored:

- ``sign_by``: 30 days after the award notice, off a rest day (政府采购法 art. 46), while the
  contract is not signed;
- ``publish_by`` and ``file_by``: N working days after the signing (实施条例 art. 50,
  政府采购法 art. 47), while not yet published, filed;
- a payment's ``pay_by``: the region's payment days after civil affairs confirmed the
  deliverables, off a rest day, while it is not paid.

None of them is typed in by a user. A deadline moves only while it is still what its rule gave
before the entry (``kit.recount``): one set otherwise, or already recounted, stays. A moved
deadline is audited and told to whoever acts on it: both sides for ``sign_by``, civil affairs
for ``publish_by``/``file_by``, civil affairs (and finance when it approves payments) for
``pay_by``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import events, payment_settings, telling
from services.contracts.models import Contract
from services.contracts.payment_models import Payment
from services.contracts.schemas import ENDED, PaymentMode, PaymentStatus
from services.contracts.signing import FILE_WORKING_DAYS, PUBLISH_WORKING_DAYS
from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.recount import changes_text, recounted
from services.tenancy import service as tenancy
from services.tendering import service as tendering

Moves = dict[str, tuple[datetime, datetime]]
OWED = (PaymentStatus.confirmed.value, PaymentStatus.approved.value)


async def recount_year(
    session: AsyncSession, actor: Actor, year: int, previous: workdays.YearArrangement | None
) -> None:
    """Count again the deadlines of the region's live contracts (the session bound to it)."""
    contracts = await session.scalars(
        select(Contract)
        .where(
            Contract.tenant_id == actor.tenant,
            Contract.status.not_in([status.value for status in ENDED]),
        )
        .order_by(Contract.created_at, Contract.id)
        .with_for_update()
    )
    sign_rule = await tendering.contract_sign_rule(session, actor.tenant)
    payment_days = (await payment_settings.terms(session, actor.tenant)).payment_days
    for contract in list(contracts):
        moves: Moves = {}
        for name, rule in _rules(contract, sign_rule).items():
            stored = getattr(contract, name)
            now = recounted(stored, rule, year, previous)
            if now is not None:
                setattr(contract, name, now)
                moves[name] = (stored, now)
        if moves:
            await session.flush()
            await _tell(session, actor, contract, year, moves, _parties(moves))
        await _recount_payments(session, actor, contract, payment_days, year, previous)


def _rules(
    contract: Contract, sign_rule: Callable[[datetime], datetime]
) -> dict[str, Callable[[], datetime]]:
    """The contract's deadlines still ahead of someone, each with the rule that gave it."""
    rules: dict[str, Callable[[], datetime]] = {}
    award_notice_at, signed_at = contract.award_notice_at, contract.signed_at
    if signed_at is None:
        rules["sign_by"] = lambda: sign_rule(award_notice_at)
        return rules
    if contract.published_at is None:
        rules["publish_by"] = lambda: workdays.end_of_nth_working_day(
            signed_at, PUBLISH_WORKING_DAYS
        )
    if contract.filed_at is None:
        rules["file_by"] = lambda: workdays.end_of_nth_working_day(signed_at, FILE_WORKING_DAYS)
    return rules


def _parties(moves: Moves) -> tuple[tuple[Role, ...], bool]:
    """Who acts on the moved deadlines: both sides sign; the buyer publishes and files."""
    return telling.CIVIL_AFFAIRS, "sign_by" in moves


async def _recount_payments(
    session: AsyncSession,
    actor: Actor,
    contract: Contract,
    payment_days: int,
    year: int,
    previous: workdays.YearArrangement | None,
) -> None:
    owed = await session.scalars(
        select(Payment)
        .where(
            Payment.tenant_id == contract.tenant_id,
            Payment.contract_id == contract.id,
            Payment.status.in_(OWED),
            Payment.pay_by.is_not(None),
        )
        .order_by(Payment.instalment_seq, Payment.id)
        .with_for_update()
    )
    for payment in list(owed):
        confirmed_at, stored = payment.confirmed_at, payment.pay_by
        if confirmed_at is None or stored is None:
            continue
        now = recounted(
            stored,
            partial(workdays.calendar_deadline, confirmed_at, payment_days),
            year,
            previous,
        )
        if now is None:
            continue
        payment.pay_by = now
        await session.flush()
        roles: tuple[Role, ...] = telling.CIVIL_AFFAIRS
        if payment.mode == PaymentMode.finance_approval.value:
            roles += telling.FINANCE
        await _tell(
            session,
            actor,
            contract,
            year,
            {f"pay_by（第{payment.instalment_seq}期）": (stored, now)},
            (roles, False),
            payment_id=str(payment.id),
        )


async def _tell(
    session: AsyncSession,
    actor: Actor,
    contract: Contract,
    year: int,
    moves: Moves,
    parties: tuple[tuple[Role, ...], bool],
    payment_id: str | None = None,
) -> None:
    await record(
        session,
        actor,
        "contract.deadlines_recomputed",
        "contract_payment" if payment_id else "contract",
        payment_id or contract.id,
        before={"year": year, **{name: was for name, (was, _) in moves.items()}},
        after={"year": year, **{name: now for name, (_, now) in moves.items()}},
    )
    roles, provider = parties
    await telling.tell(
        session,
        actor,
        contract,
        events.DEADLINES_RECOMPUTED,
        roles=roles,
        provider=provider,
        extra={"year": year, "changes": changes_text(moves)},
    )


tenancy.register_calendar_listener(recount_year)
