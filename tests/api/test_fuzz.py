"""Schemathesis over the whole OpenAPI document: the API does what it says it does.

Every operation is called with generated input, unauthenticated and with a token of each kind
of user, and every answer is checked: no server error, a documented status code, the documented
media type and shape, and every 4xx is application/problem+json. ``FUZZ_EXAMPLES`` sets how
many examples each operation gets (``make fuzz`` raises it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.demo import DEMO_PASSWORD, seed
from services.entry.api import create_app
from services.kit.db import make_engine, make_sessionmaker
from services.kit.migrate import upgrade
from services.kit.settings import Settings
from tests.support.asgi import ASGIApp, Scope, plain_asgi
from tests.support.database import TEST_DATABASE, one_at_a_time, recreate, with_database
from tests.support.demo import GZ, ROLE_LOGINS, SZ

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# The long run (make fuzz) explores; the suite's short run is the same every time.
DERANDOMIZE = "FUZZ_EXAMPLES" not in os.environ
USERS = [
    "anonymous",
    "platform_admin",
    "tenant_admin",
    "civil_affairs_officer",
    "finance_approver",
    "provider_admin",
    "expert",
    "province_viewer",
    "ministry_viewer",
]
# Failed sign-ins are counted per client address: the fuzzer's own, so that its random
# logins never lock out the rest of the suite.
FUZZER_ADDRESS = "192.0.2.10"


def _from_address(app: ASGIApp, host: str) -> ASGIApp:
    async def call(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (host, 50000)}
        await app(scope, receive, send)

    return call


@schemathesis.check
def errors_are_problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    if 400 <= response.status_code < 600:
        media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
        if media_type != "application/problem+json":
            raise AssertionError(
                f"{response.status_code} answered as {media_type!r}, not application/problem+json"
            )
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    errors_are_problem_json,
]


async def _seed(settings: Settings) -> None:
    engine = make_engine(settings.app_database_url, settings)
    try:
        await seed(make_sessionmaker(engine), settings)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def fuzz_settings(settings: Settings) -> Settings:
    """The fuzzer's own database with its own demo world: what it does as an administrator
    (deactivating a region, tightening its rules, revoking roles, changing its password) never
    reaches the rest of the suite."""
    url = with_database(settings.database_url, f"{TEST_DATABASE}_fuzz")
    with one_at_a_time("migrate"):  # roles are the server's (tests/conftest.py)
        asyncio.run(recreate(url))
        upgrade(url)
    fuzz = dataclasses.replace(settings, database_url=url)
    asyncio.run(_seed(fuzz))
    return fuzz


@pytest.fixture(scope="session")
def fuzzed_app(fuzz_settings: Settings) -> ASGIApp:
    """Its own app instance: schemathesis serves it on its own event loop."""
    return _from_address(plain_asgi(create_app(fuzz_settings)), FUZZER_ADDRESS)


@pytest.fixture(scope="session")
def fuzz_tokens(fuzzed_app: ASGIApp) -> dict[str, str]:
    tokens: dict[str, str] = {}
    with asgi.get_client(fuzzed_app) as client:
        for who in USERS[1:]:
            answer = client.post(
                "/v1/auth/login", json={"login": ROLE_LOGINS[who], "password": DEMO_PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            tokens[who] = answer.json()["access_token"]
    return tokens


def _demo_tenants(context: Any, parameters: dict[str, Any] | None) -> Any:
    """Tenant codes in paths are the demo cities', so requests get past the tenant's 404."""
    if not parameters or "tenant" not in parameters:
        return st.just(parameters)
    return st.sampled_from([GZ, SZ]).map(lambda code: {**parameters, "tenant": code})


# The short run is derandomized, so every user would draw the very same cases: each
# operation's cases are drawn once (drawing them, not sending them, is what takes the time)
# and sent with each user's token. ``make fuzz`` explores: there each user draws its own.
DRAWN: dict[tuple[str, GenerationMode], list[Any]] = {}


def _draw(operation: Any, mode: GenerationMode) -> list[Any]:
    """One Hypothesis run over one operation: the cases it generates."""
    key = (operation.label, mode)
    if DERANDOMIZE and key in DRAWN:
        return DRAWN[key]
    cases: list[Any] = []

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=DERANDOMIZE,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # report, do not shrink: keeps the run short
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, hooks=operation.schema.hooks))
    def run(case: Any) -> None:
        cases.append(case)

    run()
    if DERANDOMIZE:
        DRAWN[key] = cases
    return cases


def _run(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    """The operation's cases sent with ``headers``; the failures found, as text."""
    found: list[str] = []
    for case in _draw(operation, mode):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (AssertionError, FailureGroup) as failure:
            found.append(f"{operation.label} ({mode}): {str(failure).strip()[:2000]}")
    return found


@pytest.mark.parametrize("who", USERS)
def test_api_matches_its_description(
    who: str, fuzzed_app: ASGIApp, fuzz_tokens: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", fuzzed_app)
    schema.hook("flatmap_path_parameters")(_demo_tenants)
    headers = {} if who == "anonymous" else {"Authorization": f"Bearer {fuzz_tokens[who]}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _run(operation, mode, headers)
    assert operations > 100
    assert not failures, f"{len(failures)} failures as {who}:\n\n" + "\n\n".join(failures)
