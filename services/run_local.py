"""``make run``: everything a newcomer needs on one machine, stopped together by Ctrl-C.

Uses DATABASE_URL when set; otherwise starts an embedded PostgreSQL with its data in ./.data.
Then migrates, loads the demo tenants, and serves the API on http://127.0.0.1:8000.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from types import FrameType

from services.kit.embedded import database_url
from services.kit.migrate import upgrade

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def main() -> int:
    url, embedded = database_url("sws")
    os.environ["DATABASE_URL"] = url
    print(f"Database: {'embedded PostgreSQL in ./.data/pg' if embedded else 'DATABASE_URL'}")
    upgrade(url)

    from services.cli import _seed

    asyncio.run(_seed())

    api = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
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
        env=os.environ.copy(),
    )
    children = [api]
    print(f"\nAPI on http://{HOST}:{PORT}  (OpenAPI: http://{HOST}:{PORT}/schema)")
    print("Ctrl-C stops everything started here.\n")

    def stop(signum: int, _: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    codes = [child.wait() for child in children]
    del embedded  # the embedded server stops when this process exits
    return max(codes, default=0) if any(c not in (0, -signal.SIGTERM) for c in codes) else 0


if __name__ == "__main__":
    sys.exit(main())
