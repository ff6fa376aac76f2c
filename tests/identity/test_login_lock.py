"""The login lock against attempts sent all at once, on a real server (granian): of many
concurrent wrong passwords for one account only the account's limit reach the password check,
and the rest are told how long the lock has still to run."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from bench.server import Granian
from services.kit.settings import Settings
from tests.support.accounts import open_account, unique_email
from tests.support.client import Login
from tests.support.demo import ROLE_LOGINS

PASSWORD = "Secret12345"
ADDRESS_KEY = "addr:127.0.0.1"  # every request of these tests comes from loopback


@pytest.fixture
async def http(
    api_server: Granian, admin_db: asyncpg.Connection
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a connection per request in flight; loopback's failures forgotten."""
    await admin_db.execute("DELETE FROM login_failures WHERE key = $1", ADDRESS_KEY)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(
        base_url=api_server.base_url, trust_env=False, timeout=120, limits=limits
    ) as client:
        yield client
    await admin_db.execute("DELETE FROM login_failures WHERE key = $1", ADDRESS_KEY)


async def _new_account(http: httpx.AsyncClient, login: Login) -> str:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    _, email = await open_account(http, admin, PASSWORD, prefix="lock", display_name="Lock")
    return email


async def _attempt(http: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await http.post("/v1/auth/login", json={"login": login, "password": password})


async def _all_at_once(http: httpx.AsyncClient, logins: list[str]) -> Counter[int]:
    responses = await asyncio.gather(*(_attempt(http, who, "wrong-pass-1") for who in logins))
    return Counter(response.status_code for response in responses)


def _retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "login_throttled"
    return int(response.headers["retry-after"])


@pytest.mark.parametrize("attempts", [20, 50])
async def test_concurrent_wrong_passwords_reach_the_check_only_up_to_the_limit(
    http: httpx.AsyncClient,
    login: Login,
    admin_db: asyncpg.Connection,
    settings: Settings,
    attempts: int,
) -> None:
    email = await _new_account(http, login)
    statuses = await _all_at_once(http, [email] * attempts)
    limit = settings.login_max_failures
    assert statuses == {401: limit, 429: attempts - limit}
    counted = await admin_db.fetchval(
        "SELECT count(*) FROM login_failures WHERE key = $1", f"login:email:{email}"
    )
    assert counted == limit
    # The right password waits for the lock like any other.
    _retry_after(await _attempt(http, email, PASSWORD))


async def test_concurrent_right_passwords_all_get_in(
    http: httpx.AsyncClient, login: Login, admin_db: asyncpg.Connection
) -> None:
    """More at once than the limit: those beyond it wait for a slot instead of being refused,
    and successes leave no failure behind."""
    email = await _new_account(http, login)
    results = await asyncio.gather(*(_attempt(http, email, PASSWORD) for _ in range(20)))
    assert Counter(r.status_code for r in results) == {200: 20}
    left = await admin_db.fetchval(
        "SELECT count(*) FROM login_failures WHERE key = ANY($1::text[])",
        [f"login:email:{email}", ADDRESS_KEY],
    )
    assert left == 0


async def test_the_address_limit_holds_against_concurrent_attempts_on_many_accounts(
    http: httpx.AsyncClient, admin_db: asyncpg.Connection, settings: Settings
) -> None:
    limit = settings.login_max_failures_per_address
    # Fewer attempts per account than the account limit: only the address limit applies.
    statuses = await _all_at_once(http, [unique_email("nat") for _ in range(limit + 20)])
    assert statuses == {401: limit, 429: 20}
    counted = await admin_db.fetchval(
        "SELECT count(*) FROM login_failures WHERE key = $1", ADDRESS_KEY
    )
    assert counted == limit


async def test_retry_after_is_the_time_the_lock_has_left(
    http: httpx.AsyncClient, login: Login, admin_db: asyncpg.Connection, settings: Settings
) -> None:
    email = await _new_account(http, login)
    await _all_at_once(http, [email] * settings.login_max_failures)
    window = settings.login_lock_seconds
    first = _retry_after(await _attempt(http, email, PASSWORD))
    assert window - 5 <= first <= window
    await asyncio.sleep(1.1)
    assert _retry_after(await _attempt(http, email, PASSWORD)) < first

    # As if ten minutes had passed since the oldest failure, and five since the others.
    key = f"login:email:{email}"
    await admin_db.execute(
        "UPDATE login_failures SET at = at - interval '300 seconds' WHERE key = $1", key
    )
    await admin_db.execute(
        "UPDATE login_failures SET at = at - interval '300 seconds' WHERE id ="
        " (SELECT min(id) FROM login_failures WHERE key = $1)",
        key,
    )
    left = _retry_after(await _attempt(http, email, PASSWORD))
    assert window - 600 - 5 <= left <= window - 600

    # Once the oldest failure leaves the window, one more attempt may be checked.
    await admin_db.execute(
        "UPDATE login_failures SET at = at - make_interval(secs => $2) WHERE id ="
        " (SELECT min(id) FROM login_failures WHERE key = $1)",
        key,
        float(window - 600 + 1),
    )
    assert (await _attempt(http, email, PASSWORD)).status_code == 200


async def test_a_success_clears_the_account_and_does_not_count_against_the_address(
    http: httpx.AsyncClient, login: Login, admin_db: asyncpg.Connection, settings: Settings
) -> None:
    email = await _new_account(http, login)
    await _all_at_once(http, [email] * (settings.login_max_failures - 1))
    for _ in range(3):
        assert (await _attempt(http, email, PASSWORD)).status_code == 200
    counts = dict(
        await admin_db.fetch(
            "SELECT key, count(*) FROM login_failures WHERE key = ANY($1::text[]) GROUP BY key",
            [f"login:email:{email}", ADDRESS_KEY],
        )
    )
    assert counts == {ADDRESS_KEY: settings.login_max_failures - 1}
