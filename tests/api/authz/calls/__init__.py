"""One call per route, a module per context; importing the package fills the table."""

from tests.api.authz.calls import (
    accounts,
    contracts,
    credit,
    delivery_acceptance,
    documents,
    notifications,
    planning,
    tendering,
)

__all__ = [
    "accounts",
    "contracts",
    "credit",
    "delivery_acceptance",
    "documents",
    "notifications",
    "planning",
    "tendering",
]
