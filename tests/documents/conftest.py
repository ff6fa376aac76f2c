"""The people, objects and API processes every documents test works with."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import asyncpg
import httpx
import pytest

from services.kit.settings import Settings
from tests.support.client import Client, Headers, Login
from tests.support.demo import (
    GZ,
    PENGCHENG_USCC,
    ROLE_LOGINS,
    SUNSHINE_USCC,
    SZ,
    city_login,
    registration_id,
)
from tests.support.documents import PLANNERS, MiB, served
from tests.support.planning import Planner
from tests.support.storage import store_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture(scope="package", autouse=True)
def planners(client: Client, login: Login) -> None:
    PLANNERS.update({city: Planner(client, login, city) for city in (GZ, SZ)})


@pytest.fixture(scope="package")
async def who(login: Login) -> dict[str, Headers]:
    people = {role: await login(ROLE_LOGINS[role]) for role in ROLE_LOGINS}
    people["pengcheng_admin"] = await login("admin@pengcheng.demo.org.cn")
    people["sz_officer"] = await login(city_login("civil_affairs_officer", SZ))
    return people


@pytest.fixture(scope="package")
async def registrations(admin_db: asyncpg.Connection) -> dict[str, str]:
    """The demo providers' registrations in 广州."""
    return {
        "sunshine": await registration_id(admin_db, GZ, SUNSHINE_USCC),
        "pengcheng": await registration_id(admin_db, GZ, PENGCHENG_USCC),
    }


@pytest.fixture(scope="package")
def bucket(settings: Settings) -> S3Client:
    """The bucket as someone holding the store's keys sees it: no API in between."""
    return store_client(settings)


@pytest.fixture(scope="package")
async def small(settings: Settings, demo: None) -> AsyncIterator[httpx.AsyncClient]:
    """Configured with a 1 MiB document limit and 2-second links."""
    tight = dataclasses.replace(settings, document_max_bytes=MiB, document_url_seconds=2)
    async with served(tight) as api:
        yield api


@pytest.fixture(scope="package")
async def streaming(settings: Settings, demo: None) -> AsyncIterator[httpx.AsyncClient]:
    async with served(settings) as api:
        yield api
