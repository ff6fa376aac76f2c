"""The progress reports' refusals."""

from __future__ import annotations

from services.kit.errors import Conflict


class ContractNotSigned(Conflict):
    code = "contract_not_signed"
    title = "Only a signed contract has a reporting schedule"


class NoSchedule(Conflict):
    code = "report_schedule_missing"
    title = "Civil affairs has not set the contract's reporting schedule"


class ScheduleHasReports(Conflict):
    code = "report_schedule_has_reports"
    title = "A reported period cannot change"


class ReportExists(Conflict):
    code = "report_exists"
    title = "The period has a report already"


class WrongReportState(Conflict):
    code = "report_wrong_state"
    title = "The report is not at this step"
