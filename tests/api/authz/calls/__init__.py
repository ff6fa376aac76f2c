"""One call per route, a module per context; importing the package fills the table."""

from tests.api.authz.calls import (
    accounts,
    archive,
    contracts,
    credit,
    delivery_acceptance,
    delivery_evaluation,
    delivery_inspections,
    delivery_reports,
    documents,
    holiday_calendars,
    notifications,
    planning,
    tendering,
    tendering_review,
)

__all__ = [
    "accounts",
    "archive",
    "contracts",
    "credit",
    "delivery_acceptance",
    "delivery_evaluation",
    "delivery_inspections",
    "delivery_reports",
    "documents",
    "holiday_calendars",
    "notifications",
    "planning",
    "tendering",
    "tendering_review",
]
