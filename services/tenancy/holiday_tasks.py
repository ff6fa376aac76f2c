"""The holiday calendar's job: recount a region's deadlines once a year is entered.

Queued by ``holidays.enter_year``, one per active region, in the entry's transaction. Runs
bound to the region, as a request there would; the listeners each context registered do the
counting (``holidays.register_calendar_listener``). Safe to run twice: the claim of its key
makes a redelivery do nothing, and a listener moves only a deadline still as it was counted
before the entry.
"""

from __future__ import annotations

from typing import Any

from services.kit.jobs import JobContext, job
from services.tenancy import holidays


@job(holidays.RECOUNT_JOB)
async def calendar_recount(ctx: JobContext, payload: dict[str, Any]) -> None:
    await holidays.recount(ctx.session, ctx.actor, payload)
