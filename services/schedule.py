"""What the chronograph runs, and how often."""

from __future__ import annotations

from datetime import timedelta

from services.documents import tasks as documents_tasks
from services.identity import tasks as identity_tasks
from services.kit.chronograph import every
from services.operations.tasks import PURGE_DELIVERED
from services.tendering.scheduling import SWEEP as TENDERING_SWEEP


def register() -> None:
    every(identity_tasks.PURGE_LOGIN_FAILURES, timedelta(minutes=10))
    every(identity_tasks.PURGE_REFRESH_TOKENS, timedelta(days=1))
    # Each seal has its own delayed opening job; this catches any that went missing.
    every(documents_tasks.SWEEP_SEALS, timedelta(minutes=1))
    # Openings whose job went missing, awards past their challenge period, late buyers.
    every(TENDERING_SWEEP, timedelta(minutes=1))
    # Delivered outbox rows and old processed keys (see services.operations.tasks).
    every(PURGE_DELIVERED, timedelta(hours=1))
