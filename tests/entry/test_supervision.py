"""Processes that die are replaced: granian's API workers (by granian itself) and every process
``make run`` starts (by services.entry.supervisor), against the real database and broker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import CapturingLogger

from services.entry.local import programs
from services.entry.local_servers import start_redis, stop_redis
from services.entry.supervisor import Policy, Supervisor
from services.kit.settings import Settings
from tests.support import suite_jobs
from tests.support.jobs import enqueue_mark, eventually, times_ran
from tests.support.network import free_port
from tests.support.processes import ROOT, process_env
from tests.support.storage import S3

Sessions = async_sessionmaker[AsyncSession]


def _env(settings: Settings, s3: S3) -> dict[str, str]:
    return process_env(
        settings,
        S3_ENDPOINT_URL=s3.endpoint_url,
        S3_ACCESS_KEY=s3.access_key,
        S3_SECRET_KEY=s3.secret_key,
        S3_BUCKET=s3.bucket,
    )


def _wait_for(check: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {within:g} s")


def _children(pid: int) -> set[int]:
    """The live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass  # killed below
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- granian replaces a dead API worker ------------------------------------------------------


def test_a_killed_api_worker_is_replaced_and_requests_keep_being_served(
    settings: Settings, s3: S3, demo: None, tmp_path: Path
) -> None:
    port = free_port()
    argv = programs(2, "127.0.0.1", str(port))["api"]  # the command make run uses
    log = (tmp_path / "granian.log").open("wb")
    api = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        argv,
        env=_env(settings, s3),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/healthz"

    def healthy() -> bool:
        # A new connection each time: a kept-alive one might belong to the killed worker.
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(url, timeout=5, headers={"Connection": "close"}).status_code == 200
        return False

    try:
        log_path = tmp_path / "granian.log"
        _wait_for(
            lambda: log_path.read_text(errors="replace").count("Started worker-") >= 2,
            60,
            "both workers started",
        )
        assert healthy()
        workers = _children(api.pid)
        assert len(workers) == 2
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)

        answered = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answered.append(healthy())
            now = _children(api.pid)
            if victim not in now and len(now) >= 2:
                break
            time.sleep(0.2)
        replaced = _children(api.pid)
        assert victim not in replaced and len(replaced) >= 2, "no new worker"
        assert replaced - workers, "no new worker pid"
        assert api.poll() is None, "granian exited"
        assert answered and all(answered), f"/healthz failed {answered.count(False)} times"
        # The replacement is up: until then granian would sit out SIGTERM (a stop during a
        # worker's start hangs it until _stop_group gives up after 20 s).
        _wait_for(
            lambda: log_path.read_text(errors="replace").count("Started worker-") >= 3,
            60,
            "the replacement started",
        )
        for _ in range(10):  # and the replacement serves too
            assert healthy()
    finally:
        _stop_group(api)
        log.close()


# --- make run's supervisor restarts the relay and the job worker -----------------------------


class _Supervised:
    """A Supervisor running in a thread, its log lines captured."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.captured = CapturingLogger()
        supervisor.log = structlog.wrap_logger(self.captured, processors=[])
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.code = self.supervisor.run()

    def events(self, name: str) -> list[dict[str, Any]]:
        return [c.kwargs for c in self.captured.calls if c.kwargs.get("event") == name]


@contextlib.contextmanager
def _supervising(supervisor: Supervisor) -> Iterator[_Supervised]:
    running = _Supervised(supervisor)
    running.thread.start()
    try:
        yield running
    finally:
        supervisor.stop()
        running.thread.join(timeout=60)
        assert not running.thread.is_alive(), "the supervisor did not stop"


FAST = Policy(first_backoff=0.2, max_backoff=1, max_restarts=5, restart_window=60, stop_grace=20)


async def _a_job_runs_once(sessionmaker: Sessions, within: float) -> None:
    """A job enqueued now goes out through the relay and runs, once, within ``within`` s."""
    mark = await enqueue_mark(sessionmaker, suite_jobs.RECORD)
    await eventually(lambda: times_ran(sessionmaker, mark), within=within, interval=0.2)
    assert await times_ran(sessionmaker, mark) == 1


async def test_a_killed_worker_or_relay_is_restarted_logged_and_jobs_still_run(
    settings: Settings, s3: S3, sessionmaker: Sessions, demo: None
) -> None:
    run = programs(1)
    supervisor = Supervisor(
        {"relay": run["relay"], "worker": run["worker"]}, env=_env(settings, s3), policy=FAST
    )
    with _supervising(supervisor) as running:
        await _a_job_runs_once(sessionmaker, within=60)

        for name in ("worker", "relay"):
            before = supervisor.pids()[name]
            os.kill(before, signal.SIGKILL)

            def new_pid(name: str = name, before: int = before) -> int | None:
                """The restarted process's pid, once there is one."""
                pid = supervisor.pids().get(name)
                return pid if pid not in (None, before) else None

            after = await asyncio.to_thread(_wait_for, new_pid, 30, f"{name} restarted")
            exited = [e for e in running.events("process_exited") if e["pid"] == before]
            assert exited == [
                {
                    "event": "process_exited",
                    "process": name,
                    "pid": before,
                    "exit_code": -signal.SIGKILL,
                    "ran_seconds": exited[0]["ran_seconds"],
                    "restart_in_seconds": FAST.first_backoff,
                }
            ]
            restarted = running.events("process_restarted")
            assert {"event": "process_restarted", "process": name, "pid": after} in restarted

        # Both were killed; a job enqueued now still goes out and runs.
        await _a_job_runs_once(sessionmaker, within=90)
        assert running.thread.is_alive()
    assert running.code == 0


def test_a_child_that_keeps_failing_stops_everything_with_a_non_zero_code(
    settings: Settings, s3: S3
) -> None:
    run = programs(1)
    failing = [sys.executable, "-c", "import sys; sys.exit(3)"]
    policy = Policy(first_backoff=0.05, max_backoff=0.2, max_restarts=3, restart_window=60)
    supervisor = Supervisor({"relay": run["relay"], "broken": failing}, env=_env(settings, s3))
    supervisor.policy = policy
    with _supervising(supervisor) as running:
        relay_pid = _wait_for(lambda: supervisor.pids().get("relay"), 10, "relay started")
        running.thread.join(timeout=60)
        assert not running.thread.is_alive(), "the supervisor kept going"
    assert running.code == 1
    exits = running.events("process_exited")
    assert [e["exit_code"] for e in exits] == [3, 3, 3]
    assert [e["restart_in_seconds"] for e in exits] == [0.05, 0.1, 0.2]  # doubling, capped
    assert running.events("process_gave_up") == [
        {
            "event": "process_gave_up",
            "process": "broken",
            "pid": running.events("process_gave_up")[0]["pid"],
            "exit_code": 3,
            "restarts": 3,
            "within_seconds": 60,
        }
    ]
    assert _proc_state(relay_pid) == "gone"  # the healthy child was stopped too


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


# --- the embedded Redis keeps its files where it is told -------------------------------------


def test_the_embedded_redis_keeps_socket_config_and_log_in_its_data_dir(tmp_path: Path) -> None:
    url, server = start_redis(tmp_path)
    try:
        assert server.ping()
        run = tmp_path / "redis"
        assert url == f"unix://{run / 'redis.socket'}"
        assert server.redis_dir == str(run)
        assert {"redis.socket", "redis.config", "redis.log"} <= {p.name for p in run.iterdir()}
        assert str(run / "redis.log") in (run / "redis.config").read_text()
    finally:
        stop_redis(server)
