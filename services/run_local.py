"""``make run``: everything a newcomer needs on one machine, stopped together by Ctrl-C.

Uses DATABASE_URL, BROKER_URL and S3_ENDPOINT_URL when set; otherwise starts an embedded
PostgreSQL, an embedded Redis (as the job broker) and an embedded SeaweedFS (as the document
store) with their data in ./.data. Then migrates, loads the demo
tenants, and starts the API on http://127.0.0.1:8000, the outbox relay, the chronograph and
one worker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from services.kit.embedded import broker_url, database_url, s3_endpoint, stop_redis
from services.kit.migrate import upgrade

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
STOP_GRACE_SECONDS = 15

PROCESSES = {
    "api": [
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "--host",
        HOST,
        "--port",
        PORT,
        "services.app:create_app",
    ],
    "relay": ["-m", "services.kit.relay"],
    "chronograph": ["-m", "services.scheduler"],
    "worker": ["-m", "dramatiq", "services.worker", "--processes", "1", "--threads", "4"],
}


def main() -> int:
    keep_alive: list[Any] = []
    url, embedded_db = database_url("sws")
    os.environ["DATABASE_URL"] = url
    keep_alive.append(embedded_db)
    broker, embedded_broker = broker_url()
    os.environ["BROKER_URL"] = broker
    keep_alive.append(embedded_broker)
    s3, embedded_s3 = s3_endpoint()
    os.environ["S3_ENDPOINT_URL"] = s3
    keep_alive.append(embedded_s3)
    print(f"Database: {'embedded PostgreSQL in ./.data/pg' if embedded_db else 'DATABASE_URL'}")
    print(f"Broker:   {'embedded Redis in ./.data' if embedded_broker else 'BROKER_URL'}")
    print(f"S3:       {'embedded SeaweedFS in ./.data/s3' if embedded_s3 else 'S3_ENDPOINT_URL'}")
    upgrade(url)

    from services.cli import _seed

    asyncio.run(_seed())

    # Each child in a session of its own: Ctrl-C reaches this process only, which then asks
    # every child once to stop (a second signal makes some of them skip their clean shutdown).
    children = {
        name: subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, *args], env=os.environ.copy(), start_new_session=True
        )
        for name, args in PROCESSES.items()
    }
    print(f"\nAPI on http://{HOST}:{PORT}  (OpenAPI: http://{HOST}:{PORT}/schema)")
    print(f"Also running: {', '.join(name for name in children if name != 'api')}.")
    print("Ctrl-C stops everything started here.\n")

    stopping: list[float] = []  # when Ctrl-C came, once it has

    def stop(signum: int, _: FrameType | None) -> None:
        if not stopping:
            stopping.append(time.monotonic())
            for child in children.values():
                if child.poll() is None:
                    child.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    codes = []
    for child in children.values():
        while child.poll() is None:
            time.sleep(0.2)
            if stopping and time.monotonic() - stopping[0] > STOP_GRACE_SECONDS:
                child.kill()  # it ignored the request to stop
        codes.append(child.returncode)
    if embedded_broker is not None:
        stop_redis(embedded_broker)
    keep_alive.clear()  # the other embedded servers stop with this process
    return 0 if all(code in (0, -signal.SIGTERM, -signal.SIGKILL) for code in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
