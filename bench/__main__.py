"""``make bench``: each figure as a ratio against a baseline measured in the same run.

Part 1 starts one granian worker on 127.0.0.1 serving the real app plus a bare ``SELECT 1``
route, and loads both routes in turn, in the same run, against the same process and pool.
Client and server share this machine's cores, so the ratio is the figure to read; the
absolute req/s are printed for context. Part 2 times the authorisation check with 30,000
role assignments. Part 3 pushes events through outbox → relay → worker, against a bare
dramatiq actor on the same broker (bench/events.py). Part 4 uploads a large file through the
API's document route, against boto3 straight to the same S3 (bench/upload.py). Part 5 times
``/healthz`` idle and while 20 clients sign in with the production Argon2 cost
(bench/logins.py). Part 7 builds a project archive's zip from 200 MiB of documents, against a
raw boto3 copy of the same objects, with its peak memory (bench/archive.py). Part 8 times
the national and a province's statistics at 3,030 regions and 1,000,000 procurements, beside a
raw GROUP BY over the base tables (bench/statistics.py; its data is generated once and kept).
Part 6 puts a mixed read load (public notices, a region's procurements, the
inbox) on the API as make run starts it, one worker per core, against the same load on one
worker (bench/mixed.py; needs wrk). Nothing is asserted against a threshold: each figure is
printed with its target next to it.

Knobs (environment): BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONCURRENCY (64),
BENCH_GENERATOR (auto | wrk | asyncio), BENCH_LOG_LEVEL (INFO: the app's request log, and the
relay's and workers' logs, are on, as deployed, written to files); part 3: BENCH_EVENTS
(3000), BENCH_WORKER_PROCESSES (2), BENCH_WORKER_THREADS (8), BENCH_PRODUCERS (16); part 4:
BENCH_UPLOAD_MB (150, in MiB), BENCH_UPLOAD_ROUNDS (3); part 5: BENCH_LOGINS (20),
BENCH_LOGIN_SECONDS (10); part 6: BENCH_MIXED_CONCURRENCY (200), BENCH_MIXED_SECONDS (60),
BENCH_MIXED_TIMEOUT (5, seconds before wrk counts a timeout).
BENCH_PARTS (all) runs only the parts it lists, comma-separated: ``BENCH_PARTS=3`` times the
event flow alone. DATABASE_URL names
the PostgreSQL server to use; database sws_bench on it is created and migrated (BENCH_DATABASE
names another, and part 3's queue prefix follows it). Without it an embedded PostgreSQL is
started.
BROKER_URL (else the embedded Redis) and S3_ENDPOINT_URL with the S3_* settings (else a
SeaweedFS in a temporary directory) likewise.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import structlog

from bench import archive, authz, events, load, logins, mixed, processes, server, upload
from bench import statistics as stats
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


def throughput(url: str, log_level: str) -> bool:
    seconds = _env_float("BENCH_SECONDS", 10)
    warmup = _env_float("BENCH_WARMUP_SECONDS", 2)
    concurrency = int(_env_float("BENCH_CONCURRENCY", 64))
    use_wrk = _generator(os.environ.get("BENCH_GENERATOR", "auto"))
    generator = (
        f"wrk -t2 -c{concurrency} ({load.wrk_path()})"
        if use_wrk
        else f"{load.asyncio_generator_name()}, {concurrency} connections"
    )
    settings = Settings(database_url=url)
    target_path = f"/v1/tenants/{server.TENANT[0]}/organisations?limit=20"
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
        if processes.exited(api.process):
            raise RuntimeError(f"granian exited during the run:\n{api.log_tail()}")

    print()
    print("1. Throughput: same server, same pool, same run (ratio against the baseline)")
    print(
        f"  {'route':<58} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'requests':>9} {'non-2xx':>7} {'errors':>6}"
    )
    print(_row(f"baseline  GET {SELECT1_PATH} (public, SELECT 1)", baseline))
    print(_row(f"target    GET {target_path}", target))
    print("            (JWT, tenant check, Casbin, one RLS-bound transaction, 20 rows;")
    print(
        f"             the server's enforcer holds {server.DATABASE}'s few rules:"
        " part 2 is at 30,000)"
    )
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


def _ms(cpu: float | None, events: int) -> str:
    return "n/a" if cpu is None else f"{cpu * 1000 / events:.2f}"


def _flow_row(label: str, flow: events.Flow) -> str:
    known = [v for k, v in flow.cpu.items() if k != "idle"]
    total = None if any(v is None for v in known) else sum(v for v in known if v is not None)
    return (
        f"  {label:<58} {flow.rate:>9,.0f} {flow.seconds:>8.2f} {flow.sent_seconds:>8.2f}"
        f" {_ms(total, flow.events):>9}"
    )


def event_flow(url: str) -> bool:
    report = events.run(url, _log_level())
    base, target = report.baseline, report.target
    print()
    print("3. Events: outbox → relay → worker, against a bare dramatiq actor on the same broker")
    print(
        f"  broker {report.broker}, queues {events.QUEUE_PREFIX}*; each side: `dramatiq` "
        f"{report.processes} processes × {report.threads} threads, {report.producers} "
        f"producers, {report.events:,} events after {events.WARMUP} to warm up"
    )
    print(f"  {'flow':<58} {'events/s':>9} {'seconds':>8} {'sent by':>8} {'CPU ms/ev':>9}")
    print(_flow_row("baseline  actor.send() → bare no-op actor", base))
    print(
        _flow_row(
            f"target    outbox.enqueue ({events.BATCH}/txn) → relay → job (its claim)", target
        )
    )
    print(
        f"  ratio target/baseline events/s: {report.ratio:.2f}   target ≥ "
        f"{events.TARGET_RATIO:.2f}   {_verdict(report.ratio >= events.TARGET_RATIO)}"
    )
    relayed = target.relayed_seconds
    print(
        f"  target's stages: all committed to the outbox by {target.sent_seconds:.2f} s, "
        f"all processed by {target.seconds:.2f} s"
        + ("" if relayed is None else f" (the relay had marked all sent by {relayed:.2f} s)")
    )
    cpu = target.cpu
    print("  CPU ms per event (the processes above; PostgreSQL and the broker not counted):")
    print(
        f"    target: producers {_ms(cpu['producers'], target.events)}, relay "
        f"{_ms(cpu['relay'], target.events)}, workers {_ms(cpu['workers'], target.events)};"
        f"  baseline: producers {_ms(base.cpu['producers'], base.events)}, workers "
        f"{_ms(base.cpu['workers'], base.events)}"
    )
    relay_cpu, worker_cpu = cpu["relay"], cpu["workers"]
    publish = (
        "each batch in one AMQP transaction, RabbitMQ answering its commit"
        if "RabbitMQ" in report.broker
        else "one message at a time, Redis answering each"
    )
    share = ""
    if relay_cpu is not None and worker_cpu is not None and relay_cpu + worker_cpu > 0:
        share = f"; {relay_cpu / (relay_cpu + worker_cpu):.0%} of the relay's and workers' CPU"
    if relayed is not None:
        print(
            f"  relay's share: all marked sent {relayed - target.sent_seconds:.2f} s after the"
            f" last commit, {target.events / relayed:,.0f} events/s overall{share}"
        )
        print(f"    (it publishes {publish}, then marks the batch sent)")
    idle = [v for v in (base.cpu.get("idle"), target.cpu.get("idle")) if v is not None]
    if idle:
        print(
            f"  (the idle side's processes used {max(idle):.2f} s CPU or less in the other's"
            " window)"
        )
    return True


def document_upload(url: str) -> bool:
    report = upload.run(url, _log_level())
    print()
    print(
        f"4. Upload: {report.size / upload.MIB:g} MiB ({report.size / 1e6:,.1f} MB) through the"
        " API, against boto3 straight to the same S3"
    )
    print(
        f"  S3: {report.store}; {report.rounds} rounds taking turns, median of each;"
        " the same generated bytes (a PDF, incompressible)"
    )
    faster_threaded = report.threaded >= report.sequential
    print(f"  {'upload':<58} {'MB/s':>9}   seconds, each round")
    rows = [
        (
            ("baseline  " if faster_threaded else "          ")
            + "boto3 upload_fileobj, 8 MiB parts, 10 threads",
            report.threaded,
            report.threaded_seconds,
        ),
        (
            ("          " if faster_threaded else "baseline  ")
            + "boto3 upload_fileobj, 8 MiB parts, one at a time",
            report.sequential,
            report.sequential_seconds,
        ),
        (
            f"target    POST /v1/tenants/{server.TENANT[0]}/documents, streamed",
            report.target,
            report.target_seconds,
        ),
    ]
    for label, rate, seconds in rows:
        print(f"  {label:<58} {rate:>9,.1f}   " + " ".join(f"{t:.2f}" for t in seconds))
    print(
        f"  ratio target/baseline MB/s: {report.ratio:.2f}   target ≥ "
        f"{upload.TARGET_RATIO:.2f}   {_verdict(report.ratio >= upload.TARGET_RATIO)}"
    )
    print(
        "  (baseline: the faster boto3 median; the API answers 201 once the object is"
        " complete in S3, and its SHA-256 and size were checked here)"
    )
    return True


def archive_build() -> bool:
    report = archive.run()
    print()
    print(
        f"7. Archive: a project's documents, {report.size / archive.MIB:g} MiB, streamed into"
        " one zip in S3, against a raw boto3 copy of the same objects"
    )
    print(f"  S3: {report.store}; rounds taking turns, median of each")
    rows = [
        (
            "baseline  boto3 get_object -> upload_fileobj, object by object",
            report.baseline,
            report.baseline_seconds,
        ),
        (
            "target    services.archive write_zip (multipart, SHA-256s)",
            report.target,
            report.target_seconds,
        ),
    ]
    for label, rate, seconds in rows:
        print(f"  {label:<62} {rate:>9,.1f} MB/s  " + " ".join(f"{t:.2f}" for t in seconds))
    print(
        f"  ratio target/baseline MB/s: {report.ratio:.2f}   target ≥ "
        f"{archive.TARGET_RATIO:.2f}   {_verdict(report.ratio >= archive.TARGET_RATIO)}"
    )
    print(
        f"  peak traced memory: {report.small_peak / archive.MIB:.1f} MiB building a quarter,"
        f" {report.large_peak / archive.MIB:.1f} MiB building all (flat: about the same)"
    )
    return True


def login_storm(url: str) -> bool:
    report = logins.run(url, _log_level())
    print()
    print(
        f"5. Logins: GET {logins.HEALTH_PATH} on one connection, idle and while"
        f" {report.clients} clients sign in"
    )
    print(
        f"  Argon2 {report.argon2} (production cost); PASSWORD_HASH_CONCURRENCY"
        f" {report.hash_concurrency}; {report.seconds:g} s each"
    )
    print(f"  {'probe':<58} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'probes':>8}")
    for label, latencies in (
        (f"baseline  GET {logins.HEALTH_PATH}, server idle", report.idle),
        (f"target    GET {logins.HEALTH_PATH}, {report.clients} clients signing in", report.loaded),
    ):
        print(
            f"  {label:<58} {latencies.p50_ms:>8.2f} {latencies.p99_ms:>8.2f}"
            f" {latencies.max_ms:>8.2f} {latencies.probes:>8,}"
        )
    print(
        f"  ratio loaded/idle: p50 {report.p50_ratio:.2f}, p99 {report.p99_ratio:.2f}   "
        f"target p99 ≤ {logins.TARGET_P99_RATIO:.2f}   "
        f"{_verdict(report.p99_ratio <= logins.TARGET_P99_RATIO)}"
    )
    print(
        f"  logins meanwhile: {report.logins:,} signed in ({report.logins / report.seconds:.1f}/s),"
        f" {report.login_failures} refused"
    )
    return report.login_failures == 0


def mixed_reads(url: str) -> bool:
    report = mixed.run(url, _log_level())
    print()
    print(
        f"6. Mixed reads: {report.concurrency} connections for {report.seconds} s, wrk -t2, "
        f"timeout {report.timeout} s; the API as make run starts it (granian, respawn on)"
    )
    print("  rotating GET " + ", ".join(mixed.PATHS) + f" (as {mixed.LOGIN})")
    print(f"  database connections: {report.connections}")
    print(
        f"  {'server':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}"
        f" {'non-2xx':>7} {'errors':>6} {'timeouts':>8}"
    )
    for i, run in enumerate(report.runs):
        label = f"{'baseline' if i == 0 else 'target  '}  {run.workers} worker" + (
            "s" if run.workers > 1 else ""
        )
        r = run.result
        print(
            f"  {label:<40} {r.rps:>9,.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.requests:>9,}"
            f" {r.non_2xx:>7} {r.errors - r.timeouts:>6} {r.timeouts:>8}"
        )
    base, target = report.runs[0].result, report.runs[-1].result
    ratio = target.rps / base.rps if base.rps else 0.0
    ok = target.errors == 0 and target.non_2xx == 0 and target.p99_ms < mixed.TARGET_P99_MS
    print(
        f"  ratio target/baseline req/s: {ratio:.2f};  target: 0 errors, 0 timeouts, p99 <"
        f" {mixed.TARGET_P99_MS:,.0f} ms   {_verdict(ok)}"
    )
    return target.requests > 0 and target.non_2xx == 0


def statistics_scale(url: str) -> bool:
    report = stats.run(Settings(database_url=url))
    made = (
        "reused from an earlier run"
        if report.generated_s is None
        else f"generated in {report.generated_s:,.0f} s"
    )
    print()
    print(
        f"8. Statistics: {report.regions:,} regions, {report.procurements:,} procurements,"
        f" {report.summary_rows:,} summary rows ({made})"
    )
    print(f"  {'query':<60} {'p50 ms':>8} {'p95 ms':>8} {'rounds':>7} {'rows':>6}")
    for t in report.timings:
        print(f"  {t.label:<60} {t.p50_ms:>8.2f} {t.p95_ms:>8.2f} {t.rounds:>7} {t.rows:>6}")
    national, province, raw_national, raw_province = report.timings
    ok_national = national.p95_ms < stats.NATIONAL_TARGET_MS
    ok_province = province.p95_ms < stats.PROVINCE_TARGET_MS
    print(
        f"  national p95 {national.p95_ms:.1f} ms, target < {stats.NATIONAL_TARGET_MS:g} ms"
        f"   {_verdict(ok_national)}   (raw GROUP BY ÷ summary:"
        f" {raw_national.p95_ms / national.p95_ms:,.0f}×)"
    )
    print(
        f"  province p95 {province.p95_ms:.1f} ms, target < {stats.PROVINCE_TARGET_MS:g} ms"
        f"   {_verdict(ok_province)}   (raw GROUP BY ÷ summary:"
        f" {raw_province.p95_ms / province.p95_ms:,.0f}×)"
    )
    return True


ALL_PARTS = {1, 2, 3, 4, 5, 6, 7, 8}


def _parts() -> set[int]:
    """The parts BENCH_PARTS selects (comma-separated numbers); all of them when unset."""
    raw = os.environ.get("BENCH_PARTS", "").strip()
    if not raw:
        return ALL_PARTS
    try:
        parts = {int(p) for p in raw.split(",") if p.strip()}
    except ValueError:
        parts = set()
    if not parts or not parts <= ALL_PARTS:
        raise SystemExit("BENCH_PARTS must list parts among 1,2,3,4,5,6,7,8, comma-separated")
    return parts


def _log_level() -> str:
    return os.environ.get("BENCH_LOG_LEVEL", "INFO")


_TERMINATED: list[int] = []


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the bench the way Ctrl-C does: inside asyncio.run, through the runner's
    SIGINT handler (it cancels the main task, whose finally blocks stop the children)."""
    _TERMINATED.append(signum)
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def _part(name: str, run: Callable[[], bool]) -> bool:
    """Run one part; a failure is reported and the next part still runs."""
    try:
        return run()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        print(f"\n{name} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return False


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    # This process's own log lines (embedded servers, authz reloads) would interleave the table.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    cores = os.cpu_count() or 0
    print(f"sws bench: {cores} CPU cores, shared by the load, the servers and PostgreSQL")
    print("(compare ratios: each baseline is measured in this run, the same way as its target)\n")
    parts = _parts()
    embedded: Any = None
    valid = True
    try:
        url, source, embedded = server.database_url()
        print(f"Database:  {source}, database {server.DATABASE}")
        server.prepare_database(url)
        asyncio.run(server.seed(Settings(database_url=url)))
        print(
            f"Seeded:    tenant {server.TENANT[0]} with {server.ORGANISATIONS} organisations, "
            f"{server.ADMIN_LOGIN} as tenant_admin, {server.UPLOADER_LOGIN} as "
            "civil_affairs_officer (through the service functions)"
        )
        if 1 in parts:
            valid = throughput(url, _log_level())
        if 2 in parts:
            authorisation()
        if 3 in parts:
            valid = _part("3. Events", lambda: event_flow(url)) and valid
        if 4 in parts:
            valid = _part("4. Upload", lambda: document_upload(url)) and valid
        if 5 in parts:
            valid = _part("5. Logins", lambda: login_storm(url)) and valid
        if 6 in parts:
            valid = _part("6. Mixed reads", lambda: mixed_reads(url)) and valid
        if 7 in parts:
            valid = _part("7. Archive", archive_build) and valid
        if 8 in parts:
            valid = _part("8. Statistics", lambda: statistics_scale(url)) and valid
    except KeyboardInterrupt:
        print("\ninterrupted; the processes started here have been stopped", file=sys.stderr)
        return 128 + _TERMINATED[0] if _TERMINATED else 130
    finally:
        del embedded  # an embedded PostgreSQL stops when the last handle goes
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
