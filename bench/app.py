"""The application under benchmark: the real app, plus one bare route as the baseline.

``granian --factory bench.app:create_bench_app`` serves exactly what ``services.entry.api`` builds
(same guard, middleware, engine, pool and authorizer) with one extra public route that runs
``SELECT 1`` through the app's own sessionmaker, so both sides share the pool.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, get
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.entry.api import create_app

SELECT1_PATH = "/bench/select1"


@get(SELECT1_PATH, opt={"public": True}, include_in_schema=False)
async def select1(request: Request[Any, Any, Any]) -> dict[str, int]:
    """Baseline: the guard's public branch, one pooled session, one round trip."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        value = (await session.execute(text("SELECT 1"))).scalar_one()
    return {"value": int(value)}


def create_bench_app() -> Litestar:
    app = create_app()
    app.register(select1)
    return app
