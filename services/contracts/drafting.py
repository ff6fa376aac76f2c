"""Drafting a contract from the award, and setting its terms.

Tendering tells of an award notice through an outbox job (``tendering.service.AWARD_NOTIFIED``),
which contracts handles;
the draft takes the winner, the awarded price (never the budget) and the procurement's money
from ``tendering.service``, and the 30 days to sign from the award notice. The buyer then sets
the terms: scope, quality, breach liability, the service period, the payment schedule (which
sums exactly to the price) and the performance security (实施条例 art. 48: at most 10 % of the
price, never in cash).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import repository
from services.contracts.errors import NotDrafting, PeriodTooLong, ScheduleDoesNotSum
from services.contracts.models import Contract, Instalment, YearShare
from services.contracts.schemas import ContractStatus, ContractTerms
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.money import money, text
from services.planning import service as planning
from services.tenancy import service as tenancy
from services.tendering import service as tendering

log = structlog.get_logger(__name__)
# Generally one year (a year and a day, so that a leap year fits); up to three for a continuing
# service whose budget is assured, with the reason recorded.
ONE_YEAR_DAYS = 366
THREE_YEARS_DAYS = 3 * 366


async def draft_from_award(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> Contract | None:
    """The contract of this award, drafted once: the same notice again (a replayed message)
    finds it. A new award notice of the same procurement (after an upheld challenge, with a
    new result) drafts it anew while it is not signed; the schedule and the security, set
    against the old price, are cleared. None when the award was withdrawn before this ran."""
    try:
        award = await tendering.notified_award(session, actor.tenant, procurement_id)
    except tendering.WrongState:
        log.info("contract_award_withdrawn", procurement_id=str(procurement_id))
        return None  # a new result brings a new notice, and this job again
    assert award.award_notice_at is not None and award.sign_by is not None
    contract = await repository.of_procurement(session, actor.tenant, procurement_id, lock=True)
    if contract is not None and contract.award_notice_at == award.award_notice_at:
        return contract
    if contract is not None and contract.status not in (
        ContractStatus.drafting,
        ContractStatus.signing,
    ):
        log.warning("contract_award_changed_after_signing", contract_id=str(contract.id))
        return contract
    # Read before the new row is added: a query would flush it half-filled.
    scope = await planning.project_scope(session, actor.tenant, award.project_id)
    buyer = await tenancy.buying_organisation(session, actor.tenant)
    region = await tenancy.get_tenant(session, actor.tenant)
    provider = await tenancy.get_provider(session, award.provider_id)
    action = "contract.drafted"
    if contract is None:
        contract = Contract(
            tenant_id=actor.tenant,
            id=uuid.uuid4(),
            procurement_id=award.procurement_id,
            status=ContractStatus.drafting.value,
            subcontracting_allowed=False,
        )
        session.add(contract)
    else:
        # Signatures given before the new notice stay on record and count no more.
        action = "contract.redrafted"
        contract.status = ContractStatus.drafting.value
        await _clear_schedule(session, contract)
        contract.performance_security = None
    contract.ocid = award.ocid
    contract.title = award.title
    contract.provider_id = award.provider_id
    contract.project_id = award.project_id
    contract.budget_line_id = award.budget_line_id
    contract.commitment_id = award.commitment_id
    contract.price = award.price
    contract.buyer_organisation_id = buyer.id if buyer else None
    contract.buyer_name = buyer.name if buyer else f"{region.name}民政部门"
    contract.provider_name = provider.name
    contract.provider_uscc = provider.uscc
    contract.county_code = scope.county_code
    contract.target_groups = scope.target_groups
    contract.beneficiaries = scope.beneficiaries
    contract.targets = scope.targets
    contract.award_notice_at = award.award_notice_at
    contract.sign_by = award.sign_by
    contract.updated_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        action,
        "contract",
        contract.id,
        after={
            "procurement_id": procurement_id,
            "provider_id": award.provider_id,
            "price": text(award.price),
        },
    )
    return contract


async def _clear_schedule(session: AsyncSession, contract: Contract) -> None:
    for table in (Instalment, YearShare):
        await session.execute(
            delete(table).where(
                table.tenant_id == contract.tenant_id, table.contract_id == contract.id
            )
        )


async def set_terms(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, terms: ContractTerms
) -> Contract:
    contract = await repository.contract(session, actor.tenant, contract_id, lock=True)
    if contract is None:
        raise NotFound("No such contract.")
    if contract.status != ContractStatus.drafting:
        raise NotDrafting("Only a contract being drafted takes new terms.")
    _check_period(terms)
    _check_schedule(terms, contract)
    line = await planning.get_line(session, actor.tenant, contract.budget_line_id)
    shares = _year_shares(terms, contract, line.budget.fiscal_year)
    security = money(terms.performance_security) if terms.performance_security else None
    if security is not None:
        await tendering.check_performance_security(
            session, actor.tenant, security, contract.price, "performance_security"
        )
    contract.scope = terms.scope
    contract.quality_requirements = terms.quality_requirements
    contract.breach_liability = terms.breach_liability
    contract.period_start = terms.period_start
    contract.period_end = terms.period_end
    contract.continuing_service_reason = terms.continuing_service_reason
    contract.performance_security = security
    contract.subcontracting_allowed = terms.subcontracting_allowed
    contract.security_return_terms = terms.security_return_terms
    contract.updated_at = datetime.now(UTC)
    contract.updated_by = actor.user_id
    await _clear_schedule(session, contract)
    for fiscal_year, amount in shares.items():
        session.add(
            YearShare(
                tenant_id=contract.tenant_id,
                contract_id=contract.id,
                fiscal_year=fiscal_year,
                amount=amount,
            )
        )
    for seq, instalment in enumerate(terms.instalments, start=1):
        session.add(
            Instalment(
                tenant_id=contract.tenant_id,
                contract_id=contract.id,
                seq=seq,
                milestone=instalment.milestone,
                amount=money(instalment.amount),
                due_on=instalment.due_on,
                final=instalment.final,
            )
        )
    await session.flush()
    await record(
        session,
        actor,
        "contract.terms_set",
        "contract",
        contract.id,
        after={
            "period": [terms.period_start, terms.period_end],
            "instalments": [[i.milestone, i.amount, i.due_on] for i in terms.instalments],
            "performance_security": terms.performance_security,
            "year_shares": {str(year): text(amount) for year, amount in shares.items()},
        },
    )
    return contract


def _check_period(terms: ContractTerms) -> None:
    days = (terms.period_end - terms.period_start).days
    if days <= 0:
        raise InvalidField("must come after period_start", field="period_end")
    if days > THREE_YEARS_DAYS:
        raise PeriodTooLong("A service period is at most three years.", field="period_end")
    if days > ONE_YEAR_DAYS and not terms.continuing_service_reason:
        raise PeriodTooLong(
            "A period over a year is for a continuing service whose budget is assured: say why.",
            field="continuing_service_reason",
        )


def _check_schedule(terms: ContractTerms, contract: Contract) -> None:
    total = sum((money(i.amount) for i in terms.instalments), start=money("0"))
    if total != contract.price:
        raise ScheduleDoesNotSum(
            f"The instalments sum to {text(total)}, the price is {text(contract.price)}.",
            field="instalments",
        )
    finals = [i for i, instalment in enumerate(terms.instalments) if instalment.final]
    if len(finals) > 1:
        raise InvalidField("at most one instalment is the final one", field="instalments")
    if finals and any(
        other.due_on > terms.instalments[finals[0]].due_on for other in terms.instalments
    ):
        raise InvalidField("the final instalment is the last one due", field="instalments")
    for i, instalment in enumerate(terms.instalments):
        if money(instalment.amount) <= 0:
            raise InvalidField("must be more than 0", field=f"instalments[{i}].amount")


def _year_shares(terms: ContractTerms, contract: Contract, line_year: int) -> dict[int, Decimal]:
    """Each fiscal year's share of the price (the fiscal year is the calendar year). A period
    within one year is that year's, whole; one running into later years names every year of
    the period, from the year of the budget line the procurement was funded from, summing to
    the price — each later year is committed against that year's approved line at signing."""
    years = list(range(terms.period_start.year, terms.period_end.year + 1))
    if not terms.year_shares:
        if len(years) > 1:
            raise InvalidField(
                f"the period runs over {years[0]}–{years[-1]}: give each year's share",
                field="year_shares",
            )
        return {years[0]: contract.price}
    shares: dict[int, Decimal] = {}
    for i, share in enumerate(terms.year_shares):
        if share.fiscal_year in shares:
            raise InvalidField("one share per year", field=f"year_shares[{i}].fiscal_year")
        amount = money(share.amount)
        if amount <= 0:
            raise InvalidField("must be more than 0", field=f"year_shares[{i}].amount")
        shares[share.fiscal_year] = amount
    if sorted(shares) != years:
        raise InvalidField(
            f"the shares are for {sorted(shares)}, the period's years are {years}",
            field="year_shares",
        )
    if years[0] != line_year:
        raise InvalidField(
            f"the period starts in {years[0]}; the procurement was funded from {line_year}'s "
            "budget",
            field="period_start",
        )
    total = sum(shares.values(), start=money("0"))
    if total != contract.price:
        raise ScheduleDoesNotSum(
            f"The year shares sum to {text(total)}, the price is {text(contract.price)}.",
            field="year_shares",
        )
    return shares
