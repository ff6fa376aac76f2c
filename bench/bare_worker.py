"""dramatiq entry point of part 3's baseline: ``dramatiq bench.bare_worker``.

The same broker as ``services.entry.worker`` builds (``make_broker``: same URL, middleware, retry
settings and QUEUE_PREFIX) and the same logging set-up, but the only actor on it is the bare
no-op of ``bench.jobs``.
"""

import dramatiq

from bench.jobs import declare_bare
from services.kit.jobs import make_broker
from services.kit.logging import configure_logging
from services.kit.settings import get_settings

_settings = get_settings()
configure_logging(_settings)
broker = make_broker(_settings)
dramatiq.set_broker(broker)  # what ``dramatiq bench.bare_worker`` runs
bare_noop = declare_bare(broker, _settings.queue_prefix)

__all__ = ["bare_noop", "broker"]
