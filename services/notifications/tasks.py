"""The delivery jobs: one email or one webhook POST each, sent at most once after a recorded
success (see ``services.notifications.delivery`` for the exact guarantee). Both are outward
jobs: an SMTP server or a receiver down for hours gets them once it is back, without a dead
letter and a manual replay."""

from __future__ import annotations

import uuid
from typing import Any

from services.kit.jobs import JobContext, job, job_settings
from services.notifications import delivery
from services.notifications.sending import DELIVER_EMAIL, DELIVER_WEBHOOK, QUEUE


async def _deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
    await delivery.deliver(
        delivery.sessions_of(ctx.session),
        job_settings(),
        ctx.tenant,
        uuid.UUID(payload["delivery_id"]),
        ctx.request_id,
    )


@job(DELIVER_EMAIL, queue_name=QUEUE, outward=True)
async def deliver_email(ctx: JobContext, payload: dict[str, Any]) -> None:
    await _deliver(ctx, payload)


@job(DELIVER_WEBHOOK, queue_name=QUEUE, outward=True)
async def deliver_webhook(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Retried over hours (kit.jobs.outward_retries) on any non-2xx answer or network
    error."""
    await _deliver(ctx, payload)
