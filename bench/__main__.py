"""``make bench``: request throughput against a bare baseline, and the Casbin check at scale.

Part 1 starts one granian worker on 127.0.0.1 serving the real app plus a bare ``SELECT 1``
route, and loads both routes in turn, in the same run, against the same process and pool.
Client and server share this machine's cores, so the ratio is the figure to read; the
absolute req/s are printed for context. Part 2 times the authorisation check with 30,000
role assignments. Nothing is asserted against a threshold: each figure is printed with its
target next to it.

Knobs (environment): BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONCURRENCY (64),
BENCH_GENERATOR (auto | wrk | asyncio), BENCH_LOG_LEVEL (INFO: the app's request log is on,
as deployed, written to a file). DATABASE_URL names the PostgreSQL server to use; database
sws_bench on it is created and migrated. Without it an embedded PostgreSQL is started.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from types import FrameType

import structlog

from bench import authz, load, server
from bench.app import SELECT1_PATH
from services.kit.settings import Settings

TARGET_RATIO = 0.5


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _verdict(ok: bool) -> str:
    return "meets the target" if ok else "MISSES the target"


def _row(label: str, result: load.LoadResult) -> str:
    return (
        f"  {label:<58} {result.rps:>9,.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f}"
        f" {result.requests:>9,} {result.non_2xx:>7} {result.errors:>6}"
    )


def _generator(choice: str) -> bool:
    """True to use wrk. 'auto' uses it when it is on PATH."""
    if choice == "wrk":
        if load.wrk_path() is None:
            raise SystemExit("BENCH_GENERATOR=wrk but wrk is not on PATH")
        return True
    if choice == "asyncio":
        return False
    if choice != "auto":
        raise SystemExit(f"BENCH_GENERATOR must be auto, wrk or asyncio, not {choice!r}")
    return load.wrk_path() is not None


def throughput() -> bool:
    seconds = _env_float("BENCH_SECONDS", 10)
    warmup = _env_float("BENCH_WARMUP_SECONDS", 2)
    concurrency = int(_env_float("BENCH_CONCURRENCY", 64))
    log_level = os.environ.get("BENCH_LOG_LEVEL", "INFO")
    use_wrk = _generator(os.environ.get("BENCH_GENERATOR", "auto"))
    generator = (
        f"wrk -t2 -c{concurrency} ({load.wrk_path()})"
        if use_wrk
        else f"{load.asyncio_generator_name()}, {concurrency} connections"
    )

    url, source, embedded = server.database_url()
    settings = Settings(database_url=url)
    print(f"Database:  {source}, database {server.DATABASE}")
    server.prepare_database(url)
    asyncio.run(server.seed(settings))
    tenant = server.TENANT[0]
    target_path = f"/v1/tenants/{tenant}/organisations?limit=20"
    print(
        f"Seeded:    tenant {tenant} with {server.ORGANISATIONS} organisations, "
        f"{server.ADMIN_LOGIN} as tenant_admin (through the service functions)"
    )
    try:
        with server.granian(url, log_level) as api:
            print(
                f"Server:    granian, 1 worker, ASGI, {api.base_url}; pool "
                f"{settings.db_pool_size} + {settings.db_max_overflow} overflow; "
                f"app request log {log_level} (JSON, to a file)"
            )
            print(f"Load:      {generator}; {warmup:g} s warm-up + {seconds:g} s per route")
            token = server.sign_in(api)
            rows = server.check_routes(api, target_path, SELECT1_PATH, token)
            print(f"Checked:   target returns {rows} rows with the token, 401 without")
            auth = {"Authorization": f"Bearer {token}"}
            routes = [(SELECT1_PATH, {}), (target_path, auth)]
            if warmup > 0:
                for path, headers in routes:
                    load.run_load(api.port, path, headers, concurrency, warmup, use_wrk=use_wrk)
            baseline, target = (
                load.run_load(api.port, path, headers, concurrency, seconds, use_wrk=use_wrk)
                for path, headers in routes
            )
            if api.process.poll() is not None:
                raise RuntimeError(f"granian exited during the run:\n{api.log_tail()}")
    finally:
        del embedded  # an embedded PostgreSQL stops when the last handle goes

    print()
    print("1. Throughput: same server, same pool, same run (ratio against the baseline)")
    print(
        f"  {'route':<58} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'requests':>9} {'non-2xx':>7} {'errors':>6}"
    )
    print(_row(f"baseline  GET {SELECT1_PATH} (public, SELECT 1)", baseline))
    print(_row(f"target    GET {target_path}", target))
    print("            (JWT, tenant check, Casbin, one RLS-bound transaction, 20 rows;")
    print("             the server's enforcer holds sws_bench's few rules: part 2 is at 30,000)")
    ratio = target.rps / baseline.rps if baseline.rps else 0.0
    print(
        f"  ratio target/baseline req/s: {ratio:.2f}   target ≥ {TARGET_RATIO:.2f}   "
        f"{_verdict(ratio >= TARGET_RATIO)}"
    )
    print(
        f"  p50 latency: {target.p50_ms:.2f} ms vs {baseline.p50_ms:.2f} ms "
        f"(×{target.p50_ms / baseline.p50_ms:.2f}); "
        f"p99: {target.p99_ms:.2f} ms vs {baseline.p99_ms:.2f} ms"
    )
    valid = all(r.non_2xx == 0 and r.errors == 0 and r.requests > 0 for r in (baseline, target))
    if not valid:
        print("  WARNING: some requests failed; the figures above do not measure success.")
    return valid


def authorisation() -> None:
    report = authz.run()
    print()
    print(
        f"2. Casbin check: {authz.TENANTS:,} tenants × {authz.USERS_PER_TENANT} users = "
        f"{authz.TENANTS * authz.USERS_PER_TENANT:,} memberships "
        f"(+{report.rules - authz.TENANTS * authz.USERS_PER_TENANT} platform-wide), "
        f"{report.policy_lines} policy lines, real model.conf"
    )
    growth = ", ".join(f"{rules:,} rules {ms / 1000:,.2f} s" for rules, ms in report.growth)
    print(
        f"  build_enforcer({report.rules:,} grouping rules): {report.build_ms / 1000:,.1f} s"
        f"   (smaller: {growth})"
    )
    print(
        f"  Authorizer.reload() with these rules, no DB read: {report.reload_ms / 1000:,.1f} s"
        " — how long after the NOTIFY (+50 ms coalesce, + the DB read) a grant is in force"
    )
    print(f"  {'check':<56} {'mean µs':>8} {'p50 µs':>8} {'p99 µs':>8} {'checks':>8}")
    for t in report.timings:
        print(f"  {t.label:<56} {t.mean_us:>8.2f} {t.p50_us:>8.2f} {t.p99_us:>8.2f} {t.checks:>8,}")
    print("  (cached rows time whole passes over the keys: p50/p99 are of per-pass means)")
    cached = max(t.mean_us for t in report.timings if t.label.startswith("cached"))
    first = max(t.mean_us for t in report.timings if t.label.startswith("first call"))
    raw = max(t.mean_us for t in report.timings if t.label.startswith("uncached"))
    print(
        f"  per-request cost (cached decision, worse of allow/deny): {cached:.2f} µs   "
        f"target ≤ {authz.TARGET_US:g} µs   {_verdict(cached <= authz.TARGET_US)}"
    )
    print(
        f"  first call of a user in a tenant (decisions are shared by role set): up to "
        f"{first:.2f} µs mean   target ≤ {authz.TARGET_US:g} µs   "
        f"{_verdict(first <= authz.TARGET_US)}"
    )
    print(f"  (a bare enforce(), paid once per role set and permission: up to {raw:.2f} µs)")


def _terminate(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop granian


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    # This process's own log lines (embedded server, authz reloads) would interleave the table.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    cores = os.cpu_count() or 0
    print(f"sws bench: {cores} CPU cores, shared by the load generator, the server and PostgreSQL")
    print("(compare ratios: both routes are measured the same way, one after the other)\n")
    try:
        valid = throughput()
        authorisation()
    except KeyboardInterrupt:
        print("\ninterrupted; the server started here has been stopped", file=sys.stderr)
        return 130
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
