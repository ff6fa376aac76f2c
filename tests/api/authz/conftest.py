"""The world the matrix's cells act in, made once for the module that calls them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.api.authz.world import World, make_world
from tests.support.client import Client, Login


@pytest.fixture(scope="module")
async def world(client: Client, login: Login, admin_db: asyncpg.Connection) -> AsyncIterator[World]:
    started = await admin_db.fetchval("SELECT clock_timestamp()")
    yield await make_world(client, login, admin_db)
    # The matrix checks who gets which answer. The jobs its thousands of calls queue (some
    # 7,000 emails among them) are dropped unsent, so the next test that runs the outbox does
    # not wait a minute for them; every job is tested where its own context is.
    await admin_db.execute("DELETE FROM outbox WHERE sent_at IS NULL AND created_at >= $1", started)
