"""``make run``: everything a newcomer needs on one machine, stopped together by Ctrl-C.

Uses DATABASE_URL, BROKER_URL and S3_ENDPOINT_URL when set; otherwise starts an embedded
PostgreSQL, an embedded Redis (as the job broker) and an embedded SeaweedFS (as the document
store) with their data in ./.data. Then migrates, loads the demo
tenants, and starts the API on http://127.0.0.1:8000 (granian, API_WORKERS workers: one per
core by default), the outbox relay, the chronograph and one job worker, under a supervisor
(services/entry/supervisor.py) that restarts any of them that dies and stops everything when one
keeps dying.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from services.entry.local_servers import broker_url, database_url, s3_endpoint, stop_redis
from services.entry.supervisor import Supervisor
from services.kit.logging import configure_logging
from services.kit.migrate import upgrade
from services.kit.settings import Settings

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def api_workers() -> int:
    """API_WORKERS, else one granian worker per core."""
    raw = os.environ.get("API_WORKERS", "").strip()
    if not raw:
        return os.cpu_count() or 1
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"API_WORKERS must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def programs(workers: int, host: str = HOST, port: str = PORT) -> dict[str, list[str]]:
    """Each process make run supervises, as the argv to start it."""
    python = sys.executable
    return {
        "api": [
            python,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            host,
            "--port",
            port,
            "--workers",
            str(workers),
            # granian replaces a worker that dies (its own supervision); without this it
            # shuts the whole server down.
            "--respawn-failed-workers",
            "services.entry.api:create_app",
        ],
        "relay": [python, "-m", "services.entry.relay"],
        "chronograph": [python, "-m", "services.entry.chronograph"],
        "worker": [
            python,
            "-m",
            "dramatiq",
            "services.entry.worker",
            "--processes",
            "1",
            "--threads",
            "4",
        ],
    }


async def _warn_if_pools_exceed_the_server(settings: Settings, workers: int) -> None:
    """Each API worker has its own pool (+1 LISTEN connection); the job worker, relay and
    chronograph need a few more. Past max_connections, requests fail under load."""
    import asyncpg

    need = workers * (settings.db_pool_size + settings.db_max_overflow + 1) + 8
    connection = await asyncpg.connect(settings.admin_database_url.replace("+asyncpg", ""))
    try:
        limit = int(await connection.fetchval("SHOW max_connections"))
    finally:
        await connection.close()
    if need > limit:
        print(
            f"Warning: {workers} API workers x (DB_POOL_SIZE + DB_MAX_OVERFLOW + 1) and the"
            f" background processes may open {need} connections; PostgreSQL allows {limit}."
            " Lower API_WORKERS or the pool sizes."
        )


def main() -> int:
    workers = api_workers()  # a bad value stops us before anything starts
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

    from services.entry.cli import seed_and_list_logins

    asyncio.run(seed_and_list_logins())

    settings = Settings()
    configure_logging(settings)
    asyncio.run(_warn_if_pools_exceed_the_server(settings, workers))
    supervisor = Supervisor(programs(workers), env=os.environ.copy())
    print(
        f"\nAPI on http://{HOST}:{PORT}  (OpenAPI: http://{HOST}:{PORT}/schema), {workers} workers"
    )
    print("Also running: relay, chronograph, worker; each restarted if it dies.")
    print("Ctrl-C stops everything started here.\n")
    signal.signal(signal.SIGINT, supervisor.stop)
    signal.signal(signal.SIGTERM, supervisor.stop)
    code = supervisor.run()
    if embedded_broker is not None:
        stop_redis(embedded_broker)
    keep_alive.clear()  # the other embedded servers stop with this process
    return code


if __name__ == "__main__":
    sys.exit(main())
