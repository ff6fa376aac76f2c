"""Accounts of the suite's own, so that no test changes a demo user."""

from __future__ import annotations

import random

import httpx

from tests.support.client import Client, Headers
from tests.support.demo import GZ


def unique_email(prefix: str = "user") -> str:
    """A login nobody has used yet."""
    return f"{prefix}.{random.randrange(10**9)}@test.gov.cn"


async def open_account(
    client: Client | httpx.AsyncClient,
    admin: Headers,
    password: str,
    *,
    tenant: str = GZ,
    prefix: str = "user",
    display_name: str = "新同事",
) -> tuple[str, str]:
    """An account opened by a region's administrator (or the platform's), with no role yet:
    (its id, its login)."""
    email = unique_email(prefix)
    response = await client.post(
        f"/v1/tenants/{tenant}/users",
        headers=admin,
        json={"login": email, "display_name": display_name, "password": password},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"]), email


async def grant(
    client: Client, headers: Headers, city: str, email: str, role: str = "expert"
) -> httpx.Response:
    """A role for an account in a region, granted by one who may."""
    response = await client.post(
        f"/v1/tenants/{city}/memberships", headers=headers, json={"login": email, "role": role}
    )
    assert response.status_code == 201, response.text
    return response
