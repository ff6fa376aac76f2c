"""The archive's jobs: build an archive, and the chronograph's sweep that asks for the archive
of every project completed and every procurement ended."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.archive import building, sweeping
from services.archive.requests import BUILD_JOB
from services.kit.db import make_sessionmaker
from services.kit.jobs import JobContext, job, job_settings
from services.kit.storage import storage_for

SWEEP = "archive.sweep"


@job(BUILD_JOB, queue_name="archive")
async def build(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run again: a ready archive is left alone, one left building is started over."""
    engine = ctx.session.bind
    assert isinstance(engine, AsyncEngine)
    settings = job_settings()
    await building.build(
        ctx.session,
        # Progress is written in short transactions of its own, on the job's engine.
        make_sessionmaker(engine),
        settings,
        storage_for(settings),
        ctx.tenant,
        uuid.UUID(payload["archive_id"]),
        ctx.request_id,
    )


@job(SWEEP)
async def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: a project's archive of one state is asked for once."""
    await sweeping.sweep(ctx.session, ctx.tenant, ctx.request_id)
