"""The API served by a real granian process, for what the in-process test client cannot show:
requests that truly run at once, and what happens on the wire of a keep-alive connection."""

from __future__ import annotations

from collections.abc import Iterator

from bench.server import Granian, granian
from services.kit.settings import Settings


def serve(settings: Settings, **extra_env: str) -> Iterator[Granian]:
    """One granian worker with the suite's database, broker and cheap Argon2 cost."""
    env = {
        "APP_ENV": settings.environment,
        "BROKER_URL": settings.broker_url,
        "QUEUE_PREFIX": settings.queue_prefix,
        "ARGON2_TIME_COST": str(settings.argon2_time_cost),
        "ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
        "LOGIN_MAX_FAILURES": str(settings.login_max_failures),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": str(settings.login_max_failures_per_address),
        "LOGIN_LOCK_SECONDS": str(settings.login_lock_seconds),
        "S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "S3_ACCESS_KEY": settings.s3_access_key,
        "S3_SECRET_KEY": settings.s3_secret_key,
        "S3_BUCKET": settings.s3_bucket,
        **extra_env,
    }
    with granian(settings.database_url, "WARNING", env) as server:
        yield server
