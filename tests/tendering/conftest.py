"""A tenderer of each demo city, for every tendering test."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import asyncpg
import pytest

from services.kit.settings import Settings
from tests.support.client import Client, Login
from tests.support.database import Sessions
from tests.support.demo import GZ, SZ
from tests.support.tendering import Tenderer


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
