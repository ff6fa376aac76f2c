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
