"""Platform processes the suite starts for real: the relay, job workers, the API."""

from __future__ import annotations

import os
from pathlib import Path

from services.kit.settings import Settings
from tests.support.database import TEST_DATABASE

ROOT = Path(__file__).resolve().parents[2]  # the repository, whose packages they import


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a process of the platform with the suite's database, broker and
    queues, loading the suite's own jobs besides its own."""
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "BROKER_URL": settings.broker_url,
        "QUEUE_PREFIX": f"{TEST_DATABASE}.",
        "WORKER_EXTRA_MODULES": "tests.support.suite_jobs",
        "REDIS_HEARTBEAT_TIMEOUT_MS": "2000",
        "LOG_FORMAT": "json",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    }
