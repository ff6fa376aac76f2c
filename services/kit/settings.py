"""Settings, read from the environment only (the README lists every one with its default)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

# Where local runs keep their files (embedded servers, the mail drop): ./.data of the checkout.
DATA_DIR = Path(__file__).resolve().parents[2] / ".data"

DEV_JWT_SECRET = "dev-only-secret-change-me-in-production-0123456789"
# Development values for the document store; production refuses them (see Settings.check).
DEV_DOCUMENT_MASTER_KEY = "ZGV2LW9ubHktZG9jdW1lbnQta2V5LW5vdC1zZWNyZXQ="
DEV_S3_ACCESS_KEY = "sws-dev-access"
DEV_S3_SECRET_KEY = "sws-dev-secret-change-me-in-production"
# Longest wait before a retry: leaves room under RabbitMQ's 30-minute consumer timeout for
# the job itself (the worker holds a retry unacknowledged until it runs).
MAX_BACKOFF_MS = 20 * 60 * 1000


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _with_user(url: str, user: str, password: str) -> str:
    """The same server and database as ``url``, reached as another role."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(user)}:{quote(password)}@{host}" if password else f"{quote(user)}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def asyncpg_url(url: str) -> str:
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got {url.split(':', 1)[0]}://")


@dataclass(frozen=True)
class Settings:
    environment: str = field(default_factory=lambda: _env("APP_ENV", "development"))
    # The owner's connection: migrations, seeding and the audit verifier use it.
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/sws")
    )
    # The API's own role: owns nothing, lacks BYPASSRLS.
    app_db_user: str = field(default_factory=lambda: _env("APP_DB_USER", "sws_app"))
    app_db_password: str = field(default_factory=lambda: _env("APP_DB_PASSWORD", "sws_app"))
    app_database_url_override: str = field(default_factory=lambda: _env("APP_DATABASE_URL", ""))
    db_pool_size: int = field(default_factory=lambda: _env_int("DB_POOL_SIZE", 10))
    db_max_overflow: int = field(default_factory=lambda: _env_int("DB_MAX_OVERFLOW", 10))
    db_connect_timeout_seconds: int = field(
        default_factory=lambda: _env_int("DB_CONNECT_TIMEOUT_SECONDS", 5)
    )

    # amqp://… (RabbitMQ, production and CI) or redis://…; empty means the embedded Redis
    # that make run and make test start.
    broker_url: str = field(default_factory=lambda: _env("BROKER_URL", ""))
    # Prepended to every queue name: deployments (or test runs) sharing one broker stay apart.
    queue_prefix: str = field(default_factory=lambda: _env("QUEUE_PREFIX", ""))
    job_max_retries: int = field(default_factory=lambda: _env_int("JOB_MAX_RETRIES", 5))
    job_min_backoff_ms: int = field(default_factory=lambda: _env_int("JOB_MIN_BACKOFF_MS", 1000))
    job_max_backoff_ms: int = field(default_factory=lambda: _env_int("JOB_MAX_BACKOFF_MS", 300_000))
    # Deliveries to the outside world (emails, webhooks): capped exponential backoff, with as
    # many retries as it takes to span DELIVERY_RETRY_SPAN_SECONDS (kit.jobs.outward_retries).
    delivery_retry_span_seconds: int = field(
        default_factory=lambda: _env_int("DELIVERY_RETRY_SPAN_SECONDS", 6 * 3600)
    )
    delivery_min_backoff_ms: int = field(
        default_factory=lambda: _env_int("DELIVERY_MIN_BACKOFF_MS", 1000)
    )
    delivery_max_backoff_ms: int = field(
        default_factory=lambda: _env_int("DELIVERY_MAX_BACKOFF_MS", 600_000)
    )
    # Redis broker only: how long before a dead worker's messages are requeued.
    redis_heartbeat_timeout_ms: int = field(
        default_factory=lambda: _env_int("REDIS_HEARTBEAT_TIMEOUT_MS", 60_000)
    )
    relay_batch: int = field(default_factory=lambda: _env_int("RELAY_BATCH", 200))
    # Jobs of one queue the relay packs into one message, run in one transaction; 1: no batches.
    job_batch_size: int = field(default_factory=lambda: _env_int("JOB_BATCH_SIZE", 50))
    # Statistics: a county's count of people served below this is withheld (it can identify
    # somebody); issue 14.
    statistics_suppress_below: int = field(
        default_factory=lambda: _env_int("STATISTICS_SUPPRESS_BELOW", 10)
    )
    # Statistics: how often the sweep queues a refresh for each region-year marked dirty.
    statistics_sweep_seconds: int = field(
        default_factory=lambda: _env_int("STATISTICS_SWEEP_SECONDS", 60)
    )
    # Red flags: a supplier winning at least this share of one buyer's awards in a year, out of
    # at least RED_FLAG_WINNER_MIN_AWARDS awards, keeps winning with that buyer; issue 14.
    red_flag_winner_share_percent: int = field(
        default_factory=lambda: _env_int("RED_FLAG_WINNER_SHARE_PERCENT", 50)
    )
    red_flag_winner_min_awards: int = field(
        default_factory=lambda: _env_int("RED_FLAG_WINNER_MIN_AWARDS", 3)
    )
    # Red flags: how often the sweep queues a measure for each region marked dirty.
    red_flags_sweep_seconds: int = field(
        default_factory=lambda: _env_int("RED_FLAGS_SWEEP_SECONDS", 60)
    )
    jwt_secret: str = field(default_factory=lambda: _env("JWT_SECRET", DEV_JWT_SECRET))
    access_token_seconds: int = field(default_factory=lambda: _env_int("ACCESS_TOKEN_SECONDS", 900))
    refresh_token_days: int = field(default_factory=lambda: _env_int("REFRESH_TOKEN_DAYS", 14))
    login_max_failures: int = field(default_factory=lambda: _env_int("LOGIN_MAX_FAILURES", 5))
    # Offices share one address behind NAT, so an address gets more tries than an account.
    login_max_failures_per_address: int = field(
        default_factory=lambda: _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 50)
    )
    login_lock_seconds: int = field(default_factory=lambda: _env_int("LOGIN_LOCK_SECONDS", 900))
    # Argon2 cost; lowered only by the test suite to keep it fast.
    argon2_time_cost: int = field(default_factory=lambda: _env_int("ARGON2_TIME_COST", 3))
    argon2_memory_kib: int = field(default_factory=lambda: _env_int("ARGON2_MEMORY_KIB", 65536))
    # Hashes computed at once, each in its own thread off the event loop; more callers wait.
    password_hash_concurrency: int = field(
        default_factory=lambda: _env_int("PASSWORD_HASH_CONCURRENCY", os.cpu_count() or 1)
    )

    # Email. Without SMTP_HOST, messages are written to MAIL_DIR as .eml files instead.
    smtp_host: str = field(default_factory=lambda: _env("SMTP_HOST", ""))
    smtp_port: int = field(default_factory=lambda: _env_int("SMTP_PORT", 587))
    smtp_username: str = field(default_factory=lambda: _env("SMTP_USERNAME", ""))
    smtp_password: str = field(default_factory=lambda: _env("SMTP_PASSWORD", ""))
    # STARTTLS on a plain port; port 465 always speaks TLS from the start.
    smtp_starttls: bool = field(default_factory=lambda: _env_bool("SMTP_STARTTLS", True))
    smtp_from: str = field(
        default_factory=lambda: _env("SMTP_FROM", "社会工作服务采购平台 <noreply@sws.localhost>")
    )
    smtp_timeout_seconds: int = field(default_factory=lambda: _env_int("SMTP_TIMEOUT_SECONDS", 30))
    mail_dir: str = field(default_factory=lambda: _env("MAIL_DIR", ""))  # empty: ./.data/mail
    webhook_timeout_seconds: int = field(
        default_factory=lambda: _env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
    )
    # Encrypts webhook signing secrets at rest; comma-separated keys, the first encrypts and
    # all decrypt (rotation). Empty: derived from JWT_SECRET.
    webhook_secret_key: str = field(default_factory=lambda: _env("WEBHOOK_SECRET_KEY", ""))
    # How long a claimed delivery counts as in flight before a retry may send it again.
    notification_lease_seconds: int = field(
        default_factory=lambda: _env_int("NOTIFICATION_LEASE_SECONDS", 120)
    )

    max_request_body_bytes: int = field(
        default_factory=lambda: _env_int("MAX_REQUEST_BODY_BYTES", 1_048_576)
    )
    # Peers whose X-Forwarded-For is believed (the ingress): addresses or CIDR ranges.
    trusted_proxies: str = field(default_factory=lambda: _env("TRUSTED_PROXIES", ""))
    log_format: str = field(default_factory=lambda: _env("LOG_FORMAT", "auto"))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))

    # The document store (S3). Empty S3_ENDPOINT_URL: AWS's own endpoint, or the embedded
    # SeaweedFS that make run and make test start.
    s3_endpoint_url: str = field(default_factory=lambda: _env("S3_ENDPOINT_URL", ""))
    # Where clients reach the store, for presigned URLs; the endpoint above when empty.
    s3_public_endpoint_url: str = field(default_factory=lambda: _env("S3_PUBLIC_ENDPOINT_URL", ""))
    s3_access_key: str = field(default_factory=lambda: _env("S3_ACCESS_KEY", DEV_S3_ACCESS_KEY))
    s3_secret_key: str = field(default_factory=lambda: _env("S3_SECRET_KEY", DEV_S3_SECRET_KEY))
    s3_bucket: str = field(default_factory=lambda: _env("S3_BUCKET", "sws-documents"))
    s3_region: str = field(default_factory=lambda: _env("S3_REGION", "us-east-1"))
    document_max_bytes: int = field(
        default_factory=lambda: _env_int("DOCUMENT_MAX_BYTES", 100 * 1024 * 1024)
    )
    document_url_seconds: int = field(default_factory=lambda: _env_int("DOCUMENT_URL_SECONDS", 300))
    # The platform's registered OCDS prefix: every procurement's ocid is PREFIX-<id>, no region
    # code in it (division codes change when districts merge; an ocid never does).
    ocds_prefix: str = field(default_factory=lambda: _env("OCDS_PREFIX", "ocds-sws000"))
    # Where the public reaches this API (https://…, no trailing path): open data links a
    # published notice there (an acceptance's completion certificate). Empty: no such link,
    # since an OCDS document's url must be absolute and a release never changes afterwards.
    public_base_url: str = field(default_factory=lambda: _env("PUBLIC_BASE_URL", ""))
    # Base64 of 32 bytes: wraps the per-procedure keys of sealed documents.
    document_master_key: str = field(
        default_factory=lambda: _env("DOCUMENT_MASTER_KEY", DEV_DOCUMENT_MASTER_KEY)
    )

    # Keys the hash that identifies a provider's principal persons by ID number (the number is
    # never stored). Empty: derived from DOCUMENT_MASTER_KEY. Changing it orphans every hash.
    person_id_hash_key: str = field(default_factory=lambda: _env("PERSON_ID_HASH_KEY", ""))

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def admin_database_url(self) -> str:
        return asyncpg_url(self.database_url)

    @property
    def app_database_url(self) -> str:
        if self.app_database_url_override:
            return asyncpg_url(self.app_database_url_override)
        return asyncpg_url(_with_user(self.database_url, self.app_db_user, self.app_db_password))

    def check_backoff(self) -> None:
        """Refuse retries that would outwait RabbitMQ's consumer timeout."""
        if max(self.job_max_backoff_ms, self.delivery_max_backoff_ms) > MAX_BACKOFF_MS:
            raise RuntimeError(
                "JOB_MAX_BACKOFF_MS and DELIVERY_MAX_BACKOFF_MS must be at most 20 minutes: a"
                " retry waits unacknowledged in the worker, and RabbitMQ takes back a message"
                " held past its consumer timeout (30 minutes by default)"
            )

    def check(self) -> None:
        """Refuse to start a production process with development secrets."""
        self.check_backoff()
        if self.password_hash_concurrency < 1:
            raise RuntimeError("PASSWORD_HASH_CONCURRENCY must be 1 or more")
        if self.is_production and (self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32):
            raise RuntimeError("JWT_SECRET must be set to 32+ random characters in production")
        master_key = self.document_master_key_bytes  # refuses a malformed key everywhere
        if self.is_production and master_key == base64.b64decode(DEV_DOCUMENT_MASTER_KEY):
            raise RuntimeError("DOCUMENT_MASTER_KEY must be set to 32 random bytes in production")
        if self.is_production and self.s3_secret_key == DEV_S3_SECRET_KEY:
            raise RuntimeError("S3_SECRET_KEY must be set in production")

    @property
    def document_master_key_bytes(self) -> bytes:
        try:
            key = base64.b64decode(self.document_master_key, validate=True)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise RuntimeError("DOCUMENT_MASTER_KEY must be the base64 of exactly 32 bytes")
        return key

    @property
    def person_id_hash_key_bytes(self) -> bytes:
        if self.person_id_hash_key:
            return self.person_id_hash_key.encode()
        return hmac.new(self.document_master_key_bytes, b"person-id-hash", hashlib.sha256).digest()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
