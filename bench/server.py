"""The server under benchmark: its database (BENCH_DATABASE, else sws_bench), its seed data,
a granian process."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench import processes
from bench.load import HOST
from services.entry.local_servers import start_postgres
from services.identity import service as identity
from services.kit.audit import Actor
from services.kit.authz.roles import Role
from services.kit.db import PLATFORM_TENANT, make_engine, make_sessionmaker, transaction
from services.kit.migrate import upgrade
from services.kit.settings import Settings
from services.tenancy import service as tenancy
from services.tenancy.models import Organisation, Tenant
from services.tenancy.schemas import OrganisationKind

# Two people benchmarking on one PostgreSQL server (and broker) name their own database; the
# queue prefix of part 3 follows it.
DATABASE = os.environ.get("BENCH_DATABASE") or "sws_bench"
TENANT = ("430000", "基准测试省")
ORGANISATIONS = 24  # the list reads 20; the tenant holds more than a page
ADMIN_LOGIN = "admin@bench.gov.cn"
ADMIN_PASSWORD = "Bench2026pass"
# Part 4 uploads as a civil-affairs officer (tenant_admin lacks document:upload).
UPLOADER_LOGIN = "officer@bench.gov.cn"
ROOT = Path(__file__).resolve().parents[1]


def with_database(url: str, database: str) -> str:
    """The same server as ``url``, database ``database`` (query string, e.g. a socket, kept)."""
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + f"/{database}" + (f"?{query}" if query else "")


def database_url() -> tuple[str, str, Any]:
    """(the bench database's URL, where it came from, embedded server handle to keep alive
    or None)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return with_database(configured, DATABASE), "DATABASE_URL", None
    with warnings.catch_warnings():
        # pgserver's platformdirs warns before start_postgres sets XDG_RUNTIME_DIR itself.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        url, server = start_postgres(DATABASE)
    return url, "embedded PostgreSQL in ./.data/pg", server


def prepare_database(url: str) -> None:
    upgrade(url)


async def seed(settings: Settings) -> None:
    """A province tenant with ORGANISATIONS organisations, a tenant_admin and a civil-affairs
    officer (both with ADMIN_PASSWORD); idempotent.

    Goes through the same service functions as the API (and demo.py), as the API's role.
    """
    engine = make_engine(settings.app_database_url, settings)
    sessionmaker = make_sessionmaker(engine)
    code, name = TENANT
    try:
        async with transaction(sessionmaker, PLATFORM_TENANT) as session:
            if await session.get(Tenant, code) is None:
                system = Actor(user_id=None, tenant=PLATFORM_TENANT, request_id="bench-seed")
                await tenancy.create_tenant(session, system, code, name)
        actor = Actor(user_id=None, tenant=code, request_id="bench-seed")
        async with transaction(sessionmaker, code) as session:
            existing = set(
                await session.scalars(
                    select(Organisation.name).where(Organisation.tenant_id == code)
                )
            )
            for i in range(ORGANISATIONS):
                org_name = f"基准测试单位{i + 1:02d}"
                if org_name not in existing:
                    kind = OrganisationKind.civil_affairs if i % 2 else OrganisationKind.finance
                    await tenancy.create_organisation(session, actor, kind, org_name, None)
            for login, display_name, role in (
                (ADMIN_LOGIN, "bench admin", Role.tenant_admin),
                (UPLOADER_LOGIN, "bench officer", Role.civil_affairs_officer),
            ):
                if await identity.find_user(session, login) is None:
                    await identity.create_user(
                        session,
                        settings,
                        actor,
                        login=login,
                        display_name=display_name,
                        password=ADMIN_PASSWORD,
                    )
                    await tenancy.grant_role(
                        session,
                        actor,
                        login=login,
                        role=role,
                        organisation_id=None,
                        by_platform_admin=True,
                    )
            count = await session.scalar(
                select(func.count()).select_from(Organisation).where(Organisation.tenant_id == code)
            )
            if (count or 0) < 20:
                raise RuntimeError(f"tenant {code} holds {count} organisations, fewer than 20")
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Granian:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop the child we started: SIGTERM, then SIGKILL to its whole process group if it
    lingers (granian's worker process would outlive a killed main process)."""
    processes.stop_group(process, timeout)


@contextlib.contextmanager
def granian(
    database_url: str, log_level: str, extra_env: dict[str, str] | None = None
) -> Iterator[Granian]:
    """One granian worker serving bench.app:create_bench_app on 127.0.0.1; always stopped."""
    port = free_port()
    env = os.environ.copy()
    env.update(
        DATABASE_URL=database_url,
        LOG_FORMAT="json",
        LOG_LEVEL=log_level,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    env.update(extra_env or {})
    with tempfile.TemporaryDirectory(prefix="sws-bench-") as tmp:
        log_path = Path(tmp) / "granian.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-m",
                    "granian",
                    "--interface",
                    "asgi",
                    "--factory",
                    "--workers",
                    "1",
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--no-ws",
                    "--log-level",
                    "warning",
                    "bench.app:create_bench_app",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the bench, which stops it
            )
            server = Granian(process, port, log_path)
            try:
                wait_ready(server)
                yield server
            finally:
                _stop(process)


def wait_ready(server: Granian, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if processes.exited(server.process):
                raise RuntimeError(f"granian exited early:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/readyz").status_code == 200:
                    return
            time.sleep(0.2)
    raise RuntimeError(f"granian not ready after {timeout:.0f} s:\n{server.log_tail()}")


def sign_in(server: Granian, login: str = ADMIN_LOGIN) -> str:
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30) as client:
        response = client.post("/v1/auth/login", json={"login": login, "password": ADMIN_PASSWORD})
    if response.status_code != 200:
        raise RuntimeError(f"sign-in failed: {response.status_code} {response.text}")
    return str(response.json()["access_token"])


def check_routes(server: Granian, target: str, baseline: str, token: str) -> int:
    """Both routes answer 200 before any load; the target returns its 20 rows."""
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as client:
        base = client.get(baseline)
        if base.status_code != 200 or base.json() != {"value": 1}:
            raise RuntimeError(f"baseline route: {base.status_code} {base.text}")
        response = client.get(target, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise RuntimeError(f"target route: {response.status_code} {response.text}")
        items = response.json()["items"]
        if len(items) != 20:
            raise RuntimeError(f"target route returned {len(items)} rows, not 20")
        denied = client.get(target)
        if denied.status_code != 401:
            raise RuntimeError(f"target route without a token: {denied.status_code}, not 401")
    return len(items)
