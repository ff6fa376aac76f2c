"""Email end to end: the real SMTP server (aiosmtpd), PostgreSQL, the broker, the relay and a
dramatiq worker. One email per event, never two: the job's key, the delivery row and its lease
keep retries, replays and crashes from sending it again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import asyncpg
import dramatiq
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.jobs import run_once
from services.kit.settings import Settings
from services.notifications import delivery, sending
from services.notifications import tasks as notification_tasks
from services.notifications.schemas import DeliveryStatus
from tests.support.client import Client, Login
from tests.support.demo import GZ
from tests.support.jobs import relay_and_run
from tests.support.mail import MailSink
from tests.support.network import free_port
from tests.support.notifications import (
    PASSWORD,
    delivered_sends,
    deliveries_of,
    one_email_delivery,
    register_and_decide,
)
from tests.support.providers import sign_up

pytestmark = pytest.mark.usefixtures("demo")


# --- approving a registration: inbox and one email ------------------------------------------------


async def test_an_approved_provider_is_told_in_its_inbox_and_by_one_email(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    smtp_server: MailSink,
    settings: Settings,
) -> None:
    provider = await sign_up(client, login, PASSWORD)
    await register_and_decide(client, login, provider, GZ, True, "材料齐全，准予登记")

    inbox = await client.get("/v1/me/notifications", headers=provider.admin)
    assert inbox.status_code == 200, inbox.text
    [item] = inbox.json()["items"]
    assert item["event_type"] == "provider_registration.approved"
    assert item["tenant_id"] == GZ
    assert item["subject"] == "【广州市】服务机构登记已通过"
    assert provider.name in item["body"] and "材料齐全，准予登记" in item["body"]
    assert item["locale"] == "zh-CN" and item["read_at"] is None
    assert item["data"]["provider_id"] == provider.id

    # Nothing leaves before the worker runs; then exactly one email.
    [row] = await deliveries_of(admin_db, "email", provider.admin_login)
    assert row["status"] == "pending"
    assert smtp_server.to(provider.admin_login) == []
    await relay_and_run(sessionmaker, broker)
    [mail] = smtp_server.to(provider.admin_login)
    assert mail.message["Subject"] == "【广州市】服务机构登记已通过"
    assert mail.message["Message-ID"] == f"<{row['id']}@sws.localhost>"
    assert mail.message["X-SWS-Event-Id"] == item["event_id"]
    assert "材料齐全，准予登记" in mail.text and provider.name in mail.text
    assert "通知设置" in mail.text  # how to switch these emails off

    # The relay sends the job again (its row looked unsent): the job's key absorbs it.
    key = sending.message_key(row["id"])
    await admin_db.execute("UPDATE outbox SET sent_at = NULL WHERE message_key = $1", key)
    await relay_and_run(sessionmaker, broker)
    assert len(smtp_server.to(provider.admin_login)) == 1

    # The job runs again under another key (as if its own commit was lost after the send):
    # the delivery row, committed as sent, stops a second email.
    ran = await run_once(
        notification_tasks.deliver_email,
        sending.DELIVER_EMAIL,
        GZ,
        f"{key}:again",
        {"delivery_id": str(row["id"])},
        None,
        sessionmaker,
    )
    assert ran
    assert len(smtp_server.to(provider.admin_login)) == 1
    [row] = await deliveries_of(admin_db, "email", provider.admin_login)
    assert (row["status"], row["attempts"]) == ("sent", 1)
    assert row["sent_at"] is not None
    assert await delivered_sends(admin_db, row["id"]) == 1


# --- the at-least-once window, and an attempt in flight -------------------------------------------


async def _claimed(admin_db: asyncpg.Connection, delivery_id: object, ago: timedelta) -> None:
    """As if a worker had claimed the delivery ``ago`` and not yet recorded how it went."""
    await admin_db.execute(
        "UPDATE notification_deliveries SET status = 'sending', attempts = 1,"
        " claimed_at = now() - $3::interval WHERE tenant_id = $1 AND id = $2",
        GZ,
        delivery_id,
        ago,
    )


async def test_a_crash_between_claim_and_record_resends_with_the_same_message_id(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    smtp_server: MailSink,
    settings: Settings,
) -> None:
    email, row = await one_email_delivery(client, login, admin_db)
    # A worker claimed it long ago and died: whether the server got it is unknown.
    await _claimed(admin_db, row["id"], ago=timedelta(hours=1))
    status = await delivery.deliver(sessionmaker, settings, GZ, row["id"])
    assert status is DeliveryStatus.sent
    [mail] = smtp_server.to(email)
    assert mail.message["Message-ID"] == f"<{row['id']}@sws.localhost>"  # receivers dedupe
    assert await delivery.deliver(sessionmaker, settings, GZ, row["id"]) is DeliveryStatus.sent
    assert len(smtp_server.to(email)) == 1
    attempts = await admin_db.fetchval(
        "SELECT attempts FROM notification_deliveries WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )
    assert attempts == 2


async def test_an_attempt_in_flight_is_not_doubled(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp_server: MailSink,
    settings: Settings,
) -> None:
    email, row = await one_email_delivery(client, login, admin_db)
    await _claimed(admin_db, row["id"], ago=timedelta(0))
    with pytest.raises(dramatiq.Retry) as retry:
        await delivery.deliver(sessionmaker, settings, GZ, row["id"])
    lease_ms = settings.notification_lease_seconds * 1000
    assert retry.value.delay is not None and 0 < retry.value.delay <= lease_ms + 100
    assert smtp_server.to(email) == []
    # The attempt "in flight" was made up: free the row, or a later worker waits out the lease.
    await admin_db.execute(
        "UPDATE notification_deliveries SET status = 'pending', attempts = 0, claimed_at = NULL"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )


async def test_a_refused_smtp_server_fails_the_attempt_for_a_retry(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    _, row = await one_email_delivery(client, login, admin_db)
    nowhere = replace(settings, smtp_port=free_port())  # nothing listens there
    with pytest.raises(delivery.DeliveryFailed):
        await delivery.deliver(sessionmaker, nowhere, GZ, row["id"])
    failed = await admin_db.fetchrow(
        "SELECT status, attempts, last_error FROM notification_deliveries"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert "SMTP" in failed["last_error"]
    # The retry, with the server back, sends it.
    assert await delivery.deliver(sessionmaker, settings, GZ, row["id"]) is DeliveryStatus.sent


async def test_without_smtp_host_mail_is_written_to_the_mail_directory(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    tmp_path: Path,
) -> None:
    email, row = await one_email_delivery(client, login, admin_db)
    local = replace(settings, smtp_host="", mail_dir=str(tmp_path))
    assert await delivery.deliver(sessionmaker, local, GZ, row["id"]) is DeliveryStatus.sent
    written = (tmp_path / f"{row['id']}.eml").read_text()
    assert f"To: {email}" in written and f"Message-ID: <{row['id']}@sws.localhost>" in written
