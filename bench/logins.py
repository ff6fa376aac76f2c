"""Part 5: does a login storm slow everybody else down?

Argon2 with the production cost (ARGON2_TIME_COST / ARGON2_MEMORY_KIB as deployed, 3 passes
over 64 MiB by default) takes a noticeable slice of a core per login. Run on the API's event
loop it would hold up every other request of the worker while it hashes.

One granian worker serves the real app (part 1's server). A prober sends ``GET /healthz`` on
one keep-alive connection, one request after the other, for BENCH_LOGIN_SECONDS: first with
the server idle (the baseline), then while BENCH_LOGINS clients (20) sign in again and again
with the right password on their own connections (the target). The figure is the ratio of
the prober's latencies, loaded/idle, median and p99 (the target is on the p99); the login
rate is printed beside it. The prober runs in its own thread so that the login clients' event
loop does not delay it.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
from dataclasses import dataclass

import httpx

from bench import processes, server
from bench.load import percentile
from services.kit.settings import Settings

HEALTH_PATH = "/healthz"
# What a probe may cost under the login storm, against the idle server. The median hides
# the stalls (most probes fall between two hashes); the p99 shows them.
TARGET_P99_RATIO = 20.0


@dataclass(frozen=True)
class Latencies:
    p50_ms: float
    p99_ms: float
    max_ms: float
    probes: int


@dataclass(frozen=True)
class Report:
    idle: Latencies
    loaded: Latencies
    logins: int
    login_failures: int
    seconds: float
    clients: int
    hash_concurrency: str
    argon2: str

    @property
    def p50_ratio(self) -> float:
        return self.loaded.p50_ms / self.idle.p50_ms if self.idle.p50_ms else 0.0

    @property
    def p99_ratio(self) -> float:
        return self.loaded.p99_ms / self.idle.p99_ms if self.idle.p99_ms else 0.0


def _probe(base_url: str, seconds: float, stop: threading.Event | None = None) -> Latencies:
    """GET /healthz back to back on one connection for ``seconds`` (or until ``stop``)."""
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=base_url, trust_env=False, timeout=30) as client:
        while time.perf_counter() < deadline and not (stop and stop.is_set()):
            started = time.perf_counter()
            response = client.get(HEALTH_PATH)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{HEALTH_PATH}: {response.status_code} {response.text}")
            samples.append(elapsed)
    if not samples:
        raise RuntimeError(f"no {HEALTH_PATH} probe completed")
    ordered = sorted(samples)
    return Latencies(statistics.median(ordered), percentile(ordered, 99), ordered[-1], len(ordered))


async def _sign_in_repeatedly(base_url: str, deadline: float, counts: list[int]) -> None:
    body = {"login": server.ADMIN_LOGIN, "password": server.ADMIN_PASSWORD}
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=120) as client:
        while time.perf_counter() < deadline:
            response = await client.post("/v1/auth/login", json=body)
            counts[0 if response.status_code == 200 else 1] += 1


async def _storm(base_url: str, clients: int, seconds: float) -> tuple[int, int]:
    counts = [0, 0]  # signed in, refused
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(_sign_in_repeatedly(base_url, deadline, counts) for _ in range(clients)))
    return counts[0], counts[1]


def run(database_url: str, log_level: str) -> Report:
    seconds = float(os.environ.get("BENCH_LOGIN_SECONDS") or 10)
    clients = int(os.environ.get("BENCH_LOGINS") or 20)
    settings = Settings(database_url=database_url)
    with server.granian(database_url, log_level) as api:
        server.sign_in(api)  # the account signs in at all, and the server is warm
        _probe(api.base_url, 1)  # warms the prober's connection and the route
        idle = _probe(api.base_url, seconds)
        result: dict[str, Latencies] = {}
        stop = threading.Event()
        prober = threading.Thread(
            target=lambda: result.setdefault("loaded", _probe(api.base_url, seconds, stop))
        )
        prober.start()
        try:
            logins, refused = asyncio.run(_storm(api.base_url, clients, seconds))
        finally:
            stop.set()
            prober.join()
        if processes.exited(api.process):
            raise RuntimeError(f"granian exited during the run:\n{api.log_tail()}")
    return Report(
        idle=idle,
        loaded=result["loaded"],
        logins=logins,
        login_failures=refused,
        seconds=seconds,
        clients=clients,
        hash_concurrency=str(settings.password_hash_concurrency),
        argon2=f"time cost {settings.argon2_time_cost}, {settings.argon2_memory_kib} KiB",
    )
