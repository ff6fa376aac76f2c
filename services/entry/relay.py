"""The outbox relay: ``python -m services.entry.relay``. Any number may run (see
``services.kit.relay``)."""

from __future__ import annotations

import asyncio
import signal

from services.kit.jobs import setup_broker
from services.kit.logging import configure_logging
from services.kit.relay import run
from services.kit.settings import get_settings


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    broker = setup_broker(settings)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run(settings, broker, stop)

    asyncio.run(serve())
    broker.close()


if __name__ == "__main__":
    main()
