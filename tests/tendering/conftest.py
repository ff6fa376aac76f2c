"""A tenderer of each demo city, for every tendering test."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.client import Client, Login
from tests.support.demo import GZ, SZ
from tests.support.tendering import Tenderer


@pytest.fixture
def gz(client: Client, login: Login, admin_db: asyncpg.Connection) -> Tenderer:
    return Tenderer(client, login, admin_db, GZ)


@pytest.fixture
def sz(client: Client, login: Login, admin_db: asyncpg.Connection) -> Tenderer:
    return Tenderer(client, login, admin_db, SZ)
