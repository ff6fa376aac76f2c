"""dramatiq entry point: ``dramatiq services.worker``.

Imports every context's jobs, then builds the broker that declares them. WORKER_EXTRA_MODULES
(comma-separated) names more job modules to load first — the test suite's own jobs.
"""

import importlib
import os

from services import worker_jobs
from services.kit.jobs import setup_broker
from services.kit.logging import configure_logging
from services.kit.settings import get_settings

for _module in filter(None, os.environ.get("WORKER_EXTRA_MODULES", "").split(",")):
    importlib.import_module(_module.strip())

configure_logging(get_settings())
broker = setup_broker()

__all__ = ["broker", "worker_jobs"]
