"""The job workers: ``dramatiq services.entry.worker``.

Imports every context's jobs (the registry), then builds the broker that declares them.
WORKER_EXTRA_MODULES (comma-separated) names more job modules to load first — the test suite's
own.
"""

import importlib
import os

from services.entry import registry
from services.kit.jobs import setup_broker
from services.kit.logging import configure_logging
from services.kit.settings import get_settings

for _module in filter(None, os.environ.get("WORKER_EXTRA_MODULES", "").split(",")):
    importlib.import_module(_module.strip())

configure_logging(get_settings())
broker = setup_broker()

__all__ = ["broker", "registry"]
