"""Liveness and readiness for Kubernetes probes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from litestar import Request, Response, get
from sqlalchemy import text

from services.kit.errors import problem

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config)


def migration_head() -> str | None:
    return _scripts().get_current_head()


def schema_is_behind(current: str | None) -> bool:
    """True when the database lacks migrations this code needs. A revision this code does not
    know is newer (an upgrade is rolling out): old pods stay ready until they are replaced."""
    if current is None:
        return True
    if current == migration_head():
        return False
    known = {script.revision for script in _scripts().walk_revisions()}
    return current in known


@get("/healthz", opt={"public": True}, include_in_schema=False)
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@get("/readyz", opt={"public": True}, include_in_schema=False)
async def readyz(request: Request[Any, Any, Any]) -> Response[Any]:
    """Ready for traffic: the database answers and its schema is at the code's migration head."""
    head = migration_head()
    try:
        async with request.app.state.sessionmaker() as session:
            current = await session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as exc:
        return problem(
            503,
            "database_unavailable",
            "Not ready",
            f"The database cannot be reached ({type(exc).__name__}).",
            request,
        )
    if schema_is_behind(current):
        return problem(
            503,
            "migrations_pending",
            "Not ready",
            f"The database is at {current}, the code expects {head}.",
            request,
        )
    return Response({"status": "ready", "migration": current})
