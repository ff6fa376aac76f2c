"""Every context's tables, imported once so that Alembic and the tests see one metadata."""

from services.credit import models as credit_models
from services.documents import models as documents_models
from services.identity import models as identity_models
from services.kit import audit, chronograph, jobs, outbox
from services.kit.db import Base
from services.notifications import models as notifications_models
from services.planning import models as planning_models
from services.tenancy import models as tenancy_models
from services.tendering import models as tendering_models
from services.tendering import rules_models as tendering_rules_models

metadata = Base.metadata
__all__ = [
    "audit",
    "chronograph",
    "credit_models",
    "documents_models",
    "identity_models",
    "jobs",
    "metadata",
    "notifications_models",
    "outbox",
    "planning_models",
    "tenancy_models",
    "tendering_models",
    "tendering_rules_models",
]
