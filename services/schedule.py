"""What the chronograph runs, and how often."""

from __future__ import annotations

from datetime import timedelta

from services.identity import tasks as identity_tasks
from services.kit.chronograph import every


def register() -> None:
    every(identity_tasks.PURGE_LOGIN_FAILURES, timedelta(minutes=10))
    every(identity_tasks.PURGE_REFRESH_TOKENS, timedelta(days=1))
