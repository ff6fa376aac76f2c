"""Faults of the services around the platform: PostgreSQL away, SMTP away, dead letters."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import dramatiq
import httpx
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import compute_backoff, xq_name
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.entry.api import create_app
from services.kit.db import make_engine, make_sessionmaker
from services.kit.jobs import outward_retries, shortest_retry_span_ms, use_settings
from services.kit.outage import RETRY_AFTER_SECONDS
from services.kit.settings import Settings
from services.notifications import delivery
from services.notifications.schemas import DeliveryStatus
from services.notifications.sending import DELIVER_EMAIL
from tests.support import suite_jobs
from tests.support.client import Client, Login
from tests.support.database import TEST_DATABASE
from tests.support.demo import GZ, ROLE_LOGINS
from tests.support.jobs import (
    drain,
    enqueue_mark,
    eventually,
    relay_all,
    relay_and_run,
    running_worker,
    times_ran,
)
from tests.support.mail import MailSink
from tests.support.notifications import delivered_sends, one_email_delivery
from tests.support.outage import DatabaseProxy, database_proxy

pytestmark = pytest.mark.usefixtures("demo")


def _events(captured: pytest.CaptureFixture[str], name: str) -> list[dict[str, Any]]:
    out = captured.readouterr()
    found = []
    for raw in (out.out + out.err).splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if record.get("event") == name:
            found.append(record)
    return found


@dataclass
class ProxiedApi:
    proxy: DatabaseProxy
    client: Client


@pytest.fixture
async def proxied_api(database_url: str, settings: Settings) -> AsyncIterator[ProxiedApi]:
    """An API process whose every database connection goes through a proxy the test cuts."""
    with database_proxy(database_url) as proxy:
        app = create_app(replace(settings, database_url=proxy.url(database_url)))
        async with AsyncTestClient(app=app) as client:
            yield ProxiedApi(proxy, client)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    body = response.json()
    assert (body["status"], body["code"]) == (503, "database_unavailable")


async def test_a_database_outage_answers_503_with_retry_after_and_logs_once(
    proxied_api: ProxiedApi, login: Login, capsys: pytest.CaptureFixture[str]
) -> None:
    client, proxy = proxied_api.client, proxied_api.proxy
    admin = await login(ROLE_LOGINS["tenant_admin"])
    organisations = f"/v1/tenants/{GZ}/organisations"
    assert (await client.get(organisations, headers=admin)).status_code == 200
    assert proxy.connections > 0  # the app really talks through the proxy

    proxy.cut()
    capsys.readouterr()
    for _ in range(10):  # the session dependency's transaction
        _assert_unavailable(await client.get(organisations, headers=admin))
    # A handler's own query (login), and the guard's tenant check for a region it has not seen.
    login_body = {"login": ROLE_LOGINS["tenant_admin"], "password": "whatever-it-is-1"}
    _assert_unavailable(await client.post("/v1/auth/login", json=login_body))
    _assert_unavailable(await client.get("/v1/tenants/999999/organisations", headers=admin))
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["code"] == "database_unavailable"
    outage_lines = _events(capsys, "database_unavailable")
    assert len(outage_lines) == 1, outage_lines
    assert outage_lines[0]["level"] == "warning"

    proxy.restore()
    assert (await client.get(organisations, headers=admin)).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
    captured = capsys.readouterr()
    lines = captured.out + captured.err
    assert lines.count('"database_available_again"') == 1
    assert "unhandled_error" not in lines


async def test_a_database_restart_between_requests_costs_at_most_one_503(
    proxied_api: ProxiedApi, login: Login
) -> None:
    """The pool's connections all die in a restart; the first request to find one dead is a
    503, and SQLAlchemy renews the rest, so the next request is served."""
    client, proxy = proxied_api.client, proxied_api.proxy
    admin = await login(ROLE_LOGINS["tenant_admin"])
    organisations = f"/v1/tenants/{GZ}/organisations"
    assert (await client.get(organisations, headers=admin)).status_code == 200
    proxy.cut()
    proxy.restore()
    first = await client.get(organisations, headers=admin)
    if first.status_code != 200:
        _assert_unavailable(first)
    for _ in range(5):
        assert (await client.get(organisations, headers=admin)).status_code == 200


# --- recording "sent" through a database blip -------------------------------------------------


class CuttingSink(MailSink):
    """An SMTP server that, the moment it accepts a message, cuts the database for a while:
    the worst moment for the sender, which must now record "sent"."""

    def __init__(self, proxy: DatabaseProxy, down_for: float) -> None:
        super().__init__()
        self.proxy, self.down_for = proxy, down_for

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.proxy.cut()
        threading.Timer(self.down_for, self.proxy.restore).start()
        return answer


async def test_a_sent_record_lost_to_a_database_blip_is_retried_without_a_second_email(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    settings: Settings,
) -> None:
    email, row = await one_email_delivery(client, login, admin_db)
    with database_proxy(database_url) as proxy:
        sink = CuttingSink(proxy, down_for=0.8)
        sink.start()
        try:
            proxied = replace(settings, database_url=proxy.url(database_url), smtp_port=sink.port)
            engine = make_engine(proxied.app_database_url, proxied)
            try:
                status = await delivery.deliver(make_sessionmaker(engine), proxied, GZ, row["id"])
            finally:
                await engine.dispose()
            assert status is DeliveryStatus.sent
            # Another attempt (a redelivery, a replay) finds it sent and sends nothing.
            again = await delivery.deliver(sessionmaker, proxied, GZ, row["id"])
            assert again is DeliveryStatus.sent
            assert len(sink.to(email)) == 1
        finally:
            sink.stop()
    recorded = await admin_db.fetchrow(
        "SELECT status, attempts, sent_at FROM notification_deliveries"
        " WHERE tenant_id = $1 AND id = $2",
        GZ,
        row["id"],
    )
    assert (recorded["status"], recorded["attempts"]) == ("sent", 1)
    assert recorded["sent_at"] is not None
    assert await delivered_sends(admin_db, row["id"]) == 1


# --- outward deliveries outlast an outage of the receiving server ------------------------------

SIX_HOURS_MS = 6 * 3600 * 1000


def test_outward_deliveries_are_retried_for_six_hours_at_least() -> None:
    policy = outward_retries(Settings())
    assert (policy.min_backoff_ms, policy.max_backoff_ms) == (1000, 600_000)
    shortest = shortest_retry_span_ms(policy.max_retries, 1000, 600_000)
    assert shortest >= SIX_HOURS_MS
    assert shortest_retry_span_ms(policy.max_retries - 1, 1000, 600_000) < SIX_HOURS_MS
    # dramatiq's own schedule, jitter and all, never ends sooner.
    for _ in range(200):
        waits = [
            compute_backoff(n, factor=1000, max_backoff=600_000)[1]
            for n in range(policy.max_retries)
        ]
        assert sum(waits) >= shortest
        assert max(waits) <= 600_000  # each wait far inside RabbitMQ's consumer timeout
    # The JOB_* retries of other jobs stay as they were: about a minute.
    assert shortest_retry_span_ms(5, 1000, 300_000) < 60_000


def test_a_backoff_that_would_outwait_rabbitmqs_consumer_timeout_is_refused() -> None:
    with pytest.raises(RuntimeError, match="DELIVERY_MAX_BACKOFF_MS"):
        Settings(delivery_max_backoff_ms=30 * 60 * 1000).check_backoff()


async def test_an_email_outlasts_an_smtp_outage_longer_than_the_old_retries(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    settings: Settings,
) -> None:
    assert broker.get_actor(DELIVER_EMAIL).options["max_retries"] == (
        outward_retries(settings).max_retries
    )
    email, row = await one_email_delivery(client, login, admin_db)
    sink = MailSink()  # its port is chosen, nothing listens there yet: the server is down
    use_settings(replace(settings, smtp_port=sink.port))

    async def attempts() -> int:
        return int(
            await admin_db.fetchval(
                "SELECT attempts FROM notification_deliveries WHERE tenant_id = $1 AND id = $2",
                GZ,
                row["id"],
            )
        )

    async def sent() -> bool:
        status = await admin_db.fetchval(
            "SELECT status FROM notification_deliveries WHERE tenant_id = $1 AND id = $2",
            GZ,
            row["id"],
        )
        return bool(status == "sent")

    try:
        with running_worker(broker) as worker:
            await relay_all(sessionmaker, broker)
            # Past the tries the JOB_* retries would have made before giving up for good.
            old_tries = settings.job_max_retries + 1
            await eventually(lambda: _more_than(attempts, old_tries + 2))
            sink.start()
            await eventually(sent, within=30)
            await drain(broker, worker)
    finally:
        use_settings(settings)
        sink.stop()
    assert len(sink.to(email)) == 1
    letters = await admin_db.fetchval(
        "SELECT count(*) FROM dead_letters WHERE message_key = $1",
        f"notification-delivery:{row['id']}",
    )
    assert letters == 0


async def _more_than(value: Callable[[], Awaitable[int]], floor: int) -> bool:
    return await value() > floor


# --- dead letters: ours are the record, the broker keeps no copy ----------------------------------


def _dead_copies(broker: dramatiq.Broker, queue_name: str) -> int:
    """Messages in dramatiq's own dead-letter queue for ``queue_name``."""
    if isinstance(broker, RabbitmqBroker):
        return broker.get_queue_message_counts(queue_name)[2]
    assert isinstance(broker, RedisBroker)
    return int(broker.client.hlen(f"{broker.namespace}:{xq_name(queue_name)}.msgs"))


async def test_a_dead_letter_and_its_replay_leave_no_copy_in_the_brokers_dead_letter_queue(
    client: Client,
    login: Login,
    sessionmaker: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
) -> None:
    queue = f"{TEST_DATABASE}.default"
    before = _dead_copies(broker, queue)
    mark = uuid.uuid4().hex
    suite_jobs.FAIL_KEYS.add(mark)
    await enqueue_mark(sessionmaker, suite_jobs.FAILING, mark=mark)
    await relay_and_run(sessionmaker, broker)
    platform = await login(ROLE_LOGINS["platform_admin"])
    listed = (await client.get("/v1/platform/dead-letters?limit=200", headers=platform)).json()
    [letter] = [x for x in listed["items"] if x["payload"].get("mark") == mark]
    await asyncio.sleep(0.5)  # RabbitMQ moves a rejected message to the XQ on its own time
    assert _dead_copies(broker, queue) == before

    suite_jobs.FAIL_KEYS.discard(mark)
    replayed = await client.post(
        f"/v1/platform/dead-letters/{letter['id']}/replay", headers=platform
    )
    assert replayed.status_code == 202, replayed.text
    await relay_and_run(sessionmaker, broker)
    assert await times_ran(sessionmaker, mark) == 1
    await asyncio.sleep(0.5)
    assert _dead_copies(broker, queue) == before
