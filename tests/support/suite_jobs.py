"""Jobs that exist only for the test suite: each leaves one audit entry as its visible effect."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import text

from services.kit.audit import record
from services.kit.jobs import JobContext, job

RECORD = "test.record"
SLOW = "test.slow"
FAILING = "test.failing"
TICK = "test.tick"
CONTEXT = "test.context"
# The structlog context each CONTEXT job saw (in-process runs), and the tenant its
# transaction had bound, by mark.
SEEN_CONTEXT: dict[str, dict[str, Any]] = {}
# Keys for which FAILING raises; a test empties it to let a replay succeed (in-process worker).
FAIL_KEYS: set[str] = set()


async def _leave_mark(ctx: JobContext, payload: dict[str, Any]) -> None:
    await record(ctx.session, ctx.actor, "test.job_ran", "job", payload["mark"])


@job(RECORD)
async def record_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await _leave_mark(ctx, payload)


@job(SLOW)
async def slow_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Does its work, says so in a file, then dawdles before the commit: a window to kill in.
    A second attempt (the file exists) goes straight through."""
    await _leave_mark(ctx, payload)
    await ctx.session.flush()
    started = Path(payload["started_file"])
    if await asyncio.to_thread(started.exists):
        return
    await asyncio.to_thread(started.write_text, "started")
    await asyncio.sleep(float(payload.get("seconds", 5)))


@job(FAILING, max_retries=1)
async def failing_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    if payload.get("always") or payload["mark"] in FAIL_KEYS:
        raise RuntimeError(f"failing on purpose: {payload['mark']}")
    await _leave_mark(ctx, payload)


@job(TICK)
async def tick_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await record(ctx.session, ctx.actor, "test.tick", "tick", payload["tick"])


@job(CONTEXT)
async def context_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Notes the log context and the tenant PostgreSQL sees, then leaves its mark."""
    bound = await ctx.session.scalar(text("SELECT current_setting('app.tenant_id', true)"))
    SEEN_CONTEXT[payload["mark"]] = {**structlog.contextvars.get_contextvars(), "bound": bound}
    await _leave_mark(ctx, payload)
