"""Every cell of the matrix: each role on each route, in 广州, refused or let through."""

from __future__ import annotations

import httpx
import pytest

import tests.api.authz.calls  # noqa: F401 - fills the table with every route's call
from services.kit.authz.roles import OBJECT_ROLES, Role
from tests.api.authz.expected import EXPECTED, ROLES
from tests.api.authz.registry import CALLS
from tests.api.authz.world import World
from tests.support.client import Client, Login
from tests.support.demo import ROLE_LOGINS


def assert_forbidden(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "forbidden", response.text


CELLS = [(route, role) for route in EXPECTED for role in ROLES]


@pytest.mark.parametrize(("route", "role"), CELLS, ids=[f"{r}-{role}" for r, role in CELLS])
async def test_cell(world: World, route: str, role: str) -> None:
    cell = CALLS[route]
    response = await cell.call(world, await world.as_role(role))
    if role in EXPECTED[route]:
        assert response.status_code not in (401, 403), f"{role} refused: {response.text}"
        assert response.status_code in cell.ok, response.text
    else:
        assert_forbidden(response)


def test_matrix_names_the_thirteen_roles() -> None:
    # A role held on one object (acceptance_member) has no demo user in a region: its cells
    # are the owning context's tests (tests/delivery/test_acceptance.py).
    assert set(ROLES) == {role.value for role in Role if role not in OBJECT_ROLES}
    assert set(ROLE_LOGINS) == set(ROLES)


def test_every_matrix_row_has_a_call() -> None:
    assert set(CALLS) == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
async def test_each_demo_user_holds_exactly_its_role(
    client: Client, login: Login, role: str
) -> None:
    """The matrix speaks of roles but calls as demo users: each must hold just that role."""
    response = await client.get("/v1/me", headers=await login(ROLE_LOGINS[role]))
    assert response.status_code == 200, response.text
    assert [held["role"] for held in response.json()["roles"]] == [role]
