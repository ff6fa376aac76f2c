"""Every context's job modules, imported for their registrations."""

from services.credit import tasks as credit_tasks
from services.documents import tasks as documents_tasks
from services.identity import tasks as identity_tasks
from services.notifications import tasks as notifications_tasks
from services.operations import tasks as operations_tasks
from services.tendering import tasks as tendering_tasks

__all__ = [
    "credit_tasks",
    "documents_tasks",
    "identity_tasks",
    "notifications_tasks",
    "operations_tasks",
    "tendering_tasks",
]
