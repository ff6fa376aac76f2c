"""Bodies of the statistics API. Money is 元 as a decimal string; shares are fractions."""

from __future__ import annotations

import uuid

import msgspec


class Count(msgspec.Struct):
    """A count of people served; null and ``suppressed`` where it is small enough to point at
    somebody (a county's or street's figure below the threshold)."""

    value: int | None
    suppressed: bool = False


class ProcurementsOut(msgspec.Struct):
    total: int
    by_method: dict[str, int]
    failed: int
    reviewed: int
    open_tender_share: float | None
    failed_share: float | None
    average_valid_bids: float | None
    single_valid_bid_share: float | None


class AwardsOut(msgspec.Struct):
    budget_awarded: str
    awarded_value: str
    savings: str
    savings_rate: float | None


class ContractsOut(msgspec.Struct):
    count: int
    contracted_value: str
    paid: str
    disbursement_rate: float | None


class ServiceOut(msgspec.Struct):
    people_served: Count
    people_served_by_target_group: dict[str, Count]
    service_hours: str
    service_hours_by_staff_level: dict[str, str]


class QualityOut(msgspec.Struct):
    acceptances_passed: int
    acceptances_failed: int
    acceptance_pass_rate: float | None
    evaluation_grades: dict[str, int]


class ProvidersOut(msgspec.Struct):
    """Distinct providers contracted with in the year (the quarter and programme area filters
    do not apply), by kind from the USCC; ``cross_region``: those in more than one of the
    scope's regions."""

    by_kind: dict[str, int]
    cross_region: int


class StatisticsOut(msgspec.Struct):
    scope: str  # a division code, or "national"
    level: str  # national | province | city | county
    year: int
    quarter: int | None
    programme_area: str | None
    budget_approved: str
    budget_by_funding_source: dict[str, str]
    procurements: ProcurementsOut
    awards: AwardsOut
    contracts: ContractsOut
    service: ServiceOut
    quality: QualityOut
    providers: ProvidersOut
    # Confirmed disqualifications recorded by the scope's regions, in force in the year.
    bars_in_force: dict[str, int]


class RowOut(msgspec.Struct):
    kind: str
    id: uuid.UUID
    title: str
    dimension: str
    quarter: int
    programme_area: str
    value: str
