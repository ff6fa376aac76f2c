"""Sending one delivery (an email or a webhook POST) so that a retry does not send it twice.

The job machinery runs a job in one transaction and records its message key when that
transaction commits; a redelivery after the commit does nothing. That is not enough for a
send to the outside world: a worker can crash after the SMTP server or the receiver accepted
the message and before the job's transaction commits, and the redelivery would send it again.
So each delivery row moves through its own small transactions, committed independently of the
job's:

1. **claim** — ``pending``/``failed`` → ``sending``, ``attempts + 1``, ``claimed_at = now``;
   committed before anything leaves. A row already ``sent`` (or ``cancelled``) is left alone:
   the job returns and sends nothing.
2. **send** — SMTP or HTTPS, outside any lock.
3. **record** — ``sent`` with ``sent_at``, committed right after the server accepted; or
   ``failed`` with the error, and the job raises so dramatiq retries it with backoff (after
   the last retry it lands in ``dead_letters``; a replay claims it again). While the
   database is away (a restart, a failover) the record is tried again for a few seconds.

The guarantee:

- After a recorded success, no retry, redelivery or replay sends the message again.
- A message is sent at least once while retries last.
- The one window for a duplicate is a crash (or a database away for longer than the record's
  retries) between the server accepting the message and step 3 committing. The row then
  stays ``sending``; a retry within ``NOTIFICATION_LEASE_SECONDS`` of the claim waits out the
  lease (an in-flight attempt may still finish), and after it sends again. Such a duplicate
  carries the same ``Message-ID`` (``<delivery id@sender domain>``) or the same
  ``X-SWS-Event-Id``, so mail systems and webhook receivers can drop it. At-least-once,
  with a stable id for deduplication.

Emails go through SMTP (``SMTP_HOST`` …). Without ``SMTP_HOST`` — ``make run`` on a laptop —
they are written to ``MAIL_DIR`` (default ``./.data/mail``) as ``<delivery id>.eml`` files,
which any mail client opens.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

import aiosmtplib
import dramatiq
import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.kit.audit import Actor, record
from services.kit.db import make_sessionmaker, transaction
from services.kit.errors import DomainError
from services.kit.outage import SHORT_RETRY_DELAYS, retry_through_outage
from services.kit.settings import DATA_DIR, Settings
from services.notifications import templates, webhooks
from services.notifications.models import Notification, NotificationDelivery, WebhookEndpoint
from services.notifications.schemas import Channel, DeliveryStatus

log = structlog.get_logger(__name__)
USER_AGENT = "SWS-Webhooks/1"
MAX_ERROR = 2000
# Pauses between tries of recording an attempt's outcome: about 8 s in all, far inside the
# lease (NOTIFICATION_LEASE_SECONDS), so a retry never finds the row both stale and sent.
RECORD_RETRY_DELAYS = SHORT_RETRY_DELAYS


class DeliveryFailed(Exception):
    """The server refused or could not be reached; the job is retried."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Claimed:
    """What an attempt needs, read while claiming (no transaction is open while sending)."""

    delivery_id: uuid.UUID
    tenant: str
    event_id: uuid.UUID
    event_type: str
    attempt: int
    address: str
    subject: str = ""
    body: str = ""
    locale: str = templates.DEFAULT_LOCALE
    payload: dict[str, Any] | None = None
    secret: str = ""


def sessions_of(session: AsyncSession) -> async_sessionmaker[AsyncSession]:
    """Sessions on the job's own engine, for the transactions that commit on their own."""
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("a job's session must be bound to an engine")
    return make_sessionmaker(engine)


async def deliver(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    tenant: str,
    delivery_id: uuid.UUID,
    request_id: str | None = None,
) -> DeliveryStatus | None:
    """Send the delivery unless it was sent; the status it ends in (None: no such row)."""
    actor = Actor(user_id=None, tenant=tenant, request_id=request_id)
    claimed = await _claim(sessions, settings, actor, delivery_id)
    if not isinstance(claimed, Claimed):
        return claimed
    try:
        if claimed.payload is None:
            response_status = await send_email(settings, claimed)
        else:
            response_status = await post_webhook(settings, claimed)
    except DeliveryFailed as exc:
        await _finish(sessions, actor, claimed, DeliveryStatus.failed, str(exc), exc.status)
        raise
    except PermanentFailure as exc:
        await _finish(sessions, actor, claimed, DeliveryStatus.failed, str(exc), None)
        log.warning("notification_delivery_refused", delivery=str(delivery_id), error=str(exc))
        return DeliveryStatus.failed
    await _finish(sessions, actor, claimed, DeliveryStatus.sent, None, response_status)
    return DeliveryStatus.sent


class PermanentFailure(Exception):
    """Retrying cannot help (the mail server refused the address): recorded, not retried."""


async def _claim(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    actor: Actor,
    delivery_id: uuid.UUID,
) -> Claimed | DeliveryStatus | None:
    async with transaction(sessions, actor.tenant) as session:
        delivery = await session.scalar(
            select(NotificationDelivery)
            .where(
                NotificationDelivery.tenant_id == actor.tenant,
                NotificationDelivery.id == delivery_id,
            )
            .with_for_update()
        )
        if delivery is None:  # its endpoint was deleted
            return None
        status = DeliveryStatus(delivery.status)
        if status in (DeliveryStatus.sent, DeliveryStatus.cancelled):
            log.info("notification_delivery_done_already", delivery=str(delivery_id))
            return status
        now = datetime.now(UTC)
        lease = timedelta(seconds=settings.notification_lease_seconds)
        if status is DeliveryStatus.sending and delivery.claimed_at is not None:
            remaining = delivery.claimed_at + lease - now
            if remaining > timedelta(0):
                # Another attempt may still be talking to the server: look again once its
                # lease is over, rather than risk sending twice now.
                raise dramatiq.Retry(
                    "delivery in flight", delay=int(remaining.total_seconds() * 1000) + 100
                )
        claimed = await _read_what_to_send(session, settings, delivery)
        if claimed is None:
            delivery.status = DeliveryStatus.cancelled.value
            delivery.last_error = "the webhook endpoint is switched off"
            await record(
                session,
                actor,
                "notification_delivery.cancelled",
                "notification_delivery",
                delivery.id,
                after={"reason": delivery.last_error},
            )
            return DeliveryStatus.cancelled
        delivery.status = DeliveryStatus.sending.value
        delivery.attempts += 1
        delivery.claimed_at = now
        return claimed


async def _read_what_to_send(
    session: AsyncSession, settings: Settings, delivery: NotificationDelivery
) -> Claimed | None:
    def claimed(address: str, **what: Any) -> Claimed:
        return Claimed(
            delivery_id=delivery.id,
            tenant=delivery.tenant_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            attempt=delivery.attempts + 1,
            address=address,
            **what,
        )

    if delivery.channel == Channel.email:
        notification = await session.scalar(
            select(Notification).where(
                Notification.tenant_id == delivery.tenant_id,
                Notification.id == delivery.notification_id,
            )
        )
        if notification is None:
            return None
        return claimed(
            delivery.address,
            subject=notification.subject,
            body=notification.body,
            locale=notification.locale,
        )
    endpoint = await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == delivery.tenant_id,
            WebhookEndpoint.id == delivery.endpoint_id,
        )
    )
    if endpoint is None or not endpoint.active:
        return None
    return claimed(
        endpoint.url,  # the endpoint's URL now: an administrator may have moved it
        payload=delivery.payload or {},
        secret=webhooks.decrypt_secret(settings, endpoint.secret_encrypted),
    )


async def _finish(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    claimed: Claimed,
    status: DeliveryStatus,
    error: str | None,
    response_status: int | None,
) -> None:
    """Step 3, retried for a few seconds while the database is away: a record lost to a
    blip would leave the row ``sending``, and the next attempt would send again once the
    lease is over. Past the retries, the lease is the fallback."""

    async def record_once() -> None:
        async with transaction(sessions, actor.tenant) as session:
            delivery = await session.scalar(
                select(NotificationDelivery)
                .where(
                    NotificationDelivery.tenant_id == actor.tenant,
                    NotificationDelivery.id == claimed.delivery_id,
                )
                .with_for_update()
            )
            if delivery is None:
                return
            if delivery.status == status.value and delivery.attempts == claimed.attempt:
                return  # a try whose commit went through although its answer was lost
            delivery.status = status.value
            delivery.last_error = error[:MAX_ERROR] if error else None
            delivery.response_status = response_status
            if status is DeliveryStatus.sent:
                delivery.sent_at = datetime.now(UTC)
            await record(
                session,
                actor,
                f"notification_delivery.{status.value}",
                "notification_delivery",
                delivery.id,
                after={
                    "channel": delivery.channel,
                    "attempt": claimed.attempt,
                    "response_status": response_status,
                    "error": delivery.last_error,
                },
            )

    await retry_through_outage(record_once, RECORD_RETRY_DELAYS)
    log.info(
        "notification_delivery_finished",
        delivery=str(claimed.delivery_id),
        status=status.value,
        attempt=claimed.attempt,
    )


# --- email -----------------------------------------------------------------------------------


def message_id(settings: Settings, delivery_id: uuid.UUID) -> str:
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "sws.localhost"
    return f"<{delivery_id}@{domain}>"


def build_email(settings: Settings, claimed: Claimed) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = claimed.address
    message["Subject"] = claimed.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(settings, claimed.delivery_id)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = claimed.locale
    message[webhooks.EVENT_ID_HEADER] = str(claimed.event_id)
    message[webhooks.EVENT_TYPE_HEADER] = claimed.event_type
    message.set_content(f"{claimed.body}\n\n{templates.footer(claimed.locale)}\n")
    return message


def mail_dir(settings: Settings) -> Path:
    return Path(settings.mail_dir) if settings.mail_dir else DATA_DIR / "mail"


async def send_email(settings: Settings, claimed: Claimed) -> int | None:
    message = build_email(settings, claimed)
    if not settings.smtp_host:
        await asyncio.to_thread(_write_mail_file, mail_dir(settings), claimed, message)
        return None
    implicit_tls = settings.smtp_port == 465
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            use_tls=implicit_tls,
            start_tls=settings.smtp_starttls and not implicit_tls,
            timeout=settings.smtp_timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"the mail server refused {claimed.address}: {exc}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {exc}") from exc
    return 250


def _write_mail_file(directory: Path, claimed: Claimed, message: EmailMessage) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{claimed.delivery_id}.eml"
    partial = target.with_suffix(".eml.part")
    partial.write_bytes(message.as_bytes())
    os.replace(partial, target)  # the same name on a resend: one file per message


# --- webhooks --------------------------------------------------------------------------------


async def post_webhook(settings: Settings, claimed: Claimed) -> int:
    body = webhooks.body_bytes(claimed.payload or {})
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        webhooks.EVENT_ID_HEADER: str(claimed.event_id),
        webhooks.EVENT_TYPE_HEADER: claimed.event_type,
        webhooks.DELIVERY_ID_HEADER: str(claimed.delivery_id),
        webhooks.SIGNATURE_HEADER: webhooks.signature(claimed.secret, body, int(time.time())),
    }
    try:
        if settings.is_production:
            webhooks.check_url(claimed.address, production=True)
            await webhooks.check_destination(claimed.address)
        async with httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False
        ) as client:
            response = await client.post(claimed.address, content=body, headers=headers)
    except (httpx.HTTPError, OSError, ValueError, DomainError) as exc:
        raise DeliveryFailed(f"POST {claimed.address}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(
            f"POST {claimed.address}: HTTP {response.status_code} {response.text[:200]!r}",
            response.status_code,
        )
    return response.status_code
