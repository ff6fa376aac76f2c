"""Sign-in, refresh rotation, reuse detection, sign-out, throttling and the password policy."""

from __future__ import annotations

from typing import Any

import asyncpg
import jwt

from services.demo import DEMO_PASSWORD
from services.kit.settings import Settings
from tests.support.accounts import open_account, unique_email
from tests.support.client import Client, Login
from tests.support.demo import GZ, ROLE_LOGINS

OFFICER = ROLE_LOGINS["civil_affairs_officer"]


async def _sign_in(
    client: Client, who: str = OFFICER, password: str = DEMO_PASSWORD
) -> dict[str, Any]:
    """The token pair of a sign-in."""
    response = await client.post("/v1/auth/login", json={"login": who, "password": password})
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


async def _refresh(client: Client, token: str) -> tuple[int, dict[str, Any]]:
    response = await client.post("/v1/auth/refresh", json={"refresh_token": token})
    return response.status_code, response.json()


async def test_login_returns_a_short_lived_access_token(client: Client) -> None:
    pair = await _sign_in(client)
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == pair["expires_in"] == 900
    assert pair["token_type"] == "Bearer"
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200
    assert {"role": "civil_affairs_officer", "domain": GZ} in me.json()["roles"]


async def test_wrong_password_is_401_with_a_stable_code(client: Client) -> None:
    response = await client.post(
        "/v1/auth/login", json={"login": ROLE_LOGINS["expert"], "password": "nope12345678"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "bad_credentials"


async def test_unknown_account_gets_the_same_answer_as_a_wrong_password(
    client: Client,
) -> None:
    unknown = await client.post(
        "/v1/auth/login", json={"login": unique_email(), "password": "whatever123"}
    )
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == "The login or the password is wrong."


async def test_refresh_rotates_and_the_new_token_works(client: Client) -> None:
    pair = await _sign_in(client)
    status, second = await _refresh(client, pair["refresh_token"])
    assert status == 200
    assert second["refresh_token"] != pair["refresh_token"]
    status, _ = await _refresh(client, second["refresh_token"])
    assert status == 200


async def test_reusing_a_spent_refresh_token_revokes_the_family(client: Client) -> None:
    pair = await _sign_in(client)
    _, second = await _refresh(client, pair["refresh_token"])
    status, body = await _refresh(client, pair["refresh_token"])  # replayed: stolen?
    assert status == 401
    assert body["code"] == "refresh_rejected"
    # The legitimate holder's newer token is now dead too.
    status, _ = await _refresh(client, second["refresh_token"])
    assert status == 401


async def test_reuse_does_not_touch_other_sessions(client: Client) -> None:
    laptop = await _sign_in(client)
    phone = await _sign_in(client)
    await _refresh(client, laptop["refresh_token"])
    await _refresh(client, laptop["refresh_token"])  # reuse on the laptop's family
    status, _ = await _refresh(client, phone["refresh_token"])
    assert status == 200


async def test_logout_revokes_the_session(client: Client) -> None:
    pair = await _sign_in(client)
    response = await client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 204
    status, _ = await _refresh(client, pair["refresh_token"])
    assert status == 401


async def test_garbage_refresh_token_is_401(client: Client) -> None:
    status, body = await _refresh(client, "not-a-token")
    assert status == 401 and body["code"] == "refresh_rejected"


async def test_tampered_access_token_is_401(client: Client) -> None:
    pair = await _sign_in(client)
    forged = jwt.encode(
        {**jwt.decode(pair["access_token"], options={"verify_signature": False})},
        "another-secret-another-secret-another",
        algorithm="HS256",
    )
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_expired_access_token_is_401(client: Client, settings: Settings) -> None:
    pair = await _sign_in(client)
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    claims["exp"] = claims["iat"] - 1
    stale = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {stale}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def _new_account(client: Client, login: Login, password: str = "Secret12345") -> str:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    _, email = await open_account(client, admin, password, prefix="throttle", display_name="T")
    return email


async def test_repeated_failures_throttle_the_account(client: Client, login: Login) -> None:
    email = await _new_account(client, login)
    for _ in range(5):
        response = await client.post(
            "/v1/auth/login", json={"login": email, "password": "wrong-pass-1"}
        )
        assert response.status_code == 401
    # Even the right password is refused while the lock lasts.
    response = await client.post("/v1/auth/login", json={"login": email, "password": "Secret12345"})
    assert response.status_code == 429
    assert response.json()["code"] == "login_throttled"
    assert int(response.headers["retry-after"]) > 0


async def test_throttle_counts_per_client_address_across_accounts(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    settings: Settings,
) -> None:
    # The test client always comes from one address: spread failures over many logins,
    # fewer per login than the account limit.
    await admin_db.execute("DELETE FROM login_failures")
    for _ in range(settings.login_max_failures_per_address):
        await client.post(
            "/v1/auth/login", json={"login": unique_email(), "password": "wrong-pass-1"}
        )
    fresh = await _new_account(client, login)
    response = await client.post("/v1/auth/login", json={"login": fresh, "password": "Secret12345"})
    assert response.status_code == 429
    await admin_db.execute("DELETE FROM login_failures")


async def test_password_policy_names_the_field(client: Client, login: Login) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    for weak in ("short1", "onlyletterslong", "1234567890123"):
        response = await client.post(
            f"/v1/tenants/{GZ}/users",
            headers=admin,
            json={"login": unique_email(), "display_name": "W", "password": weak},
        )
        assert response.status_code == 422, weak
        assert response.json()["errors"][0]["field"] == "password"


async def test_change_password_ends_other_sessions(client: Client, login: Login) -> None:
    email = await _new_account(client, login)
    pair = await _sign_in(client, email, "Secret12345")
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    wrong = await client.post(
        "/v1/me/password",
        headers=headers,
        json={"current_password": "nope", "new_password": "Better12345"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "current_password"
    ok = await client.post(
        "/v1/me/password",
        headers=headers,
        json={"current_password": "Secret12345", "new_password": "Better12345"},
    )
    assert ok.status_code == 204
    status, _ = await _refresh(client, pair["refresh_token"])
    assert status == 401
    await _sign_in(client, email, "Better12345")


async def test_duplicate_login_is_a_conflict(client: Client, login: Login) -> None:
    admin = await login(ROLE_LOGINS["tenant_admin"])
    response = await client.post(
        f"/v1/tenants/{GZ}/users",
        headers=admin,
        json={"login": OFFICER, "display_name": "X", "password": "Secret12345"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "login_taken"


async def test_granting_a_platform_role_twice_is_a_conflict(client: Client, login: Login) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    grant = {"login": ROLE_LOGINS["ministry_viewer"], "role": "ministry_viewer"}
    response = await client.post("/v1/platform/role-grants", headers=platform, json=grant)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"] == [
        {"field": "role", "message": "The user holds this role already."}
    ]
