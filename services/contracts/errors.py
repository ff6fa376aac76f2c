"""The contracts context's refusals."""

from __future__ import annotations

from services.kit.errors import Conflict, InvalidField


class ScheduleDoesNotSum(InvalidField):
    code = "schedule_does_not_sum"
    title = "The instalments do not sum to the price"


class PeriodTooLong(InvalidField):
    code = "period_too_long"
    title = "The service period is longer than the law allows"


class NotDrafting(Conflict):
    code = "contract_not_drafting"
    title = "The contract's terms can no longer change"


class NotSignable(Conflict):
    code = "contract_not_signable"
    title = "The contract cannot be signed now"


class ContractSuspended(Conflict):
    code = "contract_suspended"
    title = "The contract is suspended"


class AwardChanged(Conflict):
    code = "award_changed"
    title = "The award this contract was drafted from no longer stands"


class DocumentChanged(Conflict):
    code = "document_changed"
    title = "The document is not the version you read"


class AlreadySigned(Conflict):
    code = "already_signed"
    title = "Your side has signed this version already"


class ChallengeStillOpen(Conflict):
    code = "challenge_still_open"
    title = "The challenge behind the suspension is not answered yet"


class YearNotBudgeted(Conflict):
    code = "year_not_budgeted"
    title = "A fiscal year of the contract has no approved budget line"


class SupplementaryOverLimit(InvalidField):
    code = "supplementary_over_limit"
    title = "Supplementary purchases would pass the share of the original price allowed"


class ContractNotInForce(Conflict):
    code = "contract_not_in_force"
    title = "Only a signed contract in force is amended"


class AmendmentClosed(Conflict):
    code = "amendment_closed"
    title = "The amendment took effect or was withdrawn"
