"""Test set-up against a real PostgreSQL: the machine's (DATABASE_URL) or an embedded one.

One database, migrated once per run, holds the demo world (广东省, 广州市, 深圳市, two
providers). Tests that change things create their own objects or their own tenants.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import dramatiq
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from bench.server import Granian
from services.demo import DEMO_PASSWORD, seed
from services.entry.api import create_app
from services.entry.local_servers import broker_url as embedded_broker_url
from services.entry.local_servers import start_postgres, start_s3, stop_redis
from services.kit import workdays
from services.kit.db import forget_calendars, make_engine, make_sessionmaker
from services.kit.migrate import upgrade
from services.kit.settings import Settings
from tests.support.client import Client, Login
from tests.support.database import (
    TEST_DATABASE,
    Sessions,
    one_at_a_time,
    recreate,
    with_database,
)
from tests.support.demo import GZ, SZ
from tests.support.live_server import serve
from tests.support.mail import MailSink
from tests.support.storage import S3
from tests.support.tendering import Tenderer


def _test_url() -> tuple[str, Any]:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return with_database(configured, TEST_DATABASE), None
    return start_postgres(TEST_DATABASE)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url, server = _test_url()
    import asyncio

    # Roles are the server's, not a database's: workers migrating at once would change them
    # together ("tuple concurrently updated"), so one migrates at a time.
    with one_at_a_time("migrate"):
        asyncio.run(recreate(url))
        upgrade(url)
    yield url
    del server


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    """The machine's RabbitMQ when BROKER_URL says so (CI), else an embedded Redis with its
    files in a temporary directory, removed at the end of the run."""
    data = Path(tempfile.mkdtemp(prefix="sws-redis-"))
    url, server = embedded_broker_url(data)
    if url.startswith("amqp") and "heartbeat=" not in url:
        # The suite's broker connection waits idle through minutes of other tests (the fuzzer's
        # among them); a blocking pika connection answers no heartbeat while idle, so RabbitMQ
        # would drop it after 60 s. Processes that run for real keep theirs busy or reconnect.
        url += ("&" if "?" in url else "?") + "heartbeat=0"
    yield url
    if server is not None:
        stop_redis(server)
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    """The machine's S3 when S3_ENDPOINT_URL says so, else SeaweedFS in a temporary directory,
    on free ports, requiring these keys; stopped and removed at the end of the run."""
    bucket = "sws-test-" + TEST_DATABASE.lower().replace("_", "-")
    configured = os.environ.get("S3_ENDPOINT_URL")
    if configured:
        yield S3(configured, os.environ["S3_ACCESS_KEY"], os.environ["S3_SECRET_KEY"], bucket)
        return
    data = Path(tempfile.mkdtemp(prefix="sws-s3-"))
    server = start_s3(
        data, "sws-test-access", f"sws-test-{random.randrange(10**12)}", bucket=bucket
    )
    try:
        yield S3(server.endpoint_url, server.access_key, server.secret_key, bucket)
    finally:
        # Its data goes with the run: no need to sit out weed's shutdown, which hangs until
        # stop() gives up on it after 3 s. stop() then only tidies its sockets away.
        server.process.kill()
        server.process.wait(timeout=10)
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd): every email a worker sends in this run arrives here."""
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def settings(database_url: str, broker_url: str, s3: S3, smtp_server: MailSink) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        broker_url=broker_url,
        s3_endpoint_url=s3.endpoint_url,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_bucket=s3.bucket,
        queue_prefix=f"{TEST_DATABASE}.",  # concurrent runs on one broker stay apart
        job_max_retries=2,
        job_min_backoff_ms=50,
        job_max_backoff_ms=200,
        # Emails and webhooks: retried for at least 3 s (31 retries), time scaled down.
        delivery_retry_span_seconds=3,
        delivery_min_backoff_ms=50,
        delivery_max_backoff_ms=200,
        redis_heartbeat_timeout_ms=2000,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        log_format="json",
        log_level="INFO",
        login_max_failures=5,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_starttls=False,
    )


@pytest.fixture(scope="session")
async def demo(settings: Settings) -> None:
    engine = make_engine(settings.app_database_url, settings)
    await seed(make_sessionmaker(engine), settings)
    await engine.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings, demo: None) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def api_server(settings: Settings, demo: None) -> Iterator[Granian]:
    """The API served by one real granian worker for the whole run (starting one costs
    seconds; what it serves is in the database): for requests that truly run at once, and
    for what happens on the wire."""
    yield from serve(settings)


@pytest.fixture(scope="session")
async def admin_db(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """The schema owner's connection, for set-up and for tampering tests."""
    connection = await asyncpg.connect(settings.admin_database_url.replace("+asyncpg", ""))
    yield connection
    await connection.close()


@pytest.fixture(scope="session")
async def app_db(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection as the API's own role."""
    connection = await asyncpg.connect(settings.app_database_url.replace("+asyncpg", ""))
    yield connection
    await connection.close()


@pytest.fixture(scope="session")
def sessionmaker(settings: Settings) -> Iterator[Sessions]:
    """The app role's sessions, on the test's event loop."""
    engine = make_engine(settings.app_database_url, settings)
    yield make_sessionmaker(engine)


@pytest.fixture(scope="session")
def broker(settings: Settings) -> Iterator[dramatiq.Broker]:
    """The real broker with every job declared; jobs in workers use the test database."""
    import services.entry.registry  # noqa: F401 - registers every context's jobs
    import tests.support.suite_jobs  # noqa: F401 - the suite's own jobs
    from services.kit.jobs import setup_broker, use_settings

    use_settings(settings)
    the_broker = setup_broker(settings)
    for queue in the_broker.get_declared_queues():
        the_broker.flush(queue)
    yield the_broker
    the_broker.close()


@pytest.fixture(scope="session")
async def login(client: AsyncTestClient[Litestar]) -> Login:
    """Headers with a bearer token for a login; cached while the token has more than two
    minutes to live, so that a run longer than a token's life signs in again."""
    cache: dict[str, tuple[dict[str, str], float]] = {}

    async def _login(who: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        cached = cache.get(who)
        if cached is None or time.monotonic() > cached[1]:
            response = await client.post(
                "/v1/auth/login", json={"login": who, "password": password}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            headers = {"Authorization": f"Bearer {body['access_token']}"}
            cache[who] = (headers, time.monotonic() + body["expires_in"] - 120)
        return cache[who][0]

    return _login


@pytest.fixture(autouse=True)
def _calendar_as_the_package_knows_it() -> None:
    """Each test starts counting by the chinesecalendar package alone: years another test
    entered (or the fuzzer, in its own database) are read again from the database by the next
    transaction, and never leak into a test that counts without one."""
    workdays.install({})
    forget_calendars()


# --- a tenderer of each demo city (tendering, contracts and what follows an award) ------------


@pytest.fixture
def tenderer_in(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
    settings: Settings,
) -> Callable[[str], Tenderer]:
    """A city's tenderer, on the suite's client and connections."""
    return partial(Tenderer, client, login, admin_db, sessionmaker, settings)


@pytest.fixture
def gz(tenderer_in: Callable[[str], Tenderer]) -> Tenderer:
    return tenderer_in(GZ)


@pytest.fixture
def sz(tenderer_in: Callable[[str], Tenderer]) -> Tenderer:
    return tenderer_in(SZ)
