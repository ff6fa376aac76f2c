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
    expert_library,
    notifications,
    planning,
    tendering,
    tendering_credit,
    tendering_review,
    tendering_selection,
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
    "expert_library",
    "notifications",
    "planning",
    "tendering",
    "tendering_credit",
    "tendering_review",
    "tendering_selection",
]
