"""The world the matrix's cells act in, made once for the module that calls them."""

from __future__ import annotations

import asyncpg
import pytest

from tests.api.authz.world import World, make_world
from tests.support.client import Client, Login


@pytest.fixture(scope="module")
async def world(client: Client, login: Login, admin_db: asyncpg.Connection) -> World:
    return await make_world(client, login, admin_db)
