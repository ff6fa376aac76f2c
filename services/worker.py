"""dramatiq entry point: ``dramatiq services.worker``. Sets the broker, then imports every
context's jobs so that their actors register with it."""

from services.kit.jobs import setup_broker

broker = setup_broker()

from services.identity import tasks as identity_tasks  # noqa: E402 - after the broker exists

__all__ = ["broker", "identity_tasks"]
