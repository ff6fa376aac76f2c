"""Housekeeping of sign-in data, run by the chronograph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_

from services.identity.models import LoginFailure, RefreshToken
from services.kit.jobs import JobContext, job
from services.kit.settings import get_settings

PURGE_LOGIN_FAILURES = "identity.purge_login_failures"
PURGE_REFRESH_TOKENS = "identity.purge_refresh_tokens"
# Spent and revoked refresh tokens are kept a while: a replay of one still revokes its family.
KEEP_SPENT_TOKENS = timedelta(days=30)


@job(PURGE_LOGIN_FAILURES)
async def purge_login_failures(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Failures older than the throttle window no longer count for anything."""
    window = timedelta(seconds=get_settings().login_lock_seconds)
    await ctx.session.execute(
        delete(LoginFailure).where(LoginFailure.at < datetime.now(UTC) - window)
    )


@job(PURGE_REFRESH_TOKENS)
async def purge_refresh_tokens(ctx: JobContext, payload: dict[str, Any]) -> None:
    cutoff = datetime.now(UTC) - KEEP_SPENT_TOKENS
    await ctx.session.execute(
        delete(RefreshToken).where(
            or_(RefreshToken.expires_at < cutoff, RefreshToken.revoked_at < cutoff)
        )
    )
